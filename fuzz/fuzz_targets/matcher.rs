#![no_main]
//! Any advisory the parsers accept (CSAF, OSV, NVD) is converted and matched against a few device
//! models with components; nothing may panic. The first bytes also act as component versions, so
//! the version comparators see arbitrary text.
use libfuzzer_sys::fuzz_target;
use mdsec_matcher::convert::{from_csaf, from_nvd, from_osv};
use mdsec_matcher::{Component, DeviceModelKey, Index};

fuzz_target!(|data: &[u8]| {
    let mut advs = Vec::new();
    match mdsec_advisory::parse_advisory("fuzz", data) {
        Ok(mdsec_advisory::Advisory::Csaf(d)) => advs.push(from_csaf(&d)),
        Ok(mdsec_advisory::Advisory::Osv(a)) => advs.push(from_osv(&a)),
        _ => {}
    }
    if let Ok(doc) = mdsec_vulndb::parse_nvd("fuzz.json", data) {
        advs.extend(doc.vulnerabilities.iter().take(64).map(from_nvd));
    }
    let text = String::from_utf8_lossy(&data[..data.len().min(64)]).into_owned();
    let comp = |purl: String, cpe: Option<String>| Component {
        name: "x".into(),
        version: Some(text.clone()),
        purl: Some(purl),
        cpe,
    };
    let mut index = Index::default();
    index.insert_model(
        DeviceModelKey::new("Contec", "CMS8000", Some(&text)),
        vec![
            comp(format!("pkg:golang/github.com/gin-gonic/gin@{text}"), None),
            comp(format!("pkg:pypi/django@{text}"), None),
            comp(
                "pkg:cargo/smallvec".into(),
                Some(format!(
                    "cpe:2.3:o:contec:cms8000_firmware:{text}:*:*:*:*:*:*:*"
                )),
            ),
        ],
    );
    index.insert_model(DeviceModelKey::new(&text, &text, None), Vec::new());
    for a in advs {
        let _ = index.add_advisory(a);
    }
    let _ = index.match_all();
});
