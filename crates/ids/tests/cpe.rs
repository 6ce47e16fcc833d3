//! CPE 2.3: formatted-string unbinding per NISTIR 7695 (examples from its §6.2.3), matching per
//! NISTIR 7696, and every CPE found in the shared advisory data.

use mdsec_ids::cpe::{compare_values, cpe_disjoint, cpe_equal, cpe_subset, Relation, Value};
use mdsec_ids::{cpe_matches, Cpe};

fn cpe(s: &str) -> Cpe {
    Cpe::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn unbind_formatted_strings() {
    let c = cpe("cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*");
    assert_eq!(
        c.to_wfn(),
        r#"wfn:[part="a",vendor="microsoft",product="internet_explorer",version="8\.0\.6001",update="beta",edition=ANY,language=ANY,sw_edition=ANY,target_sw=ANY,target_hw=ANY,other=ANY]"#
    );
    assert_eq!(c.part(), Some('a'));
    assert_eq!(c.vendor().as_literal().as_deref(), Some("microsoft"));
    assert_eq!(c.version().as_literal().as_deref(), Some("8.0.6001"));
    let c = cpe("cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*");
    assert!(
        c.to_wfn().contains(r#"version="8\.*",update="sp?""#),
        "{}",
        c.to_wfn()
    );
    let c = cpe("cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*");
    assert_eq!(*c.update(), Value::Na);
    assert!(c.to_wfn().contains(r#"update=NA,edition=ANY,language=ANY,sw_edition="online",target_sw="win2003",target_hw="x64""#));
    let c = cpe(r"cpe:2.3:a:foo\\bar:big\$money:2010:*:*:*:special:ipod_touch:80gb:*");
    assert!(
        c.to_wfn()
            .contains(r#"vendor="foo\\bar",product="big\$money""#),
        "{}",
        c.to_wfn()
    );
    // An escaped colon stays inside its value.
    let c = cpe(r"cpe:2.3:a:vendor:prod\:uct:1.0:*:*:*:*:*:*:*");
    assert_eq!(c.product().as_literal().as_deref(), Some("prod:uct"));
}

#[test]
fn round_trip_is_canonical() {
    for s in [
        "cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*",
        "cpe:2.3:o:siemens:simatic_s7-1200_firmware:-:*:*:*:*:*:*:*",
        r"cpe:2.3:a:foo\\bar:big\$money:2010:*:*:*:special:ipod_touch:80gb:*",
        "cpe:2.3:a:*:*:1.?:*:*:*:*:*:*:*",
        r"cpe:2.3:a:x:y:\-:*:*:*:*:*:*:*",
    ] {
        assert_eq!(cpe(s).to_string(), s);
        assert_eq!(cpe(&cpe(s).to_string()), cpe(s));
    }
    assert_eq!(
        cpe("CPE:2.3:A:Microsoft:IE:8:*:*:*:*:*:*:*").to_string(),
        "cpe:2.3:a:microsoft:ie:8:*:*:*:*:*:*:*"
    );
}

#[test]
fn malformed_strings_are_rejected_with_the_attribute_named() {
    for (s, attr) in [
        ("cpe:2.3:a:foo:bar:12.*.34:*:*:*:*:*:*:*", "version"),
        ("cpe:2.3:a:foo:bar:1?2:*:*:*:*:*:*:*", "version"),
        ("cpe:2.3:x:foo:bar:1:*:*:*:*:*:*:*", "part"),
        ("cpe:2.3:a:foo::1:*:*:*:*:*:*:*", "product"),
        ("cpe:2.3:a:foo:bar:1:*:*:*:*:*:*:\\", "other"),
    ] {
        let e = Cpe::parse(s).expect_err(s);
        assert_eq!(e.position.path.as_deref(), Some(attr), "{s}: {e}");
    }
    assert!(
        Cpe::parse("cpe:2.3:a:foo:bar:1:*:*:*:*:*:*").is_err(),
        "10 attributes"
    );
    assert!(
        Cpe::parse("cpe:/a:foo:bar").is_err(),
        "a 2.2 URI is not a formatted string"
    );
    assert!(Cpe::parse(&"cpe:2.3:a:".repeat(1000)).is_err());
}

#[test]
fn any_and_na_per_nistir_7696() {
    let any = Value::Any;
    let na = Value::Na;
    let v = cpe("cpe:2.3:a:v:p:1.0:*:*:*:*:*:*:*").version().clone();
    assert_eq!(compare_values(&any, &any), Relation::Equal);
    assert_eq!(compare_values(&any, &na), Relation::Superset);
    assert_eq!(compare_values(&any, &v), Relation::Superset);
    assert_eq!(compare_values(&na, &na), Relation::Equal);
    assert_eq!(compare_values(&na, &any), Relation::Subset);
    assert_eq!(compare_values(&na, &v), Relation::Disjoint);
    assert_eq!(compare_values(&v, &na), Relation::Disjoint);
    assert_eq!(compare_values(&v, &any), Relation::Subset);
    // A pattern as target: undefined.
    let pat = cpe("cpe:2.3:a:v:p:1.*:*:*:*:*:*:*:*").version().clone();
    assert_eq!(compare_values(&v, &pat), Relation::Undefined);
}

#[test]
fn name_matching() {
    let target = cpe("cpe:2.3:a:microsoft:internet_explorer:8.0.6001:beta:*:*:*:*:*:*");
    assert!(cpe_matches(
        &cpe("cpe:2.3:a:microsoft:internet_explorer:*:*:*:*:*:*:*:*"),
        &target
    ));
    assert!(cpe_matches(
        &cpe("cpe:2.3:a:microsoft:internet_explorer:8.*:*:*:*:*:*:*:*"),
        &target
    ));
    assert!(cpe_matches(
        &cpe("cpe:2.3:a:microsoft:internet_explorer:*8.0.6001:be??:*:*:*:*:*:*"),
        &target
    ));
    assert!(cpe_matches(&cpe("cpe:2.3:*:*:*:*:*:*:*:*:*:*:*"), &target));
    assert!(!cpe_matches(
        &cpe("cpe:2.3:a:microsoft:internet_explorer:8.*:sp?:*:*:*:*:*:*"),
        &target
    ));
    assert!(!cpe_matches(
        &cpe("cpe:2.3:a:microsoft:internet_explorer:9.*:*:*:*:*:*:*:*"),
        &target
    ));
    assert!(!cpe_matches(
        &cpe("cpe:2.3:o:microsoft:internet_explorer:*:*:*:*:*:*:*:*"),
        &target
    ));
    // `?` covers at most one character each.
    assert!(cpe_matches(
        &cpe("cpe:2.3:a:microsoft:internet_explorer:8.0.600?:*:*:*:*:*:*:*"),
        &target
    ));
    assert!(!cpe_matches(
        &cpe("cpe:2.3:a:microsoft:internet_explorer:8.0.6?:*:*:*:*:*:*:*"),
        &target
    ));
    // Case-insensitive.
    assert!(cpe_matches(
        &cpe("cpe:2.3:a:Microsoft:Internet_Explorer:8.0.6001:*:*:*:*:*:*:*"),
        &target
    ));
    // NA in the target is matched by NA or ANY only.
    let fw = cpe("cpe:2.3:o:siemens:simatic_firmware:-:*:*:*:*:*:*:*");
    assert!(cpe_matches(
        &cpe("cpe:2.3:o:siemens:simatic_firmware:-:*:*:*:*:*:*:*"),
        &fw
    ));
    assert!(cpe_matches(
        &cpe("cpe:2.3:o:siemens:simatic_firmware:*:*:*:*:*:*:*:*"),
        &fw
    ));
    assert!(!cpe_matches(
        &cpe("cpe:2.3:o:siemens:simatic_firmware:1.0:*:*:*:*:*:*:*"),
        &fw
    ));
    assert!(cpe_equal(&fw, &fw));
    assert!(cpe_disjoint(
        &cpe("cpe:2.3:o:siemens:other:*:*:*:*:*:*:*:*"),
        &fw
    ));
    assert!(cpe_subset(
        &target,
        &cpe("cpe:2.3:a:microsoft:*:*:*:*:*:*:*:*:*")
    ));
}

fn quote(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect()
}

#[test]
fn every_cpe_in_the_shared_advisory_data_is_read() {
    let root = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/jvn"
    ));
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)
            .unwrap_or_else(|e| panic!("JVN data missing at {}: {e}", d.display()))
        {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                for (i, _) in text.match_indices("cpe:") {
                    let tail = &text[i..];
                    let end = tail
                        .find(|c: char| c == '"' || c == '<' || c.is_whitespace())
                        .unwrap_or(tail.len());
                    let name = &tail[..end];
                    // Skip regex patterns and prose that merely mention "cpe:".
                    if name.starts_with("cpe:2.3:") || name.starts_with("cpe:/") {
                        found.push(name.to_string());
                    }
                }
            }
        }
    }
    found.sort();
    found.dedup();
    assert!(
        found.len() >= 250,
        "expected the JVN CPE names, found {}",
        found.len()
    );
    let (mut strict, mut lenient) = (0, 0);
    for s in &found {
        if Cpe::parse(s).is_ok() {
            strict += 1;
        }
        let c = Cpe::parse_lenient(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        lenient += 1;
        // A vendor-level name from JVN matches every product of that vendor.
        if c.product() == &Value::Any && c.vendor().as_literal().is_some() {
            let probe = format!(
                "cpe:2.3:a:{}:anything:1.0:*:*:*:*:*:*:*",
                quote(&c.vendor().as_literal().unwrap_or_default())
            );
            if let Ok(p) = Cpe::parse(&probe) {
                assert!(
                    cpe_matches(&c, &p) || c.part().is_some_and(|x| x != 'a'),
                    "{s} should cover {probe}"
                );
            }
        }
    }
    println!(
        "jvn cpe names: {} found, {strict} well-formed CPE 2.3, {lenient} read leniently",
        found.len()
    );
    assert!(strict > 0);
}
