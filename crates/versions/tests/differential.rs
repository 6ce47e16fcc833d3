//! Differential tests against the reference implementations installed on the machine.
//!
//! Each test generates a few thousand deterministic version pairs, writes them to one temp file,
//! runs ONE external process over all of them, and requires 100% agreement with [`compare`].
//! A missing peer tool fails the test with the install command (never a skip):
//!   deb:  `dpkg` (Debian's dpkg package)
//!   pypi: Python 3 with `packaging` (`pip install packaging`)
//!   npm:  Node.js + npm; the `semver` package is installed by this test into `<repo>/../tools`
//!   rpm:  Debian's `python3-rpm` (`apt-get install -y python3-rpm`, used via /usr/bin/python3)
//!   gem:  Ruby (`apt-get install -y ruby`)

use mdsec_versions::{compare, Scheme};
use std::cmp::Ordering;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

const PAIRS: usize = 3000;

/// xorshift64*: deterministic and dependency-free.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn tools_dir() -> PathBuf {
    std::env::var_os("MDSEC_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../tools")))
}

/// Run `program args…` once with "a\tb" lines on stdin; it must print -1/0/1 per line, or `E`
/// when it rejects either version.
fn run_peer(
    label: &str,
    install_hint: &str,
    program: &str,
    args: &[&str],
    pairs: &[(String, String)],
) -> Vec<Option<i32>> {
    let mut input = String::new();
    for (a, b) in pairs {
        input.push_str(a);
        input.push('\t');
        input.push_str(b);
        input.push('\n');
    }
    let path = std::env::temp_dir().join(format!(
        "mdsec-differential-{label}-{}.tsv",
        std::process::id()
    ));
    std::fs::write(&path, &input).expect("write pairs file");
    let file = std::fs::File::open(&path).expect("open pairs file");
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::from(file))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap_or_else(|e| {
            panic!("differential-{label}: cannot run {program} ({e}); install it: {install_hint}")
        });
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "differential-{label}: {program} failed ({}); install: {install_hint}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let got: Vec<Option<i32>> = text.lines().map(|l| l.trim().parse().ok()).collect();
    assert_eq!(
        got.len(),
        pairs.len(),
        "differential-{label}: peer answered {} of {} pairs",
        got.len(),
        pairs.len()
    );
    got
}

fn check(label: &str, scheme: Scheme, pairs: &[(String, String)], peer: &[Option<i32>]) {
    let mut disagreements = Vec::new();
    for ((a, b), want) in pairs.iter().zip(peer) {
        let want = want.map(|w| w.cmp(&0));
        let ours = compare(scheme, a, b);
        if ours.as_ref().ok().copied() != want {
            disagreements.push(format!(
                "{a} vs {b}: ours {ours:?}, peer {want:?} (None = rejected)"
            ));
        }
    }
    let passed = pairs.len() - disagreements.len();
    println!("differential-{label}: {passed}/{}", pairs.len());
    for d in disagreements.iter().take(30) {
        eprintln!("  {d}");
    }
    assert!(
        disagreements.is_empty(),
        "differential-{label}: {} disagreements",
        disagreements.len()
    );
}

fn gen_pairs(seed: u64, mut one: impl FnMut(&mut Rng) -> String) -> Vec<(String, String)> {
    let mut rng = Rng(seed);
    let mut out = Vec::with_capacity(PAIRS);
    for i in 0..PAIRS {
        let a = one(&mut rng);
        // A third of the pairs compare a version with a small mutation of itself.
        let b = if i % 3 == 0 {
            mutate(&mut rng, &a)
        } else {
            one(&mut rng)
        };
        out.push((a, b));
    }
    out
}

fn mutate(rng: &mut Rng, s: &str) -> String {
    let mut v: Vec<char> = s.chars().collect();
    if v.is_empty() {
        return s.to_string();
    }
    let i = rng.below(v.len());
    if v[i].is_ascii_digit() {
        v[i] = char::from(b'0' + rng.below(10) as u8);
    }
    v.into_iter().collect()
}

fn digits(rng: &mut Rng) -> String {
    rng.pick(&[
        "0", "1", "2", "3", "9", "10", "11", "01", "00", "123", "2024",
    ])
    .to_string()
}

#[test]
fn conformance_differential_deb() {
    let pairs = gen_pairs(1, |r| {
        let mut s = String::new();
        if r.chance(20) {
            s.push_str(&format!("{}:", r.below(3)));
        }
        s.push_str(&digits(r));
        for _ in 0..r.below(4) {
            s.push_str(r.pick(&[".", ".", "+", "~", ""]));
            s.push_str(&if r.chance(60) {
                digits(r)
            } else {
                r.pick(&["a", "b", "rc", "beta", "dfsg", "z"]).to_string()
            });
        }
        if r.chance(60) {
            s.push('-');
            s.push_str(&digits(r));
            if r.chance(40) {
                s.push_str(r.pick(&["ubuntu1", "+b1", "~bpo1", ".1", "deb12u1"]));
            }
        }
        s
    });
    let script = r#"while IFS="$(printf '\t')" read -r a b; do
  if dpkg --compare-versions "$a" lt "$b"; then echo -1
  elif dpkg --compare-versions "$a" eq "$b"; then echo 0
  else echo 1; fi
done"#;
    let peer = run_peer(
        "deb",
        "apt-get install -y dpkg",
        "bash",
        &["-c", script],
        &pairs,
    );
    check("deb", Scheme::Deb, &pairs, &peer);
}

#[test]
fn conformance_differential_pypi() {
    let pairs = gen_pairs(2, |r| {
        let mut s = String::new();
        if r.chance(10) {
            s.push('v');
        }
        if r.chance(10) {
            s.push_str(&format!("{}!", r.below(3)));
        }
        s.push_str(&digits(r));
        for _ in 0..r.below(3) {
            s.push('.');
            s.push_str(&digits(r));
        }
        if r.chance(35) {
            s.push_str(r.pick(&["", ".", "-", "_"]));
            s.push_str(r.pick(&["a", "b", "rc", "c", "alpha", "beta", "pre", "preview", "RC"]));
            if r.chance(80) {
                s.push_str(r.pick(&["", "."]));
                s.push_str(&digits(r));
            }
        }
        if r.chance(25) {
            match r.below(3) {
                0 => s.push_str(&format!("-{}", digits(r))),
                1 => s.push_str(&format!(
                    "{}{}{}",
                    r.pick(&[".", "-", "_", ""]),
                    r.pick(&["post", "rev", "r"]),
                    digits(r)
                )),
                _ => s.push_str(".post"),
            }
        }
        if r.chance(25) {
            s.push_str(r.pick(&[".dev", "dev", "-dev", "_dev"]));
            if r.chance(70) {
                s.push_str(&digits(r));
            }
        }
        if r.chance(15) {
            s.push('+');
            s.push_str(r.pick(&["ubuntu", "1", "abc", "local"]));
            if r.chance(50) {
                s.push_str(r.pick(&[".", "-", "_"]));
                s.push_str(&if r.chance(50) {
                    digits(r)
                } else {
                    "x".to_string()
                });
            }
        }
        s
    });
    let script = "import sys\nfrom packaging.version import Version\nfor line in sys.stdin:\n    a, b = line.rstrip('\\n').split('\\t')\n    x, y = Version(a), Version(b)\n    print(-1 if x < y else (0 if x == y else 1))\n";
    let peer = run_peer(
        "pypi",
        "pip install packaging",
        "python3",
        &["-c", script],
        &pairs,
    );
    check("pypi", Scheme::Pypi, &pairs, &peer);
}

fn ensure_node_semver() -> PathBuf {
    let dir = tools_dir();
    let module = dir.join("node_modules").join("semver");
    if !module.exists() {
        std::fs::create_dir_all(&dir).expect("create tools dir");
        let st = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("semver@7")
            .status()
            .unwrap_or_else(|e| {
                panic!("differential-npm: cannot run npm ({e}); install Node.js and npm")
            });
        assert!(
            st.success(),
            "differential-npm: `npm install semver` into {} failed",
            dir.display()
        );
    }
    dir.join("node_modules")
}

#[test]
fn conformance_differential_npm() {
    let pairs = gen_pairs(3, |r| {
        let n = |r: &mut Rng| r.pick(&["0", "1", "2", "3", "10", "11", "99"]).to_string();
        let mut s = format!("{}.{}.{}", n(r), n(r), n(r));
        if r.chance(40) {
            s.push('-');
            for k in 0..1 + r.below(3) {
                if k > 0 {
                    s.push('.');
                }
                s.push_str(r.pick(&[
                    "alpha", "beta", "rc", "0", "1", "2", "10", "x-y", "Alpha", "rc1",
                ]));
            }
        }
        if r.chance(15) {
            s.push('+');
            s.push_str(r.pick(&["build", "001", "sha.5114f85"]));
        }
        s
    });
    let modules = ensure_node_semver();
    let script = "const s=require('semver');const lines=require('fs').readFileSync(0,'utf8').split('\\n').filter(Boolean);\
        process.stdout.write(lines.map(l=>{const [a,b]=l.split('\\t');try{return String(s.compare(a,b));}catch(e){return 'E';}}).join('\\n')+'\\n');";
    std::env::set_var("NODE_PATH", &modules);
    let peer = run_peer(
        "npm",
        "apt-get install -y nodejs npm",
        "node",
        &["-e", script],
        &pairs,
    );
    check("npm", Scheme::Npm, &pairs, &peer);
}

#[test]
fn conformance_differential_rpm() {
    let pairs = gen_pairs(4, |r| {
        let mut s = String::new();
        if r.chance(20) {
            s.push_str(&format!("{}:", r.below(3)));
        }
        s.push_str(&digits(r));
        for _ in 0..r.below(4) {
            s.push_str(r.pick(&[".", ".", "_", "+", "~", "^", ""]));
            s.push_str(&if r.chance(60) {
                digits(r)
            } else {
                r.pick(&["a", "b", "rc", "beta", "git", "Z"]).to_string()
            });
        }
        if r.chance(60) {
            s.push('-');
            s.push_str(&digits(r));
            if r.chance(40) {
                s.push_str(r.pick(&[".el8", ".fc39", "~rc1", "^post", ".1"]));
            }
        }
        s
    });
    let script = "import sys, rpm\nfor line in sys.stdin:\n    a, b = line.rstrip('\\n').split('\\t')\n    x, y = rpm.ver(a), rpm.ver(b)\n    print(-1 if x < y else (0 if x == y else 1))\n";
    let peer = run_peer(
        "rpm",
        "apt-get install -y python3-rpm",
        "/usr/bin/python3",
        &["-c", script],
        &pairs,
    );
    check("rpm", Scheme::Rpm, &pairs, &peer);
}

#[test]
fn conformance_differential_gem() {
    let pairs = gen_pairs(5, |r| {
        let mut s = digits(r);
        for _ in 0..r.below(4) {
            s.push('.');
            s.push_str(&if r.chance(75) {
                digits(r)
            } else {
                r.pick(&["a", "b", "pre", "rc", "beta", "RC"]).to_string()
            });
        }
        if r.chance(15) {
            s.push('-');
            s.push_str(r.pick(&["1", "pre", "rc1", "x-y"]));
        }
        s
    });
    let script = "STDIN.each_line { |l| a, b = l.chomp.split(\"\\t\"); puts(Gem::Version.new(a) <=> Gem::Version.new(b)) }";
    let peer = run_peer(
        "gem",
        "apt-get install -y ruby",
        "ruby",
        &["-e", script],
        &pairs,
    );
    check("gem", Scheme::Gem, &pairs, &peer);
}

#[test]
fn generator_is_deterministic() {
    let f = |r: &mut Rng| digits(r);
    assert_eq!(gen_pairs(9, f), gen_pairs(9, |r: &mut Rng| digits(r)));
    let _ = Ordering::Equal;
    let _ = std::io::stdout().flush();
}
