//! `mdsec checklist`: the hospital checklist for the hospital in the store — pre-filled answers with
//! their evidence, the score per section and overall, the trend across fiscal years, the next actions
//! and the seed's peer figures; `answer`, `evidence` and `profile` record what the hospital says.

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use mdsec_checklist::{
    check_evidence_file, evaluate, next_actions, propose, Answer, AnswerValue, Catalogue,
    ChecklistVersion, Facts, FiscalYear, History, ItemStatus, PeerAggregates, ScoreCard, SeedPeers,
    MAX_EVIDENCE_FILE_BYTES,
};
use mdsec_store::{Actor, ChecklistProfile, NewChecklistAnswer, NewEvidenceFile, Store};
use mdsec_web::pages::checklist::{current_fiscal_year, facts_from_counts, to_answer, today};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args, Debug)]
pub struct ChecklistArgs {
    #[command(subcommand)]
    pub action: Option<ChecklistAction>,
    /// Fiscal year (年度), e.g. 2025 for 令和7年度; default: the current one.
    #[arg(long, global = true)]
    pub fiscal_year: Option<FiscalYear>,
    /// One JSON object on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Language of the text output: ja or en.
    #[arg(long, default_value = "ja")]
    pub lang: String,
    /// How many next actions to print (text output).
    #[arg(long, default_value_t = 10)]
    pub actions: usize,
}

#[derive(Subcommand, Debug)]
pub enum ChecklistAction {
    /// Answer one item: yes/no/na (はい/いいえ/対象外).
    Answer {
        /// Item id, e.g. mhlw.backup (see `mdsec checklist --json`).
        item: String,
        value: String,
        /// For いいえ: when it will be done (YYYY-MM-DD).
        #[arg(long)]
        target_date: Option<String>,
        #[arg(long)]
        owner: Option<String>,
        /// Evidence note.
        #[arg(long)]
        note: Option<String>,
        /// Evidence link (http(s) URL or an mdsec path).
        #[arg(long)]
        link: Option<String>,
        /// Refuse if the saved answer's version is not this (0: must not exist yet).
        #[arg(long)]
        expected_version: Option<i64>,
        /// Account recorded in the audit log.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// Attach an evidence file (PDF, PNG, JPEG, text, xlsx/docx/pptx; at most 10 MiB) to an item.
    Evidence {
        item: String,
        file: PathBuf,
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// Set the hospital profile used for peer comparison.
    Profile {
        #[arg(long)]
        name: Option<String>,
        /// special_functioning (特定機能病院), general (一般病院) or psychiatric (精神科病院).
        #[arg(long = "type")]
        hospital_type: Option<String>,
        #[arg(long)]
        beds: Option<i64>,
        /// Include the optional HHS CPG layer.
        #[arg(long)]
        hhs: Option<bool>,
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
}

/// The store (the checklist interface is part of it).
pub struct Stores {
    pub main: Arc<dyn Store>,
}

impl Stores {
    fn checklist(&self) -> &dyn Store {
        self.main.as_ref()
    }
}

pub async fn run(global: &crate::cli::Global, args: ChecklistArgs) -> Result<ExitCode> {
    let stores = Stores {
        main: crate::cli::open_store(global).await?,
    };
    let catalogue = Catalogue::builtin();
    let today = today();
    let fy = match args.fiscal_year {
        Some(fy) => fy,
        None => current_fiscal_year(catalogue, &today),
    };
    let profile = stores.checklist().checklist_profile().await?;
    let version = catalogue
        .version(fy, profile.include_hhs)
        .map_err(|e| anyhow::anyhow!("{e}\n{}", e.ja()))?;
    match args.action {
        None => show(&stores, &version, &profile, &today, &args).await,
        Some(ChecklistAction::Answer {
            item,
            value,
            target_date,
            owner,
            note,
            link,
            expected_version,
            as_user,
        }) => {
            let actor = actor(&stores, &as_user).await?;
            let value =
                AnswerValue::parse(&value).map_err(|e| anyhow::anyhow!("{e}\n{}", e.ja()))?;
            let answer = Answer {
                item_id: item,
                fiscal_year: fy,
                value,
                target_date,
                owner,
                note,
                link,
                files: Vec::new(),
            };
            let warnings = version
                .check(&answer)
                .map_err(|e| anyhow::anyhow!("{e}\n{}", e.ja()))?;
            for w in &warnings {
                eprintln!("warning: {} / {}", w.ja, w.en);
            }
            let rec = stores
                .checklist()
                .save_checklist_answer(
                    &actor,
                    NewChecklistAnswer {
                        fiscal_year: fy as i64,
                        item_id: answer.item_id,
                        answer: answer.value.code().to_string(),
                        target_date: answer.target_date,
                        owner: answer.owner,
                        note: answer.note,
                        link: answer.link,
                    },
                    expected_version,
                )
                .await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rec)?);
            } else {
                eprintln!(
                    "{} 年度 {}: {}（版 {}）",
                    rec.fiscal_year,
                    rec.item_id,
                    value.ja(),
                    rec.version
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(ChecklistAction::Evidence {
            item,
            file,
            as_user,
        }) => {
            let actor = actor(&stores, &as_user).await?;
            version
                .require(&item)
                .map_err(|e| anyhow::anyhow!("{e}\n{}", e.ja()))?;
            let name = file.display().to_string();
            let size = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {name}"))?
                .len();
            if size > MAX_EVIDENCE_FILE_BYTES as u64 {
                bail!(
                    "{name}: {size} bytes is over the evidence limit of {MAX_EVIDENCE_FILE_BYTES} bytes / 根拠ファイルの上限を超えています"
                );
            }
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {name}"))?;
            let base = file
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            let checked = check_evidence_file(&base, &bytes)
                .map_err(|e| anyhow::anyhow!("{e}\n{}", e.ja()))?;
            let rec = stores
                .checklist()
                .add_checklist_evidence(
                    &actor,
                    NewEvidenceFile {
                        fiscal_year: fy as i64,
                        item_id: item,
                        name: checked.name,
                        media_type: checked.media_type,
                        sha256: checked.sha256,
                        content: bytes,
                    },
                )
                .await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rec)?);
            } else {
                eprintln!(
                    "attached {} ({} bytes) to {}",
                    rec.name, rec.size, rec.item_id
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(ChecklistAction::Profile {
            name,
            hospital_type,
            beds,
            hhs,
            as_user,
        }) => {
            let actor = actor(&stores, &as_user).await?;
            if let Some(t) = &hospital_type {
                if mdsec_checklist::HospitalType::from_code(t).is_none() {
                    bail!("unknown hospital type {t}: special_functioning, general or psychiatric");
                }
            }
            if beds.is_some_and(|b| !(0..=100_000).contains(&b)) {
                bail!("beds must be between 0 and 100000");
            }
            let p = ChecklistProfile {
                hospital_name: name.or(profile.hospital_name),
                hospital_type: hospital_type.or(profile.hospital_type),
                beds: beds.or(profile.beds),
                include_hhs: hhs.unwrap_or(profile.include_hhs),
            };
            stores
                .checklist()
                .set_checklist_profile(&actor, p.clone())
                .await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn actor(stores: &Stores, name: &str) -> Result<Actor> {
    Ok(match stores.main.get_user_by_name(name).await? {
        Some(u) => Actor::user(&u),
        None => Actor {
            user_id: None,
            username: name.to_string(),
        },
    })
}

async fn show(
    stores: &Stores,
    version: &ChecklistVersion<'_>,
    profile: &ChecklistProfile,
    today: &str,
    args: &ChecklistArgs,
) -> Result<ExitCode> {
    let catalogue = version.catalogue;
    let fy = version.fiscal_year;
    let counts = stores.checklist().checklist_counts(today).await?;
    let mut facts = facts_from_counts(&counts, today);
    if let Ok(lines) = stores.main.list_remote_lines().await {
        facts.remote_lines_registered = Some(lines.iter().filter(|l| !l.retired).count() as u64);
    }
    let all = stores.checklist().checklist_answers(None).await?;
    let mut history = History::new();
    let mut warnings = Vec::new();
    for r in &all {
        match to_answer(r) {
            Some(a) => {
                if let Err(e) = history.record(catalogue, profile.include_hhs, a) {
                    warnings.push(format!("{}/{}: {e}", r.fiscal_year, r.item_id));
                }
            }
            None => warnings.push(format!(
                "{}/{}: unreadable answer",
                r.fiscal_year, r.item_id
            )),
        }
    }
    let saved = history.answers(fy);
    let mut proposals = propose(version, &facts);
    // Last year's answers are proposals too, where mdsec has none of its own.
    if let Ok(carried) =
        history.carry_forward(catalogue, fy.saturating_sub(1), fy, profile.include_hhs)
    {
        for c in carried {
            if !proposals.iter().any(|p| p.item_id == c.item_id) {
                proposals.push(c);
            }
        }
    }
    let statuses = evaluate(version, &saved, &proposals);
    let card = ScoreCard::of(version, &statuses);
    let saved_only = ScoreCard::of(version, &evaluate(version, &saved, &[]));
    let trend = history
        .trend(catalogue, profile.include_hhs)
        .unwrap_or_default();
    let actions = next_actions(&statuses, fy);
    let evidence = stores
        .checklist()
        .checklist_evidence(fy as i64, None)
        .await?;
    let peers = SeedPeers { catalogue };
    if args.json {
        let v = to_json(
            version,
            profile,
            &statuses,
            &card,
            &saved_only,
            &trend,
            &actions,
            &peers,
            &evidence,
            &facts,
            &warnings,
        );
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        let en = args.lang == "en";
        print_text(
            version,
            profile,
            &statuses,
            &card,
            &saved_only,
            &trend,
            &actions,
            &peers,
            args.actions,
            en,
        );
        for w in &warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn score_json(s: &mdsec_checklist::Score) -> Value {
    json!({
        "percent": s.percent(),
        "earned": s.earned,
        "possible": s.possible,
        "yes": s.yes,
        "no": s.no,
        "not_applicable": s.not_applicable,
        "unanswered": s.unanswered,
    })
}

#[allow(clippy::too_many_arguments)]
fn to_json(
    version: &ChecklistVersion<'_>,
    profile: &ChecklistProfile,
    statuses: &[ItemStatus<'_>],
    card: &ScoreCard,
    saved_only: &ScoreCard,
    trend: &[ScoreCard],
    actions: &[mdsec_checklist::NextAction],
    peers: &SeedPeers<'_>,
    evidence: &[mdsec_store::EvidenceFileRecord],
    facts: &Facts,
    warnings: &[String],
) -> Value {
    let cat = version.catalogue;
    let sections: Vec<Value> = card
        .sections
        .iter()
        .map(|(id, s)| {
            let sec = cat.section(id);
            let mut v = score_json(s);
            v["id"] = json!(id);
            v["ja"] = json!(sec.map(|s| s.ja.as_str()));
            v["en"] = json!(sec.map(|s| s.en.as_str()));
            v
        })
        .collect();
    let items: Vec<Value> = statuses
        .iter()
        .map(|st| {
            let it = st.item.item;
            json!({
                "id": it.id,
                "reference": st.item.reference(),
                "reference_confirmed": st.item.edition.ref_confirmed,
                "layer": it.layer,
                "section": it.section,
                "weight": it.weight,
                "points": it.weight.points(),
                "effort": it.effort,
                "ja": st.item.ja(),
                "en": st.item.en(),
                "link": it.link,
                "answer": st.effective.map(|a| a.code()),
                "source": st.source,
                "saved": st.saved,
                "proposal": st.proposal,
                "evidence_files": evidence.iter().filter(|e| e.item_id == it.id).collect::<Vec<_>>(),
                "peers": peers.item_figures(&it.id).iter().map(|p| json!({
                    "id": p.id,
                    "group": p.group,
                    "respondents": p.group.respondents(),
                    "percent": p.percent,
                    "qualifier": p.qualifier,
                    "polarity": p.polarity,
                    "meets_percent": p.meets_percent(),
                    "ja": p.ja,
                    "en": p.en,
                    "citation_ja": p.citation_ja(),
                    "citation_en": p.citation_en(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "fiscal_year": version.fiscal_year,
        "include_hhs": version.include_hhs,
        "profile": profile,
        "facts": facts,
        "score": {
            "overall": score_json(&card.overall),
            "sections": sections,
            "saved_only": score_json(&saved_only.overall),
        },
        "trend": trend.iter().map(|c| json!({"fiscal_year": c.fiscal_year, "overall": score_json(&c.overall)})).collect::<Vec<_>>(),
        "items": items,
        "next_actions": actions,
        "self_score_reference": cat.self_scores,
        "percentile": Value::Null,
        "warnings": warnings,
    })
}

#[allow(clippy::too_many_arguments)]
fn print_text(
    version: &ChecklistVersion<'_>,
    profile: &ChecklistProfile,
    statuses: &[ItemStatus<'_>],
    card: &ScoreCard,
    saved_only: &ScoreCard,
    trend: &[ScoreCard],
    actions: &[mdsec_checklist::NextAction],
    peers: &SeedPeers<'_>,
    max_actions: usize,
    en: bool,
) {
    let cat = version.catalogue;
    let fy = version.fiscal_year;
    let pct = |s: &mdsec_checklist::Score| {
        s.percent()
            .map(|p| format!("{p:.1}"))
            .unwrap_or_else(|| "—".into())
    };
    let name = profile.hospital_name.clone().unwrap_or_default();
    if en {
        println!("Hospital cybersecurity checklist FY{fy} {name}");
        println!(
            "Score {} (earned {} of {}; yes {}, no {}, n/a {}, unanswered {}); saved answers only: {}",
            pct(&card.overall), card.overall.earned, card.overall.possible, card.overall.yes,
            card.overall.no, card.overall.not_applicable, card.overall.unanswered, pct(&saved_only.overall)
        );
    } else {
        println!(
            "医療機関におけるサイバーセキュリティ対策チェックリスト {fy} 年度（令和{}年度） {name}",
            fy.saturating_sub(2018)
        );
        println!(
            "総合スコア {} 点（獲得 {} / 満点 {}、はい {}・いいえ {}・対象外 {}・未回答 {}）／保存済みの回答のみ: {} 点",
            pct(&card.overall), card.overall.earned, card.overall.possible, card.overall.yes,
            card.overall.no, card.overall.not_applicable, card.overall.unanswered, pct(&saved_only.overall)
        );
    }
    for (id, s) in &card.sections {
        let label = cat
            .section(id)
            .map(|s| if en { s.en.as_str() } else { s.ja.as_str() })
            .unwrap_or(id);
        println!("  {label}: {} ({}/{})", pct(s), s.earned, s.possible);
    }
    if trend.len() > 1 {
        let t: Vec<String> = trend
            .iter()
            .map(|c| format!("{}: {}", c.fiscal_year, pct(&c.overall)))
            .collect();
        println!("{} {}", if en { "Trend:" } else { "推移:" }, t.join(" → "));
    }
    println!();
    let mut section = "";
    for st in statuses {
        let it = st.item.item;
        if it.section != section {
            section = &it.section;
            if let Some(s) = cat.section(section) {
                println!("{}", if en { &s.en } else { &s.ja });
            }
        }
        let answer = match st.effective {
            Some(a) if en => a.en().to_string(),
            Some(a) => a.ja().to_string(),
            None if en => "—".into(),
            None => "未回答".into(),
        };
        let mark = if st.source == mdsec_checklist::AnswerSource::Proposed {
            "*"
        } else {
            ""
        };
        println!(
            "  [{answer}{mark}] {} {}",
            st.item.reference(),
            if en { st.item.en() } else { st.item.ja() }
        );
        if let Some(p) = &st.proposal {
            println!(
                "      {} {}",
                if en { "evidence:" } else { "根拠:" },
                if en { &p.evidence_en } else { &p.evidence_ja }
            );
        }
        for f in peers.item_figures(&it.id) {
            println!(
                "      {} {}",
                if en { "peers:" } else { "他院:" },
                if en { &f.en } else { &f.ja }
            );
        }
    }
    println!();
    println!(
        "{}",
        if en {
            "* proposed by mdsec from what it knows; confirm with `mdsec checklist answer`."
        } else {
            "* は mdsec が把握している情報からの提案です。`mdsec checklist answer` で確定してください。"
        }
    );
    println!();
    println!(
        "{} ({}/{})",
        if en {
            "Next actions"
        } else {
            "次にやること"
        },
        actions.len().min(max_actions),
        actions.len()
    );
    for (i, a) in actions.iter().take(max_actions).enumerate() {
        let effort = match (a.effort, en) {
            (1, false) => "手間 小",
            (2, false) => "手間 中",
            (_, false) => "手間 大",
            (1, true) => "small effort",
            (2, true) => "medium effort",
            (_, true) => "large effort",
        };
        let w = if en { a.weight.en() } else { a.weight.ja() };
        println!(
            "  {}. [{w}・{effort}] {} {}{}",
            i + 1,
            a.reference,
            if en { &a.title_en } else { &a.title_ja },
            a.link
                .as_deref()
                .map(|l| format!(" → {l}"))
                .unwrap_or_default()
        );
        println!("     {}", if en { &a.how_en } else { &a.how_ja });
    }
}
