//! Alpine `apk` version ordering (apk-tools `version.c` token machine).

use std::cmp::Ordering;

const INVALID: i32 = -1;
const DIGIT_OR_ZERO: i32 = 0;
const DIGIT: i32 = 1;
const LETTER: i32 = 2;
const SUFFIX: i32 = 3;
const SUFFIX_NO: i32 = 4;
const REVISION_NO: i32 = 5;
const END: i32 = 6;

const PRE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

struct Blob<'a> {
    s: &'a [u8],
}

fn next_token(t: &mut i32, b: &mut Blob<'_>) {
    let mut n = INVALID;
    match b.s.first().copied() {
        None | Some(0) => n = END,
        Some(c) if (*t == DIGIT || *t == DIGIT_OR_ZERO) && c.is_ascii_lowercase() => n = LETTER,
        Some(c) if *t == LETTER && c.is_ascii_digit() => n = DIGIT,
        Some(c) if *t == SUFFIX && c.is_ascii_digit() => n = SUFFIX_NO,
        Some(c) => {
            match c {
                b'.' => n = DIGIT_OR_ZERO,
                b'_' => n = SUFFIX,
                b'-' if b.s.get(1) == Some(&b'r') => {
                    n = REVISION_NO;
                    b.s = &b.s[1..];
                }
                _ => {}
            }
            b.s = b.s.get(1..).unwrap_or(&[]);
        }
    }
    if n < *t
        && !((n == DIGIT_OR_ZERO && *t == DIGIT)
            || (n == SUFFIX && *t == SUFFIX_NO)
            || (n == DIGIT && *t == LETTER))
    {
        n = INVALID;
    }
    *t = n;
}

/// Returns the token value; numbers saturate (apk uses a C int, inputs are bounded anyway).
fn get_token(t: &mut i32, b: &mut Blob<'_>) -> i64 {
    if b.s.is_empty() {
        *t = END;
        return 0;
    }
    let mut v: i64 = 0;
    let mut i = 0usize;
    let mut nt = INVALID;
    let s = b.s;
    let digits = |i: &mut usize, v: &mut i64| {
        while *i < s.len() && s[*i].is_ascii_digit() {
            *v = v.saturating_mul(10).saturating_add(i64::from(s[*i] - b'0'));
            *i += 1;
        }
    };
    match *t {
        DIGIT_OR_ZERO if s[0] == b'0' => {
            while i < s.len() && s[i] == b'0' {
                i += 1;
            }
            nt = DIGIT;
            v = -(i as i64);
        }
        DIGIT_OR_ZERO | DIGIT | SUFFIX_NO | REVISION_NO => digits(&mut i, &mut v),
        LETTER => {
            v = i64::from(s[0]);
            i = 1;
        }
        SUFFIX => {
            let pre = PRE_SUFFIXES
                .iter()
                .position(|p| s.starts_with(p.as_bytes()));
            let post = POST_SUFFIXES
                .iter()
                .position(|p| s.starts_with(p.as_bytes()));
            if let Some(k) = pre {
                i = PRE_SUFFIXES[k].len();
                v = k as i64 - PRE_SUFFIXES.len() as i64;
            } else if let Some(k) = post {
                i = POST_SUFFIXES[k].len();
                v = k as i64;
            } else {
                *t = INVALID;
                return -1;
            }
        }
        _ => {
            *t = INVALID;
            return -1;
        }
    }
    b.s = s.get(i..).unwrap_or(&[]);
    if b.s.is_empty() {
        *t = END;
    } else if nt != INVALID {
        *t = nt;
    } else {
        next_token(t, b);
    }
    v
}

pub fn compare(a: &str, b: &str) -> Result<Ordering, &'static str> {
    let (mut ab, mut bb) = (
        Blob {
            s: a.trim().as_bytes(),
        },
        Blob {
            s: b.trim().as_bytes(),
        },
    );
    if ab.s.is_empty() || bb.s.is_empty() {
        return Err("empty version");
    }
    let (mut at, mut bt) = (DIGIT, DIGIT);
    let (mut av, mut bv) = (0i64, 0i64);
    while at == bt && at != END && at != INVALID && av == bv {
        av = get_token(&mut at, &mut ab);
        bv = get_token(&mut bt, &mut bb);
    }
    if av != bv {
        return Ok(av.cmp(&bv));
    }
    if at == bt {
        return Ok(Ordering::Equal);
    }
    let mut tt = at;
    if at == SUFFIX && get_token(&mut tt, &mut ab) < 0 {
        return Ok(Ordering::Less);
    }
    let mut tt = bt;
    if bt == SUFFIX && get_token(&mut tt, &mut bb) < 0 {
        return Ok(Ordering::Greater);
    }
    Ok(bt.cmp(&at))
}
