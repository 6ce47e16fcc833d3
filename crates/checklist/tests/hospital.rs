//! The hospital checklist: versions per fiscal year, score arithmetic, history across fiscal years,
//! pre-filled answers and their evidence, next actions, peer figures, manufacturer maturity.

use mdsec_checklist::*;

fn cat() -> &'static Catalogue {
    Catalogue::builtin()
}

fn ans(id: &str, fy: u16, v: AnswerValue) -> Answer {
    let mut a = Answer::new(id, fy, v);
    if v == AnswerValue::No {
        a.target_date = Some(format!("{fy}-12-01"));
    }
    a
}

#[test]
fn versions_per_fiscal_year() {
    let c = cat();
    assert_eq!(c.fiscal_years(), vec![2024, 2025]);
    let v24 = c.version(2024, false).unwrap();
    let v25 = c.version(2025, false).unwrap();
    let mhlw = |v: &ChecklistVersion| {
        v.items
            .iter()
            .filter(|i| i.item.layer == Layer::Mhlw)
            .count()
    };
    // FY2024: 1-①, 2-①…⑨, 3-①…③ = 13; FY2025 adds five.
    assert_eq!(mhlw(&v24), 13);
    assert_eq!(mhlw(&v25), 18);
    assert!(v24.get("mhlw.passwords").is_none());
    assert_eq!(v24.get("mhlw.remote_vendor").unwrap().reference(), "2-②");
    // The access-rights item's wording changed in FY2025.
    let a24 = v24.get("mhlw.access_rights").unwrap();
    let a25 = v25.get("mhlw.access_rights").unwrap();
    assert_ne!(a24.ja(), a25.ja());
    assert!(a25.ja().contains("管理者権限"));
    // HHS only when switched on; every item is in exactly one section of the version.
    assert!(v25.items.iter().all(|i| i.item.layer != Layer::Hhs));
    let with_hhs = c.version(2025, true).unwrap();
    assert_eq!(with_hhs.items.len(), v25.items.len() + 20);
    assert!(matches!(
        c.version(2023, false),
        Err(ChecklistError::UnknownFiscalYear { .. })
    ));
    // Sections come in order and every item's section exists.
    let orders: Vec<u32> = with_hhs.sections().iter().map(|s| s.order).collect();
    assert_eq!(orders, vec![1, 2, 3, 4, 5]);
}

#[test]
fn score_arithmetic() {
    let c = cat();
    let v = c.version(2024, false).unwrap();
    // Nothing answered: everything is possible, nothing earned.
    let st = evaluate(&v, &[], &[]);
    let card = ScoreCard::of(&v, &st);
    let inspection = v
        .items
        .iter()
        .filter(|i| i.item.weight == Weight::Inspection)
        .count() as u32;
    let guidance = v
        .items
        .iter()
        .filter(|i| i.item.weight == Weight::Guidance)
        .count() as u32;
    let enhanced = v
        .items
        .iter()
        .filter(|i| i.item.weight == Weight::Enhanced)
        .count() as u32;
    assert_eq!((inspection, guidance, enhanced), (13, 15, 1));
    let possible = 3 * inspection + 2 * guidance + enhanced;
    assert_eq!(card.overall.possible, possible);
    assert_eq!(card.overall.earned, 0);
    assert_eq!(card.overall.percent(), Some(0.0));
    assert_eq!(card.overall.unanswered as usize, v.items.len());

    // はい on 1-① (3), いいえ on 2-① (3), 対象外 on 2-② (excluded), はい on dev.ledger (2),
    // はい on dev.contract (enhanced, 1).
    let answers = vec![
        ans("mhlw.isso", 2024, AnswerValue::Yes),
        ans("mhlw.it_ledger", 2024, AnswerValue::No),
        ans("mhlw.remote_vendor", 2024, AnswerValue::NotApplicable),
        ans("dev.ledger", 2024, AnswerValue::Yes),
        ans("dev.contract", 2024, AnswerValue::Yes),
    ];
    let card = ScoreCard::of(&v, &evaluate(&v, &answers, &[]));
    assert_eq!(card.overall.earned, 3 + 2 + 1);
    assert_eq!(card.overall.possible, possible - 3);
    assert_eq!(
        card.overall.percent(),
        Some((1000.0 * 6.0 / (possible - 3) as f64).round() / 10.0)
    );
    assert_eq!(
        (
            card.overall.yes,
            card.overall.no,
            card.overall.not_applicable
        ),
        (3, 1, 1)
    );
    // Section 1 has one item (1-①): 3/3.
    assert_eq!(card.section("governance").unwrap().percent(), Some(100.0));
    // Section 2 in FY2024 has nine items, one いいえ, one 対象外: 0 of 8×3.
    let s2 = card.section("operation").unwrap();
    assert_eq!((s2.earned, s2.possible, s2.not_applicable), (0, 24, 1));
    // Section 3 untouched.
    assert_eq!(card.section("incident").unwrap().possible, 9);

    // All 対象外: no score at all, not 0 and not 100.
    let all_na: Vec<Answer> = v
        .items
        .iter()
        .map(|i| ans(i.id(), 2024, AnswerValue::NotApplicable))
        .collect();
    let card = ScoreCard::of(&v, &evaluate(&v, &all_na, &[]));
    assert_eq!(card.overall.percent(), None);
    // All はい: 100.
    let all_yes: Vec<Answer> = v
        .items
        .iter()
        .map(|i| ans(i.id(), 2024, AnswerValue::Yes))
        .collect();
    assert_eq!(
        ScoreCard::of(&v, &evaluate(&v, &all_yes, &[]))
            .overall
            .percent(),
        Some(100.0)
    );
}

#[test]
fn history_across_two_fiscal_years() {
    let c = cat();
    let mut h = History::new();
    for a in [
        ans("mhlw.isso", 2024, AnswerValue::Yes),
        ans("mhlw.access_rights", 2024, AnswerValue::Yes),
        ans("mhlw.backup", 2024, AnswerValue::No),
    ] {
        h.record(c, false, a).unwrap();
    }
    // An FY2025-only item cannot be answered in FY2024: refused with a clear message.
    let err = h
        .record(c, false, ans("mhlw.passwords", 2024, AnswerValue::Yes))
        .unwrap_err();
    assert_eq!(
        err,
        ChecklistError::ItemNotInFiscalYear {
            item_id: "mhlw.passwords".into(),
            fiscal_year: 2024,
            available: vec![2025],
        }
    );
    assert!(err.to_string().contains("not in the FY2024 checklist"));
    assert!(err
        .ja()
        .contains("2024 年度版のチェックリストにはありません"));
    assert!(err.ja().contains("2025 年度版の項目です"));
    // The version itself refuses an answer of another fiscal year.
    let v24 = c.version(2024, false).unwrap();
    assert!(matches!(
        v24.check(&ans("mhlw.isso", 2025, AnswerValue::Yes)),
        Err(ChecklistError::FiscalYearMismatch { .. })
    ));
    assert!(matches!(
        v24.check(&ans("no.such.item", 2024, AnswerValue::Yes)),
        Err(ChecklistError::UnknownItem { .. })
    ));
    // The HHS layer only when switched on.
    assert!(matches!(
        v24.check(&ans("hhs.mfa", 2024, AnswerValue::Yes)),
        Err(ChecklistError::LayerOff { .. })
    ));

    // FY2025: new items, carried-over ones.
    h.record(c, false, ans("mhlw.isso", 2025, AnswerValue::Yes))
        .unwrap();
    h.record(c, false, ans("mhlw.passwords", 2025, AnswerValue::Yes))
        .unwrap();
    h.record(c, false, ans("mhlw.backup", 2025, AnswerValue::Yes))
        .unwrap();
    assert_eq!(h.fiscal_years(), vec![2024, 2025]);
    // FY2024 answers are unchanged by FY2025's.
    assert_eq!(h.answers(2024).len(), 3);
    let trend = h.trend(c, false).unwrap();
    assert_eq!(trend.len(), 2);
    assert_eq!(trend[0].fiscal_year, 2024);
    assert_eq!(trend[0].overall.earned, 6);
    assert_eq!(trend[1].overall.earned, 9);
    // FY2025 has five more inspection items (15 points) than FY2024.
    assert_eq!(trend[1].overall.possible, trend[0].overall.possible + 15);

    // Carry forward: unchanged wording keeps the answer, changed wording (access rights) asks again.
    let carried = h.carry_forward(c, 2024, 2025, false).unwrap();
    let get = |id: &str| carried.iter().find(|p| p.item_id == id).unwrap();
    assert_eq!(get("mhlw.isso").answer, Some(AnswerValue::Yes));
    assert_eq!(get("mhlw.access_rights").answer, None);
    assert!(get("mhlw.access_rights")
        .evidence_ja
        .contains("文言が変わった"));
}

#[test]
fn answer_checks() {
    let v = cat().version(2025, false).unwrap();
    let mut a = ans("mhlw.backup", 2025, AnswerValue::No);
    a.target_date = Some("2025-13-40".into());
    assert!(matches!(v.check(&a), Err(ChecklistError::BadDate { .. })));
    a.target_date = Some("2027-01-01".into());
    let w = v.check(&a).unwrap();
    assert_eq!(w[0].code, "target_outside_fiscal_year");
    a.target_date = Some("2026-03-31".into());
    assert!(v.check(&a).unwrap().is_empty());
    // Two-factor authentication may target FY2027.
    let mut mfa = ans("mhlw.mfa", 2025, AnswerValue::No);
    mfa.target_date = Some("2028-03-31".into());
    assert!(v.check(&mfa).unwrap().is_empty());
    a.link = Some("javascript:alert(1)".into());
    assert!(matches!(v.check(&a), Err(ChecklistError::BadLink { .. })));
    a.link = Some("/devices".into());
    a.note = Some("x".repeat(MAX_NOTE_CHARS + 1));
    assert!(matches!(v.check(&a), Err(ChecklistError::TooLong { .. })));
    assert_eq!(AnswerValue::parse("いいえ").unwrap(), AnswerValue::No);
    assert_eq!(
        AnswerValue::parse("na").unwrap(),
        AnswerValue::NotApplicable
    );
    assert!(AnswerValue::parse("maybe").is_err());
}

/// Facts like the demo hospital's: 2,009 devices, some with network info, remote lines unknown for
/// some, devices past EOS, no MDS2 for most models.
fn demo_like_facts() -> Facts {
    Facts {
        devices_total: Some(2009),
        devices_with_network_info: Some(1500),
        devices_with_segment: Some(1200),
        devices_remote_known: Some(1800),
        devices_with_remote_line: Some(40),
        remote_lines_registered: None,
        models_total: Some(120),
        models_with_mds2: Some(30),
        models_with_sbom: Some(12),
        devices_with_os: Some(900),
        devices_with_eos_date: Some(1700),
        devices_past_eos: Some(85),
        isso_accounts: Some(1),
        device_safety_accounts: Some(1),
        departments_total: Some(24),
        departments_with_contact: Some(3),
        manufacturers_total: None,
        manufacturers_with_contact: None,
        ledger_last_change_days: Some(0),
        advisories_age_days: None,
    }
}

#[test]
fn prefilled_answers_show_their_evidence() {
    let c = cat();
    let v = c.version(2025, false).unwrap();
    let props = propose(&v, &demo_like_facts());
    let p = |id: &str| {
        props
            .iter()
            .find(|p| p.item_id == id)
            .unwrap_or_else(|| panic!("no proposal for {id}"))
    };

    let ledger = p("dev.ledger");
    assert_eq!(ledger.answer, Some(AnswerValue::Yes));
    assert!(
        ledger.evidence_ja.contains("台帳に 2,009 台"),
        "{}",
        ledger.evidence_ja
    );
    assert!(
        ledger.evidence_ja.contains("1,500/2,009（75%）"),
        "{}",
        ledger.evidence_ja
    );
    assert_eq!(ledger.link.as_deref(), Some("/import"));

    let remote = p("mhlw.remote_vendor");
    assert_eq!(remote.answer, Some(AnswerValue::No));
    assert!(
        remote.evidence_ja.contains("残り 209 台は不明"),
        "{}",
        remote.evidence_ja
    );

    let mds2 = p("dev.mds2_sbom");
    assert_eq!(mds2.answer, Some(AnswerValue::No));
    assert!(
        mds2.evidence_ja.contains("MDS2 あり 30/120（25%）"),
        "{}",
        mds2.evidence_ja
    );
    assert!(
        mds2.evidence_ja.contains("SBOM あり 12/120（10%）"),
        "{}",
        mds2.evidence_ja
    );
    assert!(mds2.evidence_en.contains("MDS2 for 30 of 120 (25%)"));

    let eos = p("dev.eos");
    assert_eq!(eos.answer, Some(AnswerValue::No));
    assert!(eos.evidence_ja.contains("85 台"));

    assert_eq!(p("mhlw.isso").answer, Some(AnswerValue::Yes));
    // Roles exist, but the written split is for the hospital to confirm: evidence, no answer.
    assert_eq!(p("dev.roles").answer, None);
    assert_eq!(p("dev.dept_contacts").answer, Some(AnswerValue::No));
    assert_eq!(p("dev.remote_lines").answer, Some(AnswerValue::No));
    // Unknown facts propose nothing: no advisories fact, no proposal.
    assert!(props.iter().all(|p| p.item_id != "dev.vuln_info"));
    assert!(props.iter().all(|p| p.item_id != "dev.incident"));
    // The MHLW ledger item shows the count but never answers for the hospital.
    assert_eq!(p("mhlw.it_ledger").answer, None);
    // With no facts at all nothing is proposed.
    assert!(propose(&v, &Facts::default()).is_empty());

    // A saved answer wins over a proposal; proposals count in the score until then.
    let saved = vec![ans("dev.ledger", 2025, AnswerValue::No)];
    let st = evaluate(&v, &saved, &props);
    let ledger = st.iter().find(|s| s.item.id() == "dev.ledger").unwrap();
    assert_eq!(
        (ledger.effective, ledger.source),
        (Some(AnswerValue::No), AnswerSource::Saved)
    );
    let isso = st.iter().find(|s| s.item.id() == "mhlw.isso").unwrap();
    assert_eq!(
        (isso.effective, isso.source),
        (Some(AnswerValue::Yes), AnswerSource::Proposed)
    );
    let roles = st.iter().find(|s| s.item.id() == "dev.roles").unwrap();
    assert_eq!(roles.source, AnswerSource::None);
    assert!(roles.proposal.is_some());
}

#[test]
fn next_actions_by_weight_then_effort() {
    let c = cat();
    let v = c.version(2025, false).unwrap();
    let st = evaluate(&v, &[ans("mhlw.isso", 2025, AnswerValue::Yes)], &[]);
    let actions = next_actions(&st, 2025);
    assert_eq!(actions.len(), v.items.len() - 1);
    assert!(actions.iter().all(|a| a.item_id != "mhlw.isso"));
    // Inspection items first, cheapest first within a weight.
    for w in actions.windows(2) {
        assert!(
            (w[0].weight, w[0].effort) <= (w[1].weight, w[1].effort),
            "{:?} before {:?}",
            w[0].item_id,
            w[1].item_id
        );
    }
    assert_eq!(actions[0].weight, Weight::Inspection);
    assert_eq!(actions[0].effort, 1);
    assert_eq!(actions.last().unwrap().weight, Weight::Enhanced);
    let remote = actions
        .iter()
        .find(|a| a.item_id == "mhlw.remote_vendor")
        .unwrap();
    assert_eq!(remote.link.as_deref(), Some("/remote-lines"));
    assert!(remote.how_ja.contains("事業者ごと"));
    assert_eq!(remote.reference, "2-②");
    // 対象外 is not an action.
    let st = evaluate(
        &v,
        &[ans("mhlw.usb", 2025, AnswerValue::NotApplicable)],
        &[],
    );
    assert!(next_actions(&st, 2025)
        .iter()
        .all(|a| a.item_id != "mhlw.usb"));
}

#[test]
fn peer_figures_per_item() {
    let c = cat();
    let seed = SeedPeers { catalogue: c };
    let figs = seed.item_figures("dev.diagram");
    let pct: Vec<f64> = figs.iter().map(|f| f.percent).collect();
    assert_eq!(pct, vec![29.0, 23.0, 9.0]);
    assert!(figs[1].ja.contains("23%"));
    assert!(figs[1].citation_ja().contains("n=170"));
    assert_eq!(figs[2].group, PeerGroup::NationalUniversity);
    // "67% do not check" means 33% do.
    let os = seed.item_figures("dev.os_av");
    assert_eq!(os[0].meets_percent(), 33.0);
    // The seed has no cohort distribution: no percentile.
    let cohort = Cohort {
        hospital_type: HospitalType::General,
        bed_band: BedBand::of(400),
    };
    assert_eq!(seed.score_percentile(cohort, 2025, 55.0), None);
    assert_eq!(seed.source(), PeerSource::Seed);

    // A hub's anonymised aggregate gives a percentile; small cohorts are withheld.
    let agg = |hospitals| CohortAggregate {
        cohort,
        fiscal_year: 2025,
        hospitals,
        score_deciles: vec![
            10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0, 100.0,
        ],
        item_yes_percent: [("dev.diagram".to_string(), 31.0)].into_iter().collect(),
    };
    let hub = HubAggregates {
        seed: SeedPeers { catalogue: c },
        cohorts: vec![agg(12)],
    };
    let p = hub.score_percentile(cohort, 2025, 55.0).unwrap();
    assert_eq!(p.percentile, 45.0);
    assert_eq!(p.cohort_hospitals, 12);
    assert_eq!(
        hub.score_percentile(cohort, 2025, 5.0).unwrap().percentile,
        0.0
    );
    assert_eq!(
        hub.score_percentile(cohort, 2025, 100.0)
            .unwrap()
            .percentile,
        100.0
    );
    assert_eq!(
        hub.score_percentile(cohort, 2025, 92.5).unwrap().percentile,
        85.0
    );
    assert_eq!(
        hub.item_yes_percent(cohort, 2025, "dev.diagram"),
        Some(31.0)
    );
    assert_eq!(hub.score_percentile(cohort, 2024, 55.0), None);
    assert_eq!(hub.item_figures("dev.diagram").len(), 3);
    let small = HubAggregates {
        seed: SeedPeers { catalogue: c },
        cohorts: vec![agg(MIN_COHORT_HOSPITALS - 1)],
    };
    assert_eq!(small.score_percentile(cohort, 2025, 55.0), None);
}

#[test]
fn manufacturer_self_assessment() {
    let s = Survey::builtin();
    assert_eq!(s.questions.len(), 78);
    let mut me = SelfAssessment::default();
    me.answer(s, 1, SurveyAnswer::Single("class3".into()))
        .unwrap();
    assert_eq!(me.licence_class, Some(LicenceClass::Third));
    me.answer(s, 13, SurveyAnswer::Single("done".into()))
        .unwrap();
    me.answer(s, 17, SurveyAnswer::Single("preparing".into()))
        .unwrap();
    me.answer(s, 15, SurveyAnswer::Single("not_started".into()))
        .unwrap();
    me.answer(s, 23, SurveyAnswer::Single("mfg_via_mah".into()))
        .unwrap();
    me.answer(
        s,
        60,
        SurveyAnswer::Multi(vec!["sbom".into(), "eol".into()]),
    )
    .unwrap();
    me.answer(s, 71, SurveyAnswer::Text("窓口がわからない".into()))
        .unwrap();
    // Refused: an unknown option, a category that is not a questionnaire choice, a wrong kind.
    assert!(me
        .answer(s, 13, SurveyAnswer::Single("maybe".into()))
        .is_err());
    assert!(me
        .answer(s, 60, SurveyAnswer::Multi(vec!["sds".into()]))
        .is_err());
    assert!(me
        .answer(
            s,
            60,
            SurveyAnswer::Multi(vec!["sbom".into(), "sbom".into()])
        )
        .is_err());
    assert!(me.answer(s, 13, SurveyAnswer::Text("x".into())).is_err());
    assert!(matches!(
        me.answer(s, 79, SurveyAnswer::Text("x".into())),
        Err(ChecklistError::UnknownQuestion { .. })
    ));

    let m = me.maturity(s);
    let area = |a: Area| m.iter().find(|x| x.area == a).unwrap();
    // 体制: 13 done (2/2) + 17 preparing (1/2) = 3/4 = 75%.
    assert_eq!(area(Area::Governance).percent(), Some(75.0));
    assert_eq!(area(Area::Sbom).percent(), Some(0.0));
    // 23 answered "handled by the MAH": not applicable, no score.
    assert_eq!(area(Area::Disclosure).percent(), None);

    // Position among 第三種 companies on 設問13: done = 16 of 26.
    let pos = me.position(s, 13).unwrap();
    assert_eq!(pos.respondents, 26);
    assert_eq!(
        pos.same_or_better_percent,
        (1000.0 * 16.0 / 26.0_f64).round() / 10.0
    );
    // 設問15 not started: everyone is at or above.
    assert_eq!(me.position(s, 15).unwrap().same_or_better_percent, 100.0);

    // Distribution by licence class for a multi-choice question.
    let q60 = s.question(60).unwrap().distribution();
    let sbom = q60.iter().find(|d| d.option == "sbom").unwrap();
    assert_eq!((sbom.by_class, sbom.total), (Some([52, 19, 8]), 79));
    // Peer maturity is computed for every scored area and is lower for 第三種 in 体制.
    let all = s.peer_maturity(None);
    let third = s.peer_maturity(Some(LicenceClass::Third));
    for a in &all {
        let p = a.percent().unwrap();
        assert!((0.0..=100.0).contains(&p), "{:?}", a);
    }
    assert!(third[0].percent().unwrap() < all[0].percent().unwrap());
}
