//! The executive report (`/report` HTML, `/report.pdf`), and [`gather`], which the `mdsec report`
//! command uses too: store records → [`ReportData`] in the reader's language. The report crate does
//! the drawing; this module decides what goes in it.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::pages::checklist::{current_fiscal_year, facts_from_counts, to_answer};
use crate::pages::intel::reason_label;
use crate::policy;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use mdsec_checklist::{
    evaluate, next_actions, propose, AnswerSource, AnswerValue, BedBand, Catalogue, Cohort,
    FiscalYear, History, HospitalType, PeerAggregates, PeerGroup, ScoreCard, SeedPeers, Weight,
};
use mdsec_domain::DeviceStatus;
use mdsec_report::{
    ActNowDevice, ActNowSummary, ChecklistSummary, EosDevice, EosSummary, FlaggedLine, PeerLine,
    PeerSummary, PercentileFigure, RemoteLineSummary, ReportData, SectionScore, TrendPoint,
    UnmetItem, MAX_ACT_NOW, MAX_EOS, MAX_FLAGGED_LINES, MAX_PEER_LINES,
};
use mdsec_store::{Device, Store, StoreError};
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::OnceLock;

impl mdsec_report::Text for Lang {
    fn t<'a>(&'a self, key: &'a str) -> &'a str {
        Lang::t(*self, key)
    }
}

pub fn report_lang(l: Lang) -> mdsec_report::Lang {
    match l {
        Lang::Ja => mdsec_report::Lang::Ja,
        Lang::En => mdsec_report::Lang::En,
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GatherError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Checklist(String),
}

impl From<GatherError> for WebError {
    fn from(e: GatherError) -> Self {
        match e {
            GatherError::Store(s) => s.into(),
            GatherError::Checklist(m) => {
                WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "checklist", m)
            }
        }
    }
}

fn device_label(d: &Device) -> String {
    let f = &d.fields;
    [&f.manufacturer, &f.model, &f.software_version]
        .iter()
        .filter_map(|v| v.as_deref())
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_live(d: &Device) -> bool {
    !d.deleted && d.fields.status != DeviceStatus::Disposed
}

/// Everything the report shows, from the store, for fiscal year `fy` (default: the current one).
pub async fn gather(
    store: &dyn Store,
    l: Lang,
    fy: Option<FiscalYear>,
    today: &str,
) -> Result<ReportData, GatherError> {
    let cat = Catalogue::builtin();
    let fy = fy.unwrap_or_else(|| current_fiscal_year(cat, today));
    let profile = store.checklist_profile().await?;
    let version = cat.version(fy, profile.include_hhs).map_err(|e| {
        GatherError::Checklist(match l {
            Lang::Ja => e.ja(),
            Lang::En => e.to_string(),
        })
    })?;
    let ja = l == Lang::Ja;

    // Checklist: the same evaluation as /checklist (saved answers, else mdsec's proposals).
    let counts = store.checklist_counts(today).await?;
    let mut facts = facts_from_counts(&counts, today);
    let lines = store.list_remote_lines().await?;
    facts.remote_lines_registered = Some(lines.iter().filter(|l| !l.retired).count() as u64);
    let mut history = History::new();
    for r in &store.checklist_answers(None).await? {
        if let Some(a) = to_answer(r) {
            // Rows of editions that no longer exist are left out, as on /checklist.
            let _ = history.record(cat, profile.include_hhs, a);
        }
    }
    let mut proposals = propose(&version, &facts);
    if let Ok(carried) = history.carry_forward(cat, fy.saturating_sub(1), fy, profile.include_hhs) {
        for c in carried {
            if !proposals.iter().any(|p| p.item_id == c.item_id) {
                proposals.push(c);
            }
        }
    }
    let statuses = evaluate(&version, &history.answers(fy), &proposals);
    let card = ScoreCard::of(&version, &statuses);
    let answered = statuses.iter().filter(|s| s.effective.is_some()).count() as u32;
    // The headline score needs at least one answer a person saved: mdsec's proposals alone (e.g.
    // "no ledger yet" on an empty database) would make a score nobody gave.
    let confirmed = statuses.iter().any(|s| s.source == AnswerSource::Saved);
    let checklist = confirmed.then(|| ChecklistSummary {
        percent: card.overall.percent(),
        earned: card.overall.earned,
        possible: card.overall.possible,
        items: statuses.len() as u32,
        answered,
        proposed: statuses
            .iter()
            .filter(|s| s.source == AnswerSource::Proposed)
            .count() as u32,
        sections: card
            .sections
            .iter()
            .map(|(id, s)| SectionScore {
                label: cat
                    .section(id)
                    .map(|s| if ja { s.ja.clone() } else { s.en.clone() })
                    .unwrap_or_else(|| id.clone()),
                percent: s.percent(),
            })
            .collect(),
        trend: history
            .trend(cat, profile.include_hhs)
            .unwrap_or_default()
            .iter()
            .map(|c| TrendPoint {
                fiscal_year: c.fiscal_year,
                percent: c.overall.percent(),
            })
            .collect(),
    });
    let unmet_inspection = if checklist.is_some() {
        next_actions(&statuses, fy)
            .into_iter()
            .filter(|a| a.weight == Weight::Inspection)
            .map(|a| UnmetItem {
                reference: a.reference,
                title: if ja { a.title_ja } else { a.title_en },
                answered_no: a.answer == Some(AnswerValue::No),
            })
            .collect()
    } else {
        Vec::new()
    };

    // Peers: the seed's per-item figures for the weightiest items; a percentile once a hub
    // supplies cohort aggregates (the seed has none, so today there is none).
    let seed = SeedPeers { catalogue: cat };
    let hospital_type = profile
        .hospital_type
        .as_deref()
        .and_then(HospitalType::from_code);
    let group = match hospital_type {
        Some(HospitalType::SpecialFunctioning) => PeerGroup::NationalUniversity,
        _ => PeerGroup::Shibyokyo,
    };
    let percentile = match (hospital_type, profile.beds, card.overall.percent()) {
        (Some(t), Some(beds), Some(score)) if checklist.is_some() => {
            let cohort = Cohort {
                hospital_type: t,
                bed_band: BedBand::of(beds.clamp(0, u32::MAX as i64) as u32),
            };
            seed.score_percentile(cohort, fy, score)
                .map(|p| PercentileFigure {
                    percentile: p.percentile,
                    cohort: format!("{}・{}", t.ja(), cohort.bed_band.ja()),
                    cohort_hospitals: p.cohort_hospitals,
                })
        }
        _ => None,
    };
    let mut by_weight: Vec<_> = statuses.iter().collect();
    by_weight.sort_by_key(|s| s.item.item.weight);
    let mut figures = Vec::new();
    let mut questions: Vec<String> = Vec::new();
    for st in by_weight {
        let all = seed.item_figures(&st.item.item.id);
        let Some(f) = all
            .iter()
            .find(|f| f.group == group)
            .or_else(|| all.first())
        else {
            continue;
        };
        if figures.len() >= MAX_PEER_LINES {
            break;
        }
        figures.push(PeerLine {
            label: if ja { st.item.ja() } else { st.item.en() }.to_string(),
            peers_percent: f.meets_percent(),
            hospital: match st.effective {
                Some(AnswerValue::Yes) => Some(true),
                Some(AnswerValue::No) => Some(false),
                _ => None,
            },
        });
        if !questions.contains(&f.question) {
            questions.push(f.question.clone());
        }
    }
    let citation = (!figures.is_empty()).then(|| {
        mdsec_report::fill(
            l.t("report.citation"),
            &[
                (
                    "group",
                    if ja { group.ja() } else { group.en() }.to_string(),
                ),
                ("n", group.respondents().to_string()),
                ("questions", questions.join(", ")),
            ],
        )
    });

    // Act now, end of support: the whole live ledger once, by id.
    let devices = store.live_devices().await?;
    let by_id: HashMap<i64, &Device> = devices.iter().map(|d| (d.id, d)).collect();
    let advisories = store.list_advisories(1, 0).await?.total;
    let priorities = store.device_priorities(true, MAX_ACT_NOW as i64, 0).await?;
    let act_now = ActNowSummary {
        intelligence_loaded: advisories > 0,
        devices_with_open_findings: priorities.total.max(0) as u64,
        top: priorities
            .items
            .iter()
            .filter_map(|p| {
                let d = by_id.get(&p.device_id)?;
                Some(ActNowDevice {
                    management_number: d.fields.management_number.clone().unwrap_or_default(),
                    device: device_label(d),
                    department: d.fields.department.clone().unwrap_or_default(),
                    score: p.score,
                    reasons: p
                        .reasons
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .take(3)
                                .map(|r| {
                                    reason_label(l, r["code"].as_str().unwrap_or("")).to_string()
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
            })
            .collect(),
    };
    let mut past: Vec<&Device> = devices
        .iter()
        .filter(|d| is_live(d) && d.fields.is_past_eos(today))
        .collect();
    past.sort_by(|a, b| {
        a.fields
            .eos_date
            .cmp(&b.fields.eos_date)
            .then(a.id.cmp(&b.id))
    });
    let eos = EosSummary {
        devices_total: counts.devices_total.max(0) as u64,
        with_eos_date: counts.devices_with_eos_date.max(0) as u64,
        past_eos: counts.devices_past_eos.max(0) as u64,
        list: past
            .iter()
            .take(MAX_EOS)
            .map(|d| EosDevice {
                management_number: d.fields.management_number.clone().unwrap_or_default(),
                device: device_label(d),
                department: d.fields.department.clone().unwrap_or_default(),
                eos_date: d.fields.eos_date.clone().unwrap_or_default(),
            })
            .collect(),
    };

    // Remote lines: counts of warnings, always-on lines first.
    let live_lines: Vec<_> = lines.iter().filter(|l| !l.retired).collect();
    let flags: Vec<Vec<&'static str>> = live_lines.iter().map(|x| x.flags(today)).collect();
    let count = |f: &dyn Fn(&[&str]) -> bool| flags.iter().filter(|x| f(x)).count() as u64;
    let mut flagged: Vec<(usize, &Vec<&str>)> = flags
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.is_empty())
        .collect();
    flagged.sort_by_key(|(i, f)| (!f.contains(&"always_on"), *i));
    let remote_lines = RemoteLineSummary {
        lines: live_lines.len() as u64,
        always_on: count(&|f| f.contains(&"always_on")),
        review_due: count(&|f| f.contains(&"never_reviewed") || f.contains(&"review_overdue")),
        no_owner: count(&|f| f.contains(&"no_owner")),
        flagged: flagged
            .into_iter()
            .take(MAX_FLAGGED_LINES)
            .map(|(i, f)| {
                let line = live_lines[i];
                FlaggedLine {
                    vendor: line.vendor.clone(),
                    method: if ja {
                        line.method.label_ja()
                    } else {
                        line.method.label_en()
                    }
                    .to_string(),
                    devices: line.device_ids.len() as u64,
                    flags: f.iter().map(|c| l.t(flag_key(c)).to_string()).collect(),
                    always_on: f.contains(&"always_on"),
                }
            })
            .collect(),
    };

    Ok(ReportData {
        lang: report_lang(l),
        hospital_name: profile.hospital_name.clone(),
        fiscal_year: fy,
        generated_on: today.to_string(),
        checklist,
        peers: PeerSummary {
            percentile,
            figures,
            citation,
        },
        act_now,
        unmet_inspection,
        eos,
        remote_lines,
    })
}

fn flag_key(code: &str) -> &'static str {
    match code {
        "always_on" => "remote.flag.always_on",
        "never_reviewed" => "remote.flag.never_reviewed",
        "review_overdue" => "remote.flag.review_overdue",
        "no_owner" => "remote.flag.no_owner",
        "no_endpoint" => "remote.flag.no_endpoint",
        _ => "remote.flag.other",
    }
}

/// The Japanese font, read once per process once found (installing it later needs no restart).
pub fn report_font() -> Result<&'static mdsec_report::FontFile, mdsec_report::ReportError> {
    static FONT: OnceLock<mdsec_report::FontFile> = OnceLock::new();
    if let Some(f) = FONT.get() {
        return Ok(f);
    }
    let f = mdsec_report::find_font()?;
    Ok(FONT.get_or_init(|| f))
}

/// CSP of the report page: nothing but its own `<style>` block (allowed by hash), no script.
fn report_csp() -> String {
    use base64::Engine;
    use sha2::Digest;
    let hash = sha2::Sha256::digest(mdsec_report::html::CSS.as_bytes());
    format!(
        "default-src 'none'; style-src 'sha256-{}'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

#[derive(Debug, Deserialize)]
pub struct ReportQuery {
    pub fy: Option<FiscalYear>,
}

/// `/report`: the one-page report as HTML, for executives and officers.
pub async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> WebResult<Response> {
    if !policy::can_view_report(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let today = crate::pages::checklist::today();
    let data = gather(state.app.store.as_ref(), l, q.fy, &today).await?;
    let fy = data.fiscal_year;
    let tools = vec![
        (
            format!("/report.pdf?fy={fy}"),
            l.t("report.download_pdf").to_string(),
        ),
        (
            format!(
                "/lang/{}?next={}",
                l.other().code(),
                crate::context::urlencode(&ctx.uri)
            ),
            l.t("nav.switch_lang").to_string(),
        ),
        ("/checklist".to_string(), l.t("nav.checklist").to_string()),
    ];
    let body = mdsec_report::render_html(&data, &l, &tools);
    let mut res = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&report_csp()) {
        res.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
    }
    Ok(res)
}

/// `/report.pdf`: the same report as a one-page PDF download.
pub async fn pdf(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<ReportQuery>,
) -> WebResult<Response> {
    if !policy::can_view_report(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let today = crate::pages::checklist::today();
    let data = gather(state.app.store.as_ref(), l, q.fy, &today).await?;
    let font = report_font().map_err(|e| {
        WebError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "report_font",
            e.to_string(),
        )
    })?;
    // A few tens of milliseconds (see bench/README.md): not worth a blocking thread.
    let bytes = mdsec_report::render_pdf(&data, &l, font)
        .map_err(|e| WebError::new(StatusCode::INTERNAL_SERVER_ERROR, "report", e.to_string()))?;
    let name = format!("mdsec-report-{}-{}.pdf", data.fiscal_year, l.code());
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}
