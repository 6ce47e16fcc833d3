//! Maven `ComparableVersion` ordering (maven-artifact 3.9.x), re-implemented from its documented rules:
//! items are numbers, qualifiers or sub-lists; `-` and digit/letter transitions open sub-lists;
//! well-known qualifiers sort `alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp`,
//! unknown qualifiers sort after them, lexically.

use super::util::cmp_digits;
use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Int(String),
    Str(String),
    /// A letters-then-digits token such as `alpha2` or `m1`.
    Comb(String, Box<Item>),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

fn string_item(value: &str, followed_by_digit: bool) -> Item {
    let mut v = value.to_string();
    if followed_by_digit && v.len() == 1 {
        v = match v.as_str() {
            "a" => "alpha".into(),
            "b" => "beta".into(),
            "m" => "milestone".into(),
            _ => v,
        };
    }
    let v = match v.as_str() {
        "ga" | "final" | "release" => String::new(),
        "cr" => "rc".into(),
        _ => v,
    };
    Item::Str(v)
}

fn int_item(s: &str) -> Item {
    let t = s.trim_start_matches('0');
    Item::Int(if t.is_empty() { "0".into() } else { t.into() })
}

fn parse_item(is_combination: bool, is_digit: bool, buf: &str) -> Item {
    if is_combination {
        let buf: String = buf.chars().filter(|&c| c != '-').collect();
        let idx = buf.find(|c: char| c.is_ascii_digit()).unwrap_or(0);
        let (s, d) = buf.split_at(idx);
        Item::Comb(
            match string_item(s, true) {
                Item::Str(s) => s,
                _ => String::new(),
            },
            Box::new(parse_item(false, true, d)),
        )
    } else if is_digit {
        int_item(buf)
    } else {
        string_item(buf, false)
    }
}

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(v) => v == "0",
        Item::Str(v) => v.is_empty(),
        Item::Comb(..) => false,
        Item::List(l) => l.is_empty(),
    }
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if let Some(last) = list.get(i) {
            if is_null(last) {
                let remove = match list.get(i + 1) {
                    None => true,
                    Some(Item::List(l)) => {
                        matches!(l.first(), Some(Item::Comb(..)) | Some(Item::Str(_)))
                    }
                    _ => false,
                };
                if remove {
                    list.remove(i);
                }
            }
        }
    }
}

/// Parse into the item tree. Each `-` or digit/letter switch nests one level deeper, so the depth is
/// bounded by the input length, which callers bound by `MAX_VERSION_LEN`.
fn parse(version: &str) -> Item {
    let v = version.to_lowercase();
    let chars: Vec<char> = v.chars().collect();
    // The stack holds the open lists; a finished list is folded into its parent at the end.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut is_combination = false;
    let mut start = 0usize;
    let sub = |a: usize, b: usize| -> String {
        chars
            .get(a..b)
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    };
    let mut i = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c == '.' {
            let item = if i == start {
                Item::Int("0".into())
            } else {
                parse_item(is_combination, is_digit, &sub(start, i))
            };
            push(&mut stack, item);
            is_combination = false;
            start = i + 1;
        } else if c == '-' {
            if i == start {
                push(&mut stack, Item::Int("0".into()));
            } else {
                // X-1 is treated as X1
                if !is_digit && i + 1 < chars.len() && chars[i + 1].is_ascii_digit() {
                    is_combination = true;
                    i += 1;
                    continue;
                }
                push(
                    &mut stack,
                    parse_item(is_combination, is_digit, &sub(start, i)),
                );
            }
            start = i + 1;
            stack.push(Vec::new());
            is_combination = false;
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                is_combination = true;
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                push(&mut stack, parse_item(is_combination, true, &sub(start, i)));
                start = i;
                stack.push(Vec::new());
                is_combination = false;
            }
            is_digit = false;
        }
        i += 1;
    }
    if chars.len() > start {
        push(
            &mut stack,
            parse_item(is_combination, is_digit, &sub(start, chars.len())),
        );
    }
    while stack.len() > 1 {
        let mut top = stack.pop().unwrap_or_default();
        normalize(&mut top);
        push(&mut stack, Item::List(top));
    }
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    Item::List(root)
}

fn push(stack: &mut [Vec<Item>], item: Item) {
    if let Some(top) = stack.last_mut() {
        top.push(item);
    }
}

fn qualifier_key(q: &str) -> (usize, &str) {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => (i, ""),
        None => (QUALIFIERS.len(), q),
    }
}

fn cmp_qualifiers(a: &str, b: &str) -> Ordering {
    // Maven compares "index" strings, or "7-<qualifier>" for unknown ones; index < 7 so numeric order
    // of the index then the qualifier text reproduces that string comparison.
    let (ia, sa) = qualifier_key(a);
    let (ib, sb) = qualifier_key(b);
    ia.cmp(&ib).then_with(|| sa.cmp(sb))
}

/// `a.compareTo(b)` where `b` may be absent (Java's `null`).
fn cmp_item(a: &Item, b: Option<&Item>) -> Ordering {
    use Item::*;
    use Ordering::*;
    match a {
        Int(x) => match b {
            None => {
                if x == "0" {
                    Equal
                } else {
                    Greater
                }
            }
            Some(Int(y)) => cmp_digits(x, y),
            Some(_) => Greater,
        },
        Str(x) => match b {
            None => cmp_qualifiers(x, ""),
            Some(Int(_)) | Some(List(_)) => Less,
            Some(Str(y)) => cmp_qualifiers(x, y),
            Some(Comb(ys, _)) => match cmp_qualifiers(x, ys) {
                Equal => Less,
                o => o,
            },
        },
        Comb(xs, xd) => match b {
            None => cmp_qualifiers(xs, ""),
            Some(Int(_)) | Some(List(_)) => Less,
            Some(Str(y)) => match cmp_qualifiers(xs, y) {
                Equal => Greater,
                o => o,
            },
            Some(Comb(ys, yd)) => cmp_qualifiers(xs, ys).then_with(|| cmp_item(xd, Some(yd))),
        },
        List(xs) => match b {
            None => {
                for it in xs {
                    let r = cmp_item(it, None);
                    if r != Equal {
                        return r;
                    }
                }
                Equal
            }
            Some(Int(_)) => Less,
            Some(Str(_)) | Some(Comb(..)) => Greater,
            Some(List(ys)) => {
                let n = xs.len().max(ys.len());
                for i in 0..n {
                    let r = match (xs.get(i), ys.get(i)) {
                        (None, None) => Equal,
                        (None, Some(r)) => cmp_item(r, None).reverse(),
                        (Some(l), r) => cmp_item(l, r),
                    };
                    if r != Equal {
                        return r;
                    }
                }
                Equal
            }
        },
    }
}

pub fn compare(a: &str, b: &str) -> Ordering {
    cmp_item(&parse(a), Some(&parse(b)))
}
