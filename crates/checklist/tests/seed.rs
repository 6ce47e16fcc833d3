//! The data files against the seed text itself (../shared/seed): every count of the manufacturer
//! survey tables (資料④) is re-read from the seed and compared; every hospital peer figure's quote is
//! found in the seed with its percentage; and the seed's own summary percentages (資料④ 要約) are
//! recomputed from the data file's counts.

use mdsec_checklist::{Catalogue, LicenceClass, SeedLayout, Survey};
use std::collections::BTreeMap;

const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/seed/000_c503e81c064302ee.txt"
);

fn seed_text() -> String {
    std::fs::read_to_string(SEED).unwrap_or_else(|e| panic!("the seed is required at {SEED}: {e}"))
}

fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// A table as parsed out of the seed, independently of the data file.
#[derive(Debug)]
struct Parsed {
    layout: SeedLayout,
    /// ClassRows: the column labels run together; others: the header columns.
    header: Vec<String>,
    rows: Vec<(String, Vec<u32>)>,
}

const ROW_CLASSES: &[&str] = &[
    "第一種製販",
    "第二種製販",
    "第三種製販",
    "全体",
    "外製・選任製販",
    "なし",
    "外製",
];

/// "設問 13︓" / "設問20︓" at the start of a line (the seed uses the presentation-form colon U+FE13).
fn heading(line: &str) -> Option<u32> {
    let t = line.trim_start().strip_prefix("設問")?.trim_start();
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    let rest = &t[digits.len()..];
    (!digits.is_empty() && rest.starts_with('︓')).then(|| digits.parse().ok())?
}

fn parse_seed_tables(text: &str) -> BTreeMap<u32, Parsed> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| heading(l) == Some(1))
        .expect("資料④ 設問 1 table");
    let end = (start..lines.len())
        .find(|&i| lines[i].contains("アンケート結果に基づく"))
        .expect("end of 資料④");
    let region = &lines[start..end];
    let heads: Vec<(usize, u32)> = region
        .iter()
        .enumerate()
        .filter_map(|(i, l)| heading(l).map(|n| (i, n)))
        .collect();
    let mut out = BTreeMap::new();
    for (k, &(i, n)) in heads.iter().enumerate() {
        let j = heads.get(k + 1).map(|h| h.0).unwrap_or(region.len());
        let block = &region[i..j];
        let h = block
            .iter()
            .position(|l| l.trim_start().starts_with("選択肢"))
            .unwrap_or_else(|| panic!("設問 {n}: no 選択肢 header"));
        let header_words: Vec<&str> = block[h].split_whitespace().skip(1).collect();
        let parsed = if header_words.contains(&"第一種製販") {
            let width = header_words.len();
            let mut rows = Vec::new();
            let mut pending = String::new();
            for l in &block[h + 1..] {
                let t: Vec<&str> = l.split_whitespace().collect();
                if t.is_empty() {
                    continue;
                }
                let trailing = t
                    .iter()
                    .rev()
                    .take_while(|w| w.bytes().all(|b| b.is_ascii_digit()))
                    .count();
                if trailing >= width {
                    let split = t.len() - width;
                    let label = pending.clone() + &t[..split].concat();
                    let nums = t[split..].iter().map(|w| w.parse().unwrap()).collect();
                    rows.push((label, nums));
                    pending.clear();
                } else {
                    pending.push_str(&t.concat());
                }
            }
            assert!(
                pending.is_empty(),
                "設問 {n}: text after the last row: {pending}"
            );
            Parsed {
                layout: SeedLayout::OptionRows,
                header: header_words.iter().map(|s| s.to_string()).collect(),
                rows,
            }
        } else if header_words == ["回答数"] {
            let rows = block[h + 1..]
                .iter()
                .filter_map(|l| {
                    let t: Vec<&str> = l.split_whitespace().collect();
                    let last = t.last()?;
                    last.parse::<u32>()
                        .ok()
                        .map(|v| (t[..t.len() - 1].concat(), vec![v]))
                })
                .collect();
            Parsed {
                layout: SeedLayout::Single,
                header: vec!["回答数".into()],
                rows,
            }
        } else {
            let mut header = String::new();
            let mut rows = Vec::new();
            for l in &block[h..] {
                let t: Vec<&str> = l.split_whitespace().collect();
                let Some(first) = t.first() else { continue };
                if ROW_CLASSES.contains(first) {
                    let nums = t[1..].iter().map(|w| w.parse().unwrap()).collect();
                    rows.push((first.to_string(), nums));
                } else if rows.is_empty() {
                    header.push_str(&t.concat());
                }
            }
            Parsed {
                layout: SeedLayout::ClassRows,
                header: vec![header.trim_start_matches("選択肢").to_string()],
                rows,
            }
        };
        assert!(out.insert(n, parsed).is_none(), "設問 {n} tabulated twice");
    }
    out
}

#[test]
fn conformance_manufacturer_counts_match_seed() {
    let seed = parse_seed_tables(&seed_text());
    let survey = Survey::builtin();
    let mut checked = 0;
    let mut cells = 0;
    for q in &survey.questions {
        let (Some(t), Some(p)) = (&q.seed, seed.get(&q.number)) else {
            assert!(
                q.seed.is_none() && !seed.contains_key(&q.number),
                "設問 {}: the data file and the seed disagree on whether it is tabulated",
                q.number
            );
            continue;
        };
        assert_eq!(t.layout, p.layout, "設問 {} layout", q.number);
        match t.layout {
            SeedLayout::ClassRows => assert_eq!(
                squash(&t.header.concat()),
                squash(&p.header[0]),
                "設問 {} column labels",
                q.number
            ),
            _ => assert_eq!(t.header, p.header, "設問 {} header", q.number),
        }
        let ours: Vec<(String, Vec<u32>)> = t
            .rows
            .iter()
            .map(|r| (squash(&r.label), r.counts.clone()))
            .collect();
        let theirs: Vec<(String, Vec<u32>)> =
            p.rows.iter().map(|(l, c)| (squash(l), c.clone())).collect();
        assert_eq!(ours, theirs, "設問 {} counts", q.number);
        cells += ours.iter().map(|r| r.1.len()).sum::<usize>();
        checked += 1;
    }
    println!(
        "suite: {checked}/{} tabulated questions match the seed ({cells} counts)",
        seed.len()
    );
    assert_eq!(checked, seed.len());
    // 資料④ tabulates these questions and no others.
    let expected: Vec<u32> = (1..=6)
        .chain(11..=45)
        .chain(47..=64)
        .chain([66, 68, 70, 73, 75, 76])
        .collect();
    assert_eq!(seed.keys().copied().collect::<Vec<_>>(), expected);
}

#[test]
fn manufacturer_totals_add_up() {
    // Where the seed prints a 全体 (total), it equals the sum over the licence classes.
    let survey = Survey::builtin();
    let mut totals = 0;
    for q in &survey.questions {
        for d in q.distribution() {
            if let Some(by) = d.by_class {
                assert_eq!(
                    by.iter().sum::<u32>() + d.others,
                    d.total,
                    "設問 {} option {}",
                    q.number,
                    d.option
                );
                totals += 1;
            }
        }
    }
    assert!(totals > 200, "{totals}");
    // The example: 設問13 はい 181, 準備中 55, いいえ 7.
    let q13 = survey.question(13).unwrap().distribution();
    let t: Vec<(&str, u32)> = q13.iter().map(|d| (d.option.as_str(), d.total)).collect();
    assert_eq!(t, [("done", 181), ("preparing", 55), ("not_started", 7)]);
    assert_eq!(q13[0].by_class, Some([112, 53, 16]));
    // 441 companies answered (設問1), of which 243 with a 第一種–第三種 licence and products needing
    // measures (設問6) are the base of 設問12 onwards.
    assert_eq!(survey.question(1).unwrap().respondents(None), Some(441));
    let q6 = survey.question(6).unwrap().distribution();
    assert_eq!(q6[0].by_class.map(|b| b.iter().sum::<u32>()), Some(243));
    assert_eq!(survey.question(13).unwrap().respondents(None), Some(243));
    assert_eq!(
        survey
            .question(13)
            .unwrap()
            .respondents(Some(LicenceClass::Third)),
        Some(26)
    );
}

/// (quote in the seed, question, options counted, licence class (None = all), stated %)
type SummaryCase = (
    &'static str,
    u32,
    &'static [&'static str],
    Option<LicenceClass>,
    f64,
);

/// The seed's own summary (資料④ 要約) states percentages; recompute them from our counts.
#[test]
fn conformance_summary_percentages() {
    let text = squash(&seed_text());
    let survey = Survey::builtin();
    // (quote in the seed, question, options counted, licence class (None = all), stated %)
    let cases: &[SummaryCase] = &[
        ("社内体制に関する手順書の整備については、全体の74%の会社で完了", 13, &["done"], None, 74.0),
        ("全体の23%の会社で準備中であることから、手順書の整備は順調", 13, &["preparing"], None, 23.0),
        ("評価体制の整備については、全体の56%の会社で完了", 14, &["done"], None, 56.0),
        ("全体の39%の会社で準備中であることから、評価体制", 14, &["preparing"], None, 39.0),
        ("全体の49%の会社で完了しており、全体の36%の会社で準備中であることから、対応は概ね", 17, &["done"], None, 49.0),
        ("全体の49%の会社で完了しており、全体の36%の会社で準備中であることから、対応は概ね", 17, &["preparing"], None, 36.0),
        ("30%の会社で未着手とのことで、対応に遅れが生じていることが示唆された（設問17）", 17, &["not_started"], Some(LicenceClass::Third), 30.0),
        ("全体の90%の会社で作成完了又は準備中", 15, &["done", "preparing"], None, 90.0),
        ("全体の9%の会社で未着手であったことから", 15, &["not_started"], None, 9.0),
        ("全体の39%の会社で未着手とのことで、製造販売中の製品に関するSBOM", 16, &["not_started"], None, 39.0),
        ("全体の63%の会社で完了し、30%の会社で準備中であった（設問18）", 18, &["done"], None, 63.0),
        ("全体の63%の会社で完了し、30%の会社で準備中であった（設問18）", 18, &["preparing"], None, 30.0),
        ("全体の67%の会社で体制整備を完了", 20, &["done"], None, 67.0),
        ("全体の43%の会社で入手していないとのことであった（設問21）", 21, &["not_obtained"], None, 43.0),
        ("全体の20%の会社で確立されていないとのことであった（設問19）", 19, &["not_started"], None, 20.0),
        ("全体の59%の会社で確立されており、28%の会社で準備中", 22, &["done"], None, 59.0),
        ("26%の会社で未着手とのことで、対応に遅れが生じていることが示唆された（設問22）", 22, &["not_started"], Some(LicenceClass::Third), 26.0),
        ("製造販売中の製品の全体の35%の会社で設定済みであり、42%の会社は準備中で、22%の会社が未着手", 25, &["done"], None, 35.0),
        ("製造販売中の製品の全体の35%の会社で設定済みであり、42%の会社は準備中で、22%の会社が未着手", 25, &["preparing"], None, 42.0),
        ("製造販売中の製品の全体の35%の会社で設定済みであり、42%の会社は準備中で、22%の会社が未着手", 25, &["not_started"], None, 22.0),
        ("全体の42%の会社は設定済みであり、28%の会社は準備中で、30%の会社は未着手", 26, &["done"], None, 42.0),
        ("全体の42%の会社は設定済みであり、28%の会社は準備中で、30%の会社は未着手", 26, &["not_started"], None, 30.0),
        ("全体の58%の会社で確立済みであり、29%の会社で準備中、13%の会社で未着手の状況であった（設問27）", 27, &["not_started"], None, 13.0),
        ("22%の会社で未着手とのことで、対応に遅れが生じていることが示唆された。", 27, &["not_started"], Some(LicenceClass::Third), 22.0),
        ("全体の59%の会社で定めており、25%の会社で準備中、16%の会社で未着手であった（設問28）", 28, &["done"], None, 59.0),
        ("全体の44%の会社で開示に関する仕組みを確立しており、33%の会社で準備中、24%の会社で未着手", 29, &["not_started"], None, 24.0),
        ("全体の57%の会社で確立済みであり、25%の会社で準備中、18%の会社で未着手の状況であった（設問31）", 31, &["done"], None, 57.0),
        ("全体の23%の会社で提示しており、32%の会社で準備であったが、45%の会社で未着手", 32, &["not_started"], None, 45.0),
        ("全体の63%の会社で完了しており、27%の会社で準備中、10%の会社で未着手であった（設問33）", 33, &["done"], None, 63.0),
        ("全体の46%の会社で完了しており、25%の会社で準備中、29%の会社で未着手", 34, &["not_started"], None, 29.0),
        ("全他の40％の会社で設置しており、28%の会社で準備中、33%の会社で未設置", 38, &["not_started"], None, 33.0),
        ("全体の26%の会社で提供しており、30%の会社で準備中、44%の会社で未提供", 37, &["not_started"], None, 44.0),
        ("全体の72%の会社で受けたことがなかった（設問42）", 42, &["no"], None, 72.0),
        ("全体の94%の会社で十分な対応ができた", 47, &["yes"], None, 94.0),
        ("全体の73%の会社が使用者に確認していた（設問53）", 53, &["yes"], None, 73.0),
        ("全体の63%の会社が使用者へ通知していた（設問54）", 54, &["yes"], None, 63.0),
        ("53%の会社が把握していない状況であった（設問55）", 55, &["no"], None, 53.0),
        ("全体の17%の会社にとどまっており、83%の会社は保守契約を締結していなかった（設問73）", 73, &["yes"], None, 17.0),
        ("11名以上と回答した会社が最も多く全体の33%", 12, &["11_plus"], None, 33.0),
        ("1～3名と回答した会社も全体の31%と多く、特に第三種医療機器製造販売業許可取得者では50%", 12, &["1_3"], Some(LicenceClass::Third), 50.0),
        ("設計開発部門を有しない会社が最も多く全体の36%", 4, &["none"], None, 36.0),
        ("第二種医療機器製造販売業許可取得者のうち、71%の会社は国内製造のみ", 5, &["domestic"], Some(LicenceClass::Second), 71.0),
    ];
    let mut ok = 0;
    for (quote, number, options, class, stated) in cases {
        assert!(text.contains(&squash(quote)), "not in the seed: {quote}");
        let q = survey.question(*number).unwrap();
        let d = q.distribution();
        let part: u32 = d
            .iter()
            .filter(|o| options.contains(&o.option.as_str()))
            .map(|o| o.for_class(*class).unwrap())
            .sum();
        let all: u32 = d.iter().map(|o| o.for_class(*class).unwrap()).sum();
        let pct = 100.0 * part as f64 / all as f64;
        // The seed rounds, and sometimes adds rounded parts: allow one point.
        assert!(
            (pct - stated).abs() <= 1.0,
            "設問 {number} {options:?}: {part}/{all} = {pct:.1}% but the seed says {stated}%"
        );
        ok += 1;
    }
    println!("suite: {ok}/{} summary percentages recomputed", cases.len());
}

#[test]
fn conformance_hospital_peer_figures_in_seed() {
    let text = squash(&seed_text());
    let cat = Catalogue::builtin();
    let mut ok = 0;
    for p in &cat.peers {
        let q = squash(&p.seed_quote);
        assert!(
            text.contains(&q),
            "peer {}: quote not in the seed: {}",
            p.id,
            p.seed_quote
        );
        let pct = if p.percent.fract() == 0.0 {
            format!("{}", p.percent as u32)
        } else {
            format!("{}", p.percent)
        };
        assert!(
            q.contains(&format!("{pct}％")) || q.contains(&format!("{pct}%")),
            "peer {}: {pct}% is not in its quote",
            p.id
        );
        // Our own sentences state the same number.
        assert!(p.ja.contains(&format!("{pct}%")), "peer {}: ja text", p.id);
        assert!(p.en.contains(&format!("{pct}%")), "peer {}: en text", p.id);
        ok += 1;
    }
    for s in &cat.self_scores {
        let q = squash(&s.seed_quote);
        assert!(
            text.contains(&q),
            "self score quote not in seed: {}",
            s.seed_quote
        );
        assert!(q.contains(&format!("{}点", s.mode_points)));
        assert!(q.contains(&format!("{}％", s.mode_share_percent as u32)));
        ok += 1;
    }
    println!(
        "suite: {ok}/{} seed figures found in the seed",
        cat.peers.len() + cat.self_scores.len()
    );
    // The example: 23% show devices on the network diagram.
    let diagram = cat.peer("diagram_devices_shibyokyo").unwrap();
    assert_eq!(diagram.percent, 23.0);
    assert!(cat.item("dev.diagram").unwrap().peers.contains(&diagram.id));
}
