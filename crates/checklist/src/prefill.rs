//! Pre-filled answers: what mdsec already knows (the ledger, accounts, remote lines, MDS2/SBOM on
//! file) turned into a proposed answer with the evidence in plain words. A fact mdsec does not have
//! (None) proposes nothing: unknown is never turned into はい.

use crate::answers::AnswerValue;
use crate::catalogue::ChecklistVersion;
use serde::{Deserialize, Serialize};

/// The names of the pre-fill rules items may use (`prefill = "..."` in the data file).
pub const RULES: &[&str] = &[
    "isso",
    "it_ledger",
    "remote_confirmed",
    "device_ledger",
    "diagram",
    "change_tracking",
    "os_recorded",
    "mds2_sbom",
    "advisories",
    "roles",
    "dept_contacts",
    "mfr_contacts",
    "eos",
    "remote_lines",
];

/// A ledger that has not changed for longer than this is not "kept up to date".
pub const LEDGER_STALE_DAYS: u64 = 180;
/// Advisories older than this do not count as "received".
pub const ADVISORY_STALE_DAYS: u64 = 31;

/// What the app knows from its store. Every field is optional: None means "mdsec does not know".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Facts {
    /// Live (not deleted, not disposed) devices in the ledger.
    pub devices_total: Option<u64>,
    /// Of those, devices with an IP address, MAC address or network segment recorded.
    pub devices_with_network_info: Option<u64>,
    /// Devices whose network segment is recorded (needed to place them on a diagram).
    pub devices_with_segment: Option<u64>,
    /// Devices whose remote-maintenance line is known (yes or no, not unknown).
    pub devices_remote_known: Option<u64>,
    /// Devices with a remote-maintenance line.
    pub devices_with_remote_line: Option<u64>,
    /// Lines in the remote-line registry.
    pub remote_lines_registered: Option<u64>,
    /// Distinct device models (manufacturer + model) in the ledger.
    pub models_total: Option<u64>,
    pub models_with_mds2: Option<u64>,
    pub models_with_sbom: Option<u64>,
    /// Devices with an OS recorded.
    pub devices_with_os: Option<u64>,
    /// Devices with an end-of-support date recorded.
    pub devices_with_eos_date: Option<u64>,
    /// Devices past their end-of-support date.
    pub devices_past_eos: Option<u64>,
    /// Accounts with the information-systems officer role (医療情報システム安全管理責任者).
    pub isso_accounts: Option<u64>,
    /// Accounts with the device safety officer role (医療機器安全管理責任者).
    pub device_safety_accounts: Option<u64>,
    /// Departments that have devices, and of those, departments with a department-user account.
    pub departments_total: Option<u64>,
    pub departments_with_contact: Option<u64>,
    /// Manufacturers in the ledger, and of those, with a security contact known.
    pub manufacturers_total: Option<u64>,
    pub manufacturers_with_contact: Option<u64>,
    /// Days since the ledger last changed.
    pub ledger_last_change_days: Option<u64>,
    /// Days since advisories were last imported.
    pub advisories_age_days: Option<u64>,
}

/// A proposed answer with its evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub item_id: String,
    /// None: mdsec shows the evidence but leaves the answer to the hospital.
    pub answer: Option<AnswerValue>,
    pub evidence_ja: String,
    pub evidence_en: String,
    pub link: Option<String>,
}

/// 2009 → "2,009".
pub(crate) fn n(v: u64) -> String {
    let s = v.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "12/30（40%）"
fn part(k: u64, total: u64) -> String {
    let pct = (k * 100 + total / 2).checked_div(total).unwrap_or(0);
    format!("{}/{}（{pct}%）", n(k), n(total))
}
fn part_en(k: u64, total: u64) -> String {
    let pct = (k * 100 + total / 2).checked_div(total).unwrap_or(0);
    format!("{} of {} ({pct}%)", n(k), n(total))
}

/// Proposals for every item of `version` that has a pre-fill rule and enough facts.
pub fn propose(version: &ChecklistVersion<'_>, facts: &Facts) -> Vec<Proposal> {
    version
        .items
        .iter()
        .filter_map(|v| {
            let rule = v.item.prefill.as_deref()?;
            let (answer, ja, en) = rule_for(rule, facts)?;
            Some(Proposal {
                item_id: v.item.id.clone(),
                answer,
                evidence_ja: ja,
                evidence_en: en,
                link: v.item.link.clone(),
            })
        })
        .collect()
}

type Rule = (Option<AnswerValue>, String, String);

fn rule_for(rule: &str, f: &Facts) -> Option<Rule> {
    use AnswerValue::{No, Yes};
    match rule {
        "isso" => {
            let k = f.isso_accounts?;
            Some(if k > 0 {
                (
                    Some(Yes),
                    format!("mdsec に医療情報システム安全管理責任者のアカウントが {} 件あります。任命の文書も確認してください。", n(k)),
                    format!("mdsec has {} information-systems officer account(s); check the written appointment too.", n(k)),
                )
            } else {
                (
                    Some(No),
                    "mdsec に医療情報システム安全管理責任者のアカウントがありません。".into(),
                    "mdsec has no information-systems officer account.".into(),
                )
            })
        }
        "it_ledger" => {
            let total = f.devices_total?;
            // mdsec's ledger holds medical devices; whether servers, PCs and network equipment are
            // in it is for the hospital to say.
            Some((
                None,
                format!("mdsec の台帳に {} 台の機器があります。サーバ・端末PC・ネットワーク機器も載っているか確認してください。", n(total)),
                format!("mdsec's ledger holds {} devices; check that servers, PCs and network equipment are in it too.", n(total)),
            ))
        }
        "device_ledger" => {
            let total = f.devices_total?;
            let net = f.devices_with_network_info?;
            Some(if total == 0 {
                (
                    Some(No),
                    "台帳に機器がありません。".into(),
                    "The ledger is empty.".into(),
                )
            } else if net == 0 {
                (
                    Some(No),
                    format!(
                        "台帳に {} 台ありますが、IP・MAC・セグメントが記録された機器がありません。",
                        n(total)
                    ),
                    format!(
                        "The ledger has {} devices but none with IP, MAC or segment.",
                        n(total)
                    ),
                )
            } else {
                (
                    Some(Yes),
                    format!("台帳に {} 台。うちネットワーク情報（IP・MAC・セグメント）あり {}。", n(total), part(net, total)),
                    format!("{} devices in the ledger; {} with network information (IP, MAC or segment).", n(total), part_en(net, total)),
                )
            })
        }
        "diagram" => {
            let total = f.devices_total?;
            let seg = f.devices_with_segment.or(f.devices_with_network_info)?;
            if total == 0 {
                return None;
            }
            let all = seg >= total;
            Some((
                Some(if all { Yes } else { No }),
                format!(
                    "構成図に載せるためのネットワークセグメントが記録された機器: {}。{}",
                    part(seg, total),
                    if all {
                        ""
                    } else {
                        "残りの機器も記録すると構成図に載せられます。"
                    }
                ),
                format!(
                    "Devices with a network segment recorded (needed for the diagram): {}.",
                    part_en(seg, total)
                ),
            ))
        }
        "remote_confirmed" => {
            let total = f.devices_total?;
            let known = f.devices_remote_known?;
            if total == 0 {
                return None;
            }
            let lines = f
                .remote_lines_registered
                .map(|r| format!("登録済みのリモート回線 {} 本。", n(r)))
                .unwrap_or_default();
            Some(if known >= total {
                (
                    Some(Yes),
                    format!(
                        "全 {} 台でリモート保守の有無が記録されています。{lines}",
                        n(total)
                    ),
                    format!(
                        "Remote maintenance is recorded (yes/no) for all {} devices.",
                        n(total)
                    ),
                )
            } else {
                (
                    Some(No),
                    format!(
                        "リモート保守の有無が記録された機器は {}。残り {} 台は不明です。{lines}",
                        part(known, total),
                        n(total - known)
                    ),
                    format!(
                        "Remote maintenance is recorded for {}; {} devices unknown.",
                        part_en(known, total),
                        n(total - known)
                    ),
                )
            })
        }
        "remote_lines" => {
            let with = f.devices_with_remote_line?;
            match f.remote_lines_registered {
                Some(r) if r > 0 => Some((
                    None,
                    format!("リモート回線台帳に {} 本の回線。リモート保守回線がある機器 {} 台。承認と記録の運用を確認してください。", n(r), n(with)),
                    format!("{} lines in the remote-line registry; {} devices with a remote line. Check approval and logging.", n(r), n(with)),
                )),
                _ if with > 0 => Some((
                    Some(No),
                    format!("リモート保守回線がある機器が {} 台ありますが、回線台帳に登録された回線がありません。", n(with)),
                    format!("{} devices have a remote line but no line is registered.", n(with)),
                )),
                _ => None,
            }
        }
        "change_tracking" => {
            let days = f.ledger_last_change_days?;
            Some(if days <= LEDGER_STALE_DAYS {
                (
                    None,
                    format!("台帳は {} 日前に更新されています。購入・更新時に台帳を更新する手順があるか確認してください。", n(days)),
                    format!("The ledger changed {} days ago; check there is a procedure to update it at purchase.", n(days)),
                )
            } else {
                (
                    Some(No),
                    format!("台帳が {} 日間更新されていません。", n(days)),
                    format!("The ledger has not changed for {} days.", n(days)),
                )
            })
        }
        "os_recorded" => {
            let total = f.devices_total?;
            let os = f.devices_with_os?;
            if total == 0 {
                return None;
            }
            Some((
                if os == 0 { Some(No) } else { None },
                format!("OS が記録された機器: {}。", part(os, total)),
                format!("Devices with the OS recorded: {}.", part_en(os, total)),
            ))
        }
        "mds2_sbom" => {
            let models = f.models_total?;
            let mds2 = f.models_with_mds2?;
            if models == 0 {
                return None;
            }
            let sbom = f.models_with_sbom;
            let sbom_ja = sbom
                .map(|s| format!("、SBOM あり {}", part(s, models)))
                .unwrap_or_default();
            let sbom_en = sbom
                .map(|s| format!(", SBOM for {}", part_en(s, models)))
                .unwrap_or_default();
            let all = mds2 >= models && sbom.is_none_or(|s| s >= models);
            Some((
                Some(if all { Yes } else { No }),
                format!(
                    "台帳の {} 機種のうち MDS2 あり {}{sbom_ja}。",
                    n(models),
                    part(mds2, models)
                ),
                format!(
                    "Of {} models in the ledger: MDS2 for {}{sbom_en}.",
                    n(models),
                    part_en(mds2, models)
                ),
            ))
        }
        "advisories" => {
            let age = f.advisories_age_days?;
            Some(if age <= ADVISORY_STALE_DAYS {
                (
                    Some(Yes),
                    format!("脆弱性情報を {} 日前に取り込んでいます。", n(age)),
                    format!("Advisories were imported {} days ago.", n(age)),
                )
            } else {
                (
                    Some(No),
                    format!("脆弱性情報の取り込みが {} 日前で止まっています。", n(age)),
                    format!("Advisories were last imported {} days ago.", n(age)),
                )
            })
        }
        "roles" => {
            let isso = f.isso_accounts?;
            let ds = f.device_safety_accounts?;
            Some(if isso > 0 && ds > 0 {
                (
                    None,
                    format!("医療情報システム安全管理責任者 {} 名・医療機器安全管理責任者 {} 名のアカウントがあります。役割分担の文書を確認してください。", n(isso), n(ds)),
                    format!("{} information-systems officer and {} device safety officer account(s) exist; check the written split of roles.", n(isso), n(ds)),
                )
            } else {
                (
                    Some(No),
                    format!("医療情報システム安全管理責任者 {} 名・医療機器安全管理責任者 {} 名。両方のロールが必要です。", n(isso), n(ds)),
                    format!("{} information-systems officer and {} device safety officer account(s); both roles are needed.", n(isso), n(ds)),
                )
            })
        }
        "dept_contacts" => {
            let total = f.departments_total?;
            let with = f.departments_with_contact?;
            if total == 0 {
                return None;
            }
            Some((
                Some(if with >= total { Yes } else { No }),
                format!("部門担当者アカウントのある部門: {}。", part(with, total)),
                format!(
                    "Departments with a department-user account: {}.",
                    part_en(with, total)
                ),
            ))
        }
        "mfr_contacts" => {
            let total = f.manufacturers_total?;
            let with = f.manufacturers_with_contact?;
            if total == 0 {
                return None;
            }
            Some((
                if with >= total { None } else { Some(No) },
                format!(
                    "セキュリティ窓口がわかっている製造販売業者: {}。",
                    part(with, total)
                ),
                format!(
                    "Manufacturers with a known security contact: {}.",
                    part_en(with, total)
                ),
            ))
        }
        "eos" => {
            let total = f.devices_total?;
            let past = f.devices_past_eos?;
            let known = f.devices_with_eos_date;
            let known_ja = known
                .map(|k| format!("EOS 日の記録あり {}。", part(k, total)))
                .unwrap_or_default();
            let known_en = known
                .map(|k| format!(" EOS date recorded for {}.", part_en(k, total)))
                .unwrap_or_default();
            Some(if past > 0 {
                (
                    Some(No),
                    format!(
                        "サポート終了（EOS）を過ぎた機器が {} 台あります。{known_ja}",
                        n(past)
                    ),
                    format!("{} devices are past end of support.{known_en}", n(past)),
                )
            } else {
                (
                    None,
                    format!("EOS を過ぎた機器はありません。{known_ja}"),
                    format!("No device is past end of support.{known_en}"),
                )
            })
        }
        _ => None,
    }
}
