//! From a ledger device and its open findings to the matcher's explained priority score. Pure.

use mdsec_matcher::priority::{score, PriorityInput, Segment, Tri};
use mdsec_store::{Device, DevicePriorityRecord, FindingRecord};
use std::collections::{HashMap, HashSet};

/// Fleet-wide facts the score needs: CISA KEV, EPSS, today's date.
pub struct FleetFacts<'a> {
    pub kev: &'a HashSet<String>,
    pub epss: &'a HashMap<String, f64>,
    /// `YYYY-MM-DD`.
    pub today: String,
}

/// Where a ledger's free-text segment puts the device. Unknown stays unknown (scored like a
/// middle value, never as isolated).
pub fn segment_of(text: Option<&str>) -> Segment {
    let Some(t) = text.map(|s| s.to_lowercase()) else {
        return Segment::Unknown;
    };
    let has = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if has(&[
        "isolated",
        "standalone",
        "stand-alone",
        "独立",
        "スタンドアロン",
        "非接続",
        "閉域",
    ]) {
        Segment::Isolated
    } else if has(&[
        "office",
        "shared",
        "ehr",
        "事務",
        "共用",
        "電子カルテ",
        "情報系",
        "基幹",
    ]) {
        Segment::Shared
    } else if has(&[
        "medical",
        "医療",
        "modality",
        "モダリティ",
        "vlan",
        "生体",
        "monitor",
        "モニタ",
    ]) {
        Segment::Medical
    } else {
        Segment::Unknown
    }
}

/// Open findings on the device → its priority record.
pub fn device_priority(
    d: &Device,
    open: &[&FindingRecord],
    has_sbom: bool,
    has_mds2: bool,
    facts: &FleetFacts<'_>,
) -> DevicePriorityRecord {
    let f = &d.fields;
    let mut input = PriorityInput {
        network_connected: if f.ip.is_some() || f.mac.is_some() || f.network_segment.is_some() {
            Tri::Yes
        } else {
            Tri::Unknown
        },
        remote_line: f.remote_line,
        internet_reachable: Tri::Unknown,
        segment: segment_of(f.network_segment.as_deref()),
        criticality: f.criticality,
        device_class: f.device_class,
        past_end_of_support: match &f.eos_date {
            Some(_) if f.is_past_eos(&facts.today) => Tri::Yes,
            Some(_) => Tri::No,
            None => Tri::Unknown,
        },
        has_sbom,
        has_mds2,
        ..Default::default()
    };
    for fr in open {
        match fr.match_status.as_str() {
            "affected" => input.affected_findings += 1,
            "undetermined" => input.undetermined_findings += 1,
            _ => continue,
        }
        if fr.aliases.iter().any(|c| facts.kev.contains(c)) || facts.kev.contains(&fr.advisory_id) {
            input.kev_listed = true;
        }
        for c in fr.aliases.iter().chain(std::iter::once(&fr.advisory_id)) {
            if let Some(&e) = facts.epss.get(c) {
                input.epss = Some(input.epss.map_or(e, |x: f64| x.max(e)));
            }
        }
        if let Some(c) = fr.advisory_cvss {
            input.cvss = Some(input.cvss.map_or(c, |x: f64| x.max(c)));
        }
        if fr.remediations.iter().any(|r| no_fix(r)) {
            input.no_patch_available = true;
        }
    }
    let p = score(&input);
    DevicePriorityRecord {
        device_id: d.id,
        score: p.score,
        reasons: serde_json::to_value(&p.reasons).unwrap_or_default(),
        open_findings: (input.affected_findings + input.undetermined_findings) as i64,
    }
}

/// Remediation texts that say there is no fix.
fn no_fix(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "no fix",
        "no patch",
        "not plan to",
        "no plans to",
        "will not be fixed",
        "end of life",
        "修正予定はありません",
    ]
    .iter()
    .any(|w| t.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_from_ledger_words() {
        assert_eq!(segment_of(Some("医療機器VLAN 20")), Segment::Medical);
        assert_eq!(segment_of(Some("電子カルテ系")), Segment::Shared);
        assert_eq!(segment_of(Some("スタンドアロン")), Segment::Isolated);
        assert_eq!(segment_of(Some("B棟3F")), Segment::Unknown);
        assert_eq!(segment_of(None), Segment::Unknown);
    }

    #[test]
    fn no_fix_texts() {
        assert!(no_fix("Contec Health does not plan to provide a fix"));
        assert!(!no_fix("Update to version 2.1"));
    }
}
