//! Properties of the "act now" score.

use mdsec_domain::{Criticality, DeviceClass, RemoteLine};
use mdsec_matcher::priority::{score, PriorityInput, Segment, Tri};
use proptest::prelude::*;

fn tri() -> impl Strategy<Value = Tri> {
    prop_oneof![Just(Tri::Yes), Just(Tri::No), Just(Tri::Unknown)]
}

fn input() -> impl Strategy<Value = PriorityInput> {
    (
        (0u32..5, 0u32..5, any::<bool>()),
        (
            proptest::option::of(0.0f64..=1.0),
            proptest::option::of(0.0f64..=10.0),
        ),
        (
            tri(),
            prop_oneof![
                Just(RemoteLine::Yes),
                Just(RemoteLine::No),
                Just(RemoteLine::Unknown)
            ],
            tri(),
            prop_oneof![
                Just(Segment::Isolated),
                Just(Segment::Medical),
                Just(Segment::Shared),
                Just(Segment::Unknown)
            ],
        ),
        (
            proptest::option::of(prop_oneof![
                Just(Criticality::LifeSustaining),
                Just(Criticality::PatientConnected),
                Just(Criticality::Diagnostic),
                Just(Criticality::NonClinical)
            ]),
            proptest::option::of(prop_oneof![
                Just(DeviceClass::I),
                Just(DeviceClass::II),
                Just(DeviceClass::III),
                Just(DeviceClass::IV)
            ]),
        ),
        (tri(), any::<bool>(), any::<bool>(), any::<bool>()),
    )
        .prop_map(
            |(
                (affected, undetermined, kev),
                (epss, cvss),
                (net, remote, internet, segment),
                (criticality, class),
                (eos, no_patch, sbom, mds2),
            )| PriorityInput {
                affected_findings: affected,
                undetermined_findings: undetermined,
                kev_listed: kev,
                epss,
                cvss,
                network_connected: net,
                remote_line: remote,
                internet_reachable: internet,
                segment,
                criticality,
                device_class: class,
                past_end_of_support: eos,
                no_patch_available: no_patch,
                has_sbom: sbom,
                has_mds2: mds2,
            },
        )
}

proptest! {
    #[test]
    fn kev_listing_never_lowers_the_score(i in input()) {
        let mut with = i.clone();
        with.kev_listed = true;
        prop_assert!(score(&with).score >= score(&i).score);
    }

    #[test]
    fn missing_sbom_or_mds2_never_ranks_below_complete_clean_information(i in input()) {
        prop_assume!(!i.has_sbom || !i.has_mds2);
        // The same device, with SBOM and MDS2 on file and nothing found in them.
        let clean = PriorityInput {
            has_sbom: true,
            has_mds2: true,
            affected_findings: 0,
            undetermined_findings: 0,
            kev_listed: false,
            epss: None,
            cvss: None,
            no_patch_available: false,
            ..i.clone()
        };
        prop_assert!(score(&i).score > score(&clean).score);
    }

    #[test]
    fn monotonic_in_cvss(i in input(), a in 0.0f64..=10.0, b in 0.0f64..=10.0) {
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let mut x = i.clone();
        x.cvss = Some(lo);
        let mut y = i;
        y.cvss = Some(hi);
        prop_assert!(score(&y).score >= score(&x).score);
    }

    #[test]
    fn reasons_explain_the_whole_score(i in input()) {
        let p = score(&i);
        let sum: f64 = p.reasons.iter().map(|r| r.points).sum();
        prop_assert!((sum - p.score).abs() < 0.01);
        prop_assert!(p.reasons.iter().all(|r| r.points > 0.0));
        prop_assert_eq!(score(&i), p, "deterministic");
    }
}

#[test]
fn unknowns_are_scored_as_risk() {
    let known_safe = PriorityInput {
        network_connected: Tri::No,
        remote_line: RemoteLine::No,
        internet_reachable: Tri::No,
        segment: Segment::Isolated,
        criticality: Some(Criticality::NonClinical),
        device_class: Some(DeviceClass::I),
        past_end_of_support: Tri::No,
        has_sbom: true,
        has_mds2: true,
        ..PriorityInput::default()
    };
    assert_eq!(score(&known_safe).score, 0.0);
    let unknown = PriorityInput::default();
    let p = score(&unknown);
    let codes: Vec<&str> = p.reasons.iter().map(|r| r.code).collect();
    for c in [
        "network_connected",
        "remote_line",
        "internet_reachable",
        "segment",
        "criticality",
        "device_class",
        "past_end_of_support",
        "no_sbom",
        "no_mds2",
    ] {
        assert!(codes.contains(&c), "{c} missing from {codes:?}");
    }
    // A KEV-listed, affected, life-sustaining, internet-reachable device outranks all of that.
    let worst = PriorityInput {
        affected_findings: 1,
        kev_listed: true,
        cvss: Some(9.8),
        network_connected: Tri::Yes,
        remote_line: RemoteLine::Yes,
        internet_reachable: Tri::Yes,
        segment: Segment::Shared,
        criticality: Some(Criticality::LifeSustaining),
        device_class: Some(DeviceClass::IV),
        ..known_safe.clone()
    };
    let w = score(&worst);
    assert!(w.score > p.score);
    assert_eq!(
        w.reasons[0].code, "kev_listed",
        "largest contribution first"
    );
}
