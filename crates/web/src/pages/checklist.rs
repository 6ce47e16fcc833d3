//! The hospital checklist (`/checklist`) and the manufacturer self-assessment (`/self-assessment`).
//!
//! Everything the checklist knows comes from `mdsec-checklist` (items, editions per fiscal year,
//! scores, pre-fill rules, peer figures) and the store's [`ChecklistStore`]; this module only renders
//! and checks forms. Answers are checked against their own fiscal year's edition before they are
//! saved; evidence files are size-limited and type-checked by content.

use crate::context::Ctx;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::pages::layout;
use crate::policy;
use crate::AppState;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use mdsec_checklist::{
    check_evidence_file, evaluate, next_actions, propose, Answer, AnswerSource, AnswerValue, Area,
    Catalogue, ChecklistError, ChecklistVersion, Facts, FiscalYear, History, ItemStatus,
    LicenceClass, PeerAggregates, QuestionKind, ScoreCard, SeedPeers, SelfAssessment, Survey,
    SurveyAnswer, Weight,
};
use mdsec_store::{
    ChecklistAnswerRecord, ChecklistCounts, EvidenceFileRecord, NewChecklistAnswer,
    NewEvidenceFile, StoreError,
};
use serde::Deserialize;

/// Facts for pre-filling, from the store's counts. What the store cannot know stays None.
pub fn facts_from_counts(c: &ChecklistCounts, today: &str) -> Facts {
    let u = |v: i64| Some(v.max(0) as u64);
    Facts {
        devices_total: u(c.devices_total),
        devices_with_network_info: u(c.devices_with_network_info),
        devices_with_segment: u(c.devices_with_segment),
        devices_remote_known: u(c.devices_remote_known),
        devices_with_remote_line: u(c.devices_with_remote_line),
        devices_with_os: u(c.devices_with_os),
        devices_with_eos_date: u(c.devices_with_eos_date),
        devices_past_eos: u(c.devices_past_eos),
        models_total: u(c.models_total),
        isso_accounts: u(c.isso_accounts),
        device_safety_accounts: u(c.device_safety_accounts),
        departments_total: u(c.departments_total),
        departments_with_contact: u(c.departments_with_contact),
        ledger_last_change_days: c
            .ledger_last_change
            .as_deref()
            .and_then(|t| days_between(t.get(..10)?, today)),
        ..Facts::default()
    }
}

/// Days from `from` to `to` (YYYY-MM-DD), never negative.
pub fn days_between(from: &str, to: &str) -> Option<u64> {
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    Some((day(to)? - day(from)?).num_days().max(0) as u64)
}

pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// The fiscal year of `today`, clamped to the years the checklist has.
pub fn current_fiscal_year(catalogue: &Catalogue, today: &str) -> FiscalYear {
    let years = catalogue.fiscal_years();
    let fy = mdsec_checklist::fiscal_year_of(today).unwrap_or(catalogue.latest_fiscal_year());
    match (years.first(), years.last()) {
        (Some(&first), Some(&last)) => fy.clamp(first, last),
        _ => fy,
    }
}

/// A stored answer as the checklist crate's answer (None if the row is not readable).
pub fn to_answer(r: &ChecklistAnswerRecord) -> Option<Answer> {
    Some(Answer {
        item_id: r.item_id.clone(),
        fiscal_year: FiscalYear::try_from(r.fiscal_year).ok()?,
        value: AnswerValue::parse(&r.answer).ok()?,
        target_date: r.target_date.clone(),
        owner: r.owner.clone(),
        note: r.note.clone(),
        link: r.link.clone(),
        files: Vec::new(),
    })
}

fn store_err(e: StoreError) -> WebError {
    match e {
        StoreError::Conflict(_) => WebError::new(StatusCode::CONFLICT, "conflict", e.to_string()),
        StoreError::NotFound(_) => WebError::not_found(),
        other => WebError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "store",
            other.to_string(),
        ),
    }
}

fn checklist_err(l: Lang, e: &ChecklistError) -> WebError {
    let msg = match l {
        Lang::Ja => e.ja(),
        Lang::En => e.to_string(),
    };
    WebError::new(StatusCode::UNPROCESSABLE_ENTITY, "checklist", msg)
}

#[derive(Debug, Deserialize)]
pub struct FyQuery {
    pub fy: Option<FiscalYear>,
}

pub async fn page(
    ctx: Ctx,
    State(state): State<AppState>,
    Query(q): Query<FyQuery>,
) -> WebResult<Response> {
    if !policy::can_view_checklist(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let cat = Catalogue::builtin();
    let today = today();
    let fy = q.fy.unwrap_or_else(|| current_fiscal_year(cat, &today));
    let store = &state.app.store;
    let profile = store.checklist_profile().await.map_err(store_err)?;
    let version = cat
        .version(fy, profile.include_hhs)
        .map_err(|e| checklist_err(l, &e))?;
    let counts = store.checklist_counts(&today).await.map_err(store_err)?;
    let mut facts = facts_from_counts(&counts, &today);
    if let Ok(lines) = store.list_remote_lines().await {
        facts.remote_lines_registered = Some(lines.iter().filter(|l| !l.retired).count() as u64);
    }
    let records = store.checklist_answers(None).await.map_err(store_err)?;
    let mut history = History::new();
    for r in &records {
        if let Some(a) = to_answer(r) {
            // Rows of editions that no longer exist are left out of scores, not fatal.
            let _ = history.record(cat, profile.include_hhs, a);
        }
    }
    let saved = history.answers(fy);
    let mut proposals = propose(&version, &facts);
    if let Ok(carried) = history.carry_forward(cat, fy.saturating_sub(1), fy, profile.include_hhs) {
        for c in carried {
            if !proposals.iter().any(|p| p.item_id == c.item_id) {
                proposals.push(c);
            }
        }
    }
    let statuses = evaluate(&version, &saved, &proposals);
    let card = ScoreCard::of(&version, &statuses);
    let trend = history.trend(cat, profile.include_hhs).unwrap_or_default();
    let actions = next_actions(&statuses, fy);
    let evidence = store
        .checklist_evidence(fy as i64, None)
        .await
        .map_err(store_err)?;
    let versions: Vec<(String, i64)> = records
        .iter()
        .filter(|r| r.fiscal_year == fy as i64)
        .map(|r| (r.item_id.clone(), r.version))
        .collect();
    let can_answer = policy::can_answer_checklist(&ctx.user);
    let body = render(
        &ctx, &version, &statuses, &card, &trend, &actions, &evidence, &versions, can_answer,
    );
    Ok(layout(&ctx, l.t("checklist.title"), body).into_response())
}

fn pct(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}")).unwrap_or_else(|| "—".into())
}

fn weight_label(l: Lang, w: Weight) -> &'static str {
    match w {
        Weight::Inspection => l.t("checklist.weight.inspection"),
        Weight::Guidance => l.t("checklist.weight.guidance"),
        Weight::Enhanced => l.t("checklist.weight.enhanced"),
    }
}

fn answer_label(l: Lang, a: AnswerValue) -> &'static str {
    match a {
        AnswerValue::Yes => l.t("checklist.answer.yes"),
        AnswerValue::No => l.t("checklist.answer.no"),
        AnswerValue::NotApplicable => l.t("checklist.answer.na"),
    }
}

#[allow(clippy::too_many_arguments)]
fn render(
    ctx: &Ctx,
    version: &ChecklistVersion<'_>,
    statuses: &[ItemStatus<'_>],
    card: &ScoreCard,
    trend: &[ScoreCard],
    actions: &[mdsec_checklist::NextAction],
    evidence: &[EvidenceFileRecord],
    versions: &[(String, i64)],
    can_answer: bool,
) -> Markup {
    let l = ctx.lang;
    let en = l == Lang::En;
    let cat = version.catalogue;
    let fy = version.fiscal_year;
    let peers = SeedPeers { catalogue: cat };
    let years = cat.fiscal_years();
    html! {
        h1 { (l.t("checklist.title")) " " (fy) " " (l.t("checklist.fiscal_year_suffix")) }
        nav.tabs #checklist-years {
            @for y in &years {
                a href={ "/checklist?fy=" (y) } class=@if *y == fy { "active" } { (y) " " (l.t("checklist.fiscal_year_suffix")) }
            }
        }
        section #checklist-score {
            h2 { (l.t("checklist.score")) }
            p.big #score-overall { (pct(card.overall.percent())) " " (l.t("checklist.points")) }
            meter min="0" max="100" value=(card.overall.percent().unwrap_or(0.0)) {}
            p.muted {
                (l.t("checklist.score_detail")) ": " (card.overall.earned) " / " (card.overall.possible)
                " · " (l.t("checklist.answer.yes")) " " (card.overall.yes)
                " · " (l.t("checklist.answer.no")) " " (card.overall.no)
                " · " (l.t("checklist.answer.na")) " " (card.overall.not_applicable)
                " · " (l.t("checklist.unanswered")) " " (card.overall.unanswered)
            }
            p.muted { (l.t("checklist.score_rule")) }
            table #score-sections {
                tbody {
                    @for (id, s) in &card.sections {
                        tr {
                            th { (cat.section(id).map(|s| if en { s.en.as_str() } else { s.ja.as_str() }).unwrap_or(id)) }
                            td { meter min="0" max="100" value=(s.percent().unwrap_or(0.0)) {} }
                            td.num { (pct(s.percent())) }
                            td.num.muted { (s.earned) " / " (s.possible) }
                        }
                    }
                }
            }
            @if !trend.is_empty() {
                h3 { (l.t("checklist.trend")) }
                ul #score-trend {
                    @for c in trend {
                        li { (c.fiscal_year) " " (l.t("checklist.fiscal_year_suffix")) ": " (pct(c.overall.percent())) " " (l.t("checklist.points")) " " span.muted { "(" (l.t("checklist.saved_only")) ")" } }
                    }
                }
            }
            h3 { (l.t("checklist.peers")) }
            p.muted { (l.t("checklist.percentile_pending")) }
            ul {
                @for s in &cat.self_scores {
                    li { (if en { &s.en } else { &s.ja }) }
                }
            }
        }
        section #next-actions {
            h2 { (l.t("checklist.next_actions")) }
            @if actions.is_empty() {
                p { (l.t("checklist.all_done")) }
            }
            ol {
                @for a in actions.iter().take(10) {
                    li {
                        strong { (a.reference) " " (if en { &a.title_en } else { &a.title_ja }) }
                        " " span.badge { (weight_label(l, a.weight)) }
                        p { (if en { &a.how_en } else { &a.how_ja }) }
                        @if let Some(link) = &a.link {
                            a href=(link) { (l.t("checklist.open_page")) " " (link) }
                        }
                    }
                }
            }
        }
        section #checklist-items {
            h2 { (l.t("checklist.items")) }
            p.muted { (l.t("checklist.proposed_note")) }
            @for sec in version.sections() {
                h3 { (if en { &sec.en } else { &sec.ja }) }
                @for st in statuses.iter().filter(|s| s.item.item.section == sec.id) {
                    (item_block(ctx, st, fy, &peers, evidence, versions, can_answer))
                }
            }
        }
    }
}

fn item_block(
    ctx: &Ctx,
    st: &ItemStatus<'_>,
    fy: FiscalYear,
    peers: &SeedPeers<'_>,
    evidence: &[EvidenceFileRecord],
    versions: &[(String, i64)],
    can_answer: bool,
) -> Markup {
    let l = ctx.lang;
    let en = l == Lang::En;
    let it = st.item.item;
    let saved = st.saved.as_ref();
    let version = versions
        .iter()
        .find(|(id, _)| *id == it.id)
        .map(|(_, v)| *v)
        .unwrap_or(0);
    let files: Vec<&EvidenceFileRecord> = evidence.iter().filter(|e| e.item_id == it.id).collect();
    let figures = peers.item_figures(&it.id);
    html! {
        article.item id={ "item-" (it.id) } data-answer=(st.effective.map(|a| a.code()).unwrap_or("")) data-source=(match st.source { AnswerSource::Saved => "saved", AnswerSource::Proposed => "proposed", AnswerSource::None => "none" }) {
            header {
                span.ref { (st.item.reference()) }
                " " span.badge { (weight_label(l, it.weight)) }
                " "
                span.answer {
                    @match st.effective {
                        Some(a) => { (answer_label(l, a)) @if st.source == AnswerSource::Proposed { " " (l.t("checklist.proposed_mark")) } }
                        None => { (l.t("checklist.unanswered")) }
                    }
                }
            }
            p { (if en { st.item.en() } else { st.item.ja() }) }
            @if let Some(p) = &st.proposal {
                p.evidence { strong { (l.t("checklist.mdsec_evidence")) ": " } (if en { &p.evidence_en } else { &p.evidence_ja }) }
            }
            @if let Some(a) = saved {
                dl.saved {
                    @if let Some(d) = &a.target_date { dt { (l.t("checklist.target_date")) } dd { (d) } }
                    @if let Some(o) = &a.owner { dt { (l.t("checklist.owner")) } dd { (o) } }
                    @if let Some(n) = &a.note { dt { (l.t("checklist.note")) } dd { (n) } }
                    @if let Some(k) = &a.link { dt { (l.t("checklist.link")) } dd { @if crate::context::is_local_path(k) || k.starts_with("https://") || k.starts_with("http://") { a href=(k) rel="noopener noreferrer" { (k) } } @else { (k) } } }
                }
            }
            @if !files.is_empty() {
                ul.files {
                    @for f in &files {
                        li { a href={ "/checklist/evidence/" (f.id) } { (f.name) } " (" (f.size) " B)" }
                    }
                }
            }
            @for f in &figures {
                p.peer { (l.t("checklist.peer_label")) ": " (if en { &f.en } else { &f.ja }) br; small.muted { (if en { f.citation_en() } else { f.citation_ja() }) } }
            }
            @if can_answer {
                details {
                    summary { (l.t("checklist.edit")) }
                    form.answer method="post" action="/checklist/answer" {
                        input type="hidden" name="_csrf" value=(ctx.csrf());
                        input type="hidden" name="fy" value=(fy);
                        input type="hidden" name="item" value=(it.id);
                        input type="hidden" name="expected_version" value=(version);
                        label { (l.t("checklist.answer")) " "
                            select name="answer" {
                                @for v in AnswerValue::ALL {
                                    option value=(v.code()) selected[st.effective == Some(v)] { (answer_label(l, v)) }
                                }
                            }
                        }
                        label { (l.t("checklist.target_date")) " " input type="date" name="target_date" value=(saved.and_then(|a| a.target_date.clone()).unwrap_or_default()); }
                        label { (l.t("checklist.owner")) " " input type="text" name="owner" maxlength="200" value=(saved.and_then(|a| a.owner.clone()).unwrap_or_default()); }
                        label { (l.t("checklist.link")) " " input type="text" name="link" maxlength="2048" value=(saved.and_then(|a| a.link.clone()).unwrap_or_default()); }
                        label { (l.t("checklist.note")) " " textarea name="note" maxlength="4000" { (saved.and_then(|a| a.note.clone()).unwrap_or_default()) } }
                        button type="submit" { (l.t("checklist.save")) }
                    }
                    form.evidence method="post" action="/checklist/evidence" enctype="multipart/form-data" {
                        input type="hidden" name="_csrf" value=(ctx.csrf());
                        input type="hidden" name="fy" value=(fy);
                        input type="hidden" name="item" value=(it.id);
                        label { (l.t("checklist.evidence_file")) " " input type="file" name="file" accept=".pdf,.png,.jpg,.jpeg,.txt,.csv,.md,.xlsx,.docx,.pptx"; }
                        button type="submit" { (l.t("checklist.upload")) }
                    }
                }
            }
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct AnswerForm {
    pub _csrf: Option<String>,
    pub fy: FiscalYear,
    pub item: String,
    pub answer: String,
    pub target_date: Option<String>,
    pub owner: Option<String>,
    pub note: Option<String>,
    pub link: Option<String>,
    pub expected_version: Option<i64>,
}

fn blank_to_none(s: Option<String>) -> Option<String> {
    s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

pub async fn answer(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(f): Form<AnswerForm>,
) -> WebResult<Response> {
    ctx.check_csrf(f._csrf.as_deref())?;
    if !policy::can_answer_checklist(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let cat = Catalogue::builtin();
    let store = &state.app.store;
    let profile = store.checklist_profile().await.map_err(store_err)?;
    let version = cat
        .version(f.fy, profile.include_hhs)
        .map_err(|e| checklist_err(l, &e))?;
    let value = AnswerValue::parse(&f.answer).map_err(|e| checklist_err(l, &e))?;
    let a = Answer {
        item_id: f.item.clone(),
        fiscal_year: f.fy,
        value,
        target_date: blank_to_none(f.target_date),
        owner: blank_to_none(f.owner),
        note: blank_to_none(f.note),
        link: blank_to_none(f.link),
        files: Vec::new(),
    };
    version.check(&a).map_err(|e| checklist_err(l, &e))?;
    store
        .save_checklist_answer(
            &ctx.actor(),
            NewChecklistAnswer {
                fiscal_year: f.fy as i64,
                item_id: a.item_id,
                answer: value.code().to_string(),
                target_date: a.target_date,
                owner: a.owner,
                note: a.note,
                link: a.link,
            },
            f.expected_version,
        )
        .await
        .map_err(store_err)?;
    Ok(Redirect::to(&format!("/checklist?fy={}#item-{}", f.fy, f.item)).into_response())
}

pub async fn evidence_upload(
    ctx: Ctx,
    State(state): State<AppState>,
    mut multipart: Multipart,
) -> WebResult<Response> {
    if !policy::can_answer_checklist(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let (mut csrf, mut fy, mut item, mut file) = (None, None, None, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| WebError::bad_request(e.to_string()))?
    {
        match field.name().unwrap_or("") {
            "_csrf" => csrf = field.text().await.ok(),
            "fy" => {
                fy = field
                    .text()
                    .await
                    .ok()
                    .and_then(|t| t.trim().parse::<FiscalYear>().ok())
            }
            "item" => item = field.text().await.ok(),
            "file" => {
                let name = field.file_name().unwrap_or("upload").to_string();
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| WebError::bad_request(e.to_string()))?;
                file = Some((name, bytes));
            }
            _ => {}
        }
    }
    ctx.check_csrf(csrf.as_deref())?;
    let (Some(fy), Some(item), Some((name, bytes))) = (fy, item, file) else {
        return Err(WebError::bad_request(l.t("checklist.no_file")));
    };
    let cat = Catalogue::builtin();
    let profile = state
        .app
        .store
        .checklist_profile()
        .await
        .map_err(store_err)?;
    let version = cat
        .version(fy, profile.include_hhs)
        .map_err(|e| checklist_err(l, &e))?;
    version.require(&item).map_err(|e| checklist_err(l, &e))?;
    let checked = check_evidence_file(&name, &bytes).map_err(|e| checklist_err(l, &e))?;
    state
        .app
        .store
        .add_checklist_evidence(
            &ctx.actor(),
            NewEvidenceFile {
                fiscal_year: fy as i64,
                item_id: item.clone(),
                name: checked.name,
                media_type: checked.media_type,
                sha256: checked.sha256,
                content: bytes.to_vec(),
            },
        )
        .await
        .map_err(store_err)?;
    Ok(Redirect::to(&format!("/checklist?fy={fy}#item-{item}")).into_response())
}

pub async fn evidence_download(
    ctx: Ctx,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> WebResult<Response> {
    if !policy::can_view_checklist(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let Some((rec, bytes)) = state
        .app
        .store
        .checklist_evidence_content(id)
        .await
        .map_err(store_err)?
    else {
        return Err(WebError::not_found());
    };
    // Always a download, never rendered in the page's origin.
    let ascii: String = rec
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let disposition = format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{}",
        crate::context::urlencode(&rec.name)
    );
    Ok((
        [
            (header::CONTENT_TYPE, rec.media_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

// ---------------------------------------------------------------- manufacturer self-assessment

fn assessment_key(ctx: &Ctx) -> String {
    ctx.user
        .manufacturer
        .clone()
        .unwrap_or_else(|| format!("user:{}", ctx.user.username))
}

fn area_label(l: Lang, a: Area) -> &'static str {
    if l == Lang::En {
        a.en()
    } else {
        a.ja()
    }
}

pub async fn self_assessment(ctx: Ctx, State(state): State<AppState>) -> WebResult<Response> {
    if !policy::can_self_assess(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let survey = Survey::builtin();
    let me: SelfAssessment = state
        .app
        .store
        .manufacturer_assessment(&assessment_key(&ctx))
        .await
        .map_err(store_err)?
        .and_then(|r| serde_json::from_str(&r.answers_json).ok())
        .unwrap_or_default();
    let body = render_survey(&ctx, survey, &me, None);
    Ok(layout(&ctx, l.t("survey.title"), body).into_response())
}

fn render_survey(ctx: &Ctx, survey: &Survey, me: &SelfAssessment, error: Option<&str>) -> Markup {
    let l = ctx.lang;
    let en = l == Lang::En;
    let mine = me.maturity(survey);
    let all = survey.peer_maturity(None);
    let class = me.licence_class;
    let same_class = class.map(|c| survey.peer_maturity(Some(c)));
    html! {
        h1 { (l.t("survey.title")) }
        p.muted { (l.t("survey.lead")) }
        @if let Some(e) = error { div.errors role="alert" #survey-error { p { (e) } } }
        section #maturity {
            h2 { (l.t("survey.maturity")) }
            table {
                thead { tr { th { (l.t("survey.area")) } th { (l.t("survey.yours")) } th { (l.t("survey.all_companies")) } @if let Some(c) = class { th { (c.ja()) " " (l.t("survey.class_suffix")) } } } }
                tbody {
                    @for (i, m) in mine.iter().enumerate() {
                        tr data-area=(m.area.code()) {
                            th { (area_label(l, m.area)) }
                            td { meter min="0" max="100" value=(m.percent().unwrap_or(0.0)) {} " " span.num.yours { (pct(m.percent())) } }
                            td.num { (pct(all[i].percent())) }
                            @if let Some(sc) = &same_class { td.num { (pct(sc[i].percent())) } }
                        }
                    }
                }
            }
            p.muted { (l.t("survey.source")) }
        }
        form method="post" action="/self-assessment" #survey-form {
            input type="hidden" name="_csrf" value=(ctx.csrf());
            @for area in [Area::Profile, Area::Governance, Area::Sbom, Area::Vulnerability, Area::Disclosure, Area::Eol, Area::Cooperation] {
                h2 { (area_label(l, area)) }
                @for q in survey.questions.iter().filter(|q| q.area == area) {
                    fieldset.question id={ "q" (q.number) } {
                        legend { (l.t("survey.question")) " " (q.number) ": " (if en { &q.en } else { &q.ja }) }
                        @if let Some(c) = &q.condition_ja { @if !en { p.muted { (c) } } }
                        @match q.kind {
                            QuestionKind::Single => {
                                @for o in q.options.iter().filter(|o| o.questionnaire) {
                                    label { input type="radio" name={ "q" (q.number) } value=(o.code) checked[matches!(me.answers.get(&q.number), Some(SurveyAnswer::Single(c)) if *c == o.code)]; " " (if en { &o.en } else { &o.ja }) } br;
                                }
                            }
                            QuestionKind::Multi => {
                                @for o in q.options.iter().filter(|o| o.questionnaire) {
                                    label { input type="checkbox" name={ "q" (q.number) } value=(o.code) checked[matches!(me.answers.get(&q.number), Some(SurveyAnswer::Multi(cs)) if cs.contains(&o.code))]; " " (if en { &o.en } else { &o.ja }) } br;
                                }
                            }
                            QuestionKind::Text => {
                                textarea name={ "q" (q.number) } maxlength="4000" { @if let Some(SurveyAnswer::Text(t)) = me.answers.get(&q.number) { (t) } }
                            }
                            QuestionKind::Numbers => {
                                @for (i, o) in q.options.iter().enumerate() {
                                    label { (if en { &o.en } else { &o.ja }) " " input type="number" min="0" max="1000000" name={ "q" (q.number) } value=(match me.answers.get(&q.number) { Some(SurveyAnswer::Numbers(ns)) => ns.get(i).map(|n| n.to_string()).unwrap_or_default(), _ => String::new() }); } br;
                                }
                            }
                        }
                        (distribution(l, q, me))
                    }
                }
            }
            button type="submit" { (l.t("checklist.save")) }
        }
    }
}

fn distribution(l: Lang, q: &mdsec_checklist::Question, me: &SelfAssessment) -> Markup {
    let d = q.distribution();
    if d.is_empty() {
        return html! {};
    }
    let by_class = d.iter().all(|o| o.by_class.is_some());
    let single = q.kind == QuestionKind::Single;
    let col_total =
        |c: Option<LicenceClass>| -> u32 { d.iter().filter_map(|o| o.for_class(c)).sum() };
    let cell = |n: Option<u32>, total: u32| -> String {
        match n {
            Some(n) if single && total > 0 => {
                format!("{n} ({:.0}%)", 100.0 * n as f64 / total as f64)
            }
            Some(n) => n.to_string(),
            None => "—".into(),
        }
    };
    let position = me.position(Survey::builtin(), q.number);
    html! {
        details.distribution {
            summary { (l.t("survey.distribution")) }
            table {
                thead { tr {
                    th { (l.t("survey.answer")) }
                    @if by_class { @for c in LicenceClass::ALL { th { (c.ja()) } } }
                    th { (l.t("survey.total")) }
                } }
                tbody {
                    @for o in &d {
                        tr data-option=(o.option) {
                            td { (o.ja) }
                            @if by_class { @for c in LicenceClass::ALL { td.num { (cell(o.for_class(Some(c)), col_total(Some(c)))) } } }
                            td.num { (cell(Some(o.total), col_total(None))) }
                        }
                    }
                }
            }
            @if let Some(p) = position {
                p.position { (l.t("survey.position")) ": " (format!("{:.1}", p.same_or_better_percent)) "% (n=" (p.respondents) ")" }
            }
            small.muted { (q.seed.as_ref().map(|s| s.reference.as_str()).unwrap_or("")) }
        }
    }
}

pub async fn self_assessment_submit(
    ctx: Ctx,
    State(state): State<AppState>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> WebResult<Response> {
    let csrf = pairs
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str());
    ctx.check_csrf(csrf)?;
    if !policy::can_self_assess(&ctx.user) {
        return Err(WebError::forbidden());
    }
    let l = ctx.lang;
    let survey = Survey::builtin();
    let mut me = SelfAssessment::default();
    let mut result: Result<(), ChecklistError> = Ok(());
    for q in &survey.questions {
        let name = format!("q{}", q.number);
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        let answer = match q.kind {
            QuestionKind::Single => values
                .first()
                .filter(|v| !v.is_empty())
                .map(|v| SurveyAnswer::Single(v.to_string())),
            QuestionKind::Multi => (!values.is_empty())
                .then(|| SurveyAnswer::Multi(values.iter().map(|v| v.to_string()).collect())),
            QuestionKind::Text => values
                .first()
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| SurveyAnswer::Text(v.to_string())),
            QuestionKind::Numbers => {
                if values.iter().all(|v| v.trim().is_empty()) {
                    None
                } else {
                    let ns: Option<Vec<u32>> = values
                        .iter()
                        .map(|v| {
                            if v.trim().is_empty() {
                                Some(0)
                            } else {
                                v.trim().parse().ok()
                            }
                        })
                        .collect();
                    match ns {
                        Some(ns) => Some(SurveyAnswer::Numbers(ns)),
                        None => {
                            result = Err(ChecklistError::BadSurveyAnswer {
                                number: q.number,
                                reason: "数値ではありません / not a number".into(),
                            });
                            None
                        }
                    }
                }
            }
        };
        if let Some(a) = answer {
            if let Err(e) = me.answer(survey, q.number, a) {
                result = Err(e);
            }
        }
    }
    if let Err(e) = result {
        let msg = if l == Lang::En { e.to_string() } else { e.ja() };
        let body = render_survey(&ctx, survey, &me, Some(&msg));
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            layout(&ctx, l.t("survey.title"), body),
        )
            .into_response());
    }
    let json = serde_json::to_string(&me).map_err(|e| WebError::bad_request(e.to_string()))?;
    state
        .app
        .store
        .save_manufacturer_assessment(&ctx.actor(), &assessment_key(&ctx), &json)
        .await
        .map_err(store_err)?;
    Ok(Redirect::to("/self-assessment").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        assert_eq!(days_between("2024-12-31", "2025-01-01"), Some(1));
        assert_eq!(days_between("2025-06-01", "2025-01-01"), Some(0));
        assert_eq!(days_between("x", "2025-01-01"), None);
        let cat = Catalogue::builtin();
        assert_eq!(current_fiscal_year(cat, "2025-03-31"), 2024);
        assert_eq!(current_fiscal_year(cat, "2025-04-01"), 2025);
        assert_eq!(current_fiscal_year(cat, "2031-01-01"), 2025);
    }

    #[test]
    fn facts_keep_unknowns_unknown() {
        let f = facts_from_counts(
            &ChecklistCounts {
                devices_total: 10,
                ledger_last_change: Some("2025-05-01T00:00:00.000Z".into()),
                ..Default::default()
            },
            "2025-05-11",
        );
        assert_eq!(f.devices_total, Some(10));
        assert_eq!(f.ledger_last_change_days, Some(10));
        // The store does not know MDS2, SBOM or manufacturer contacts yet.
        assert_eq!(
            (
                f.models_with_mds2,
                f.models_with_sbom,
                f.manufacturers_with_contact
            ),
            (None, None, None)
        );
    }
}
