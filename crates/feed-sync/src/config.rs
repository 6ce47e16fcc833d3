//! The sources configuration: `<data-dir>/feeds.toml`, every section optional, every source disabled
//! until the operator enables it. Defaults name the official publishers; every URL can be overridden
//! (a mirror inside the hospital, or a test server on 127.0.0.1).

use crate::FeedSyncError;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// File name of the sources configuration inside the data directory.
pub const CONFIG_FILE_NAME: &str = "feeds.toml";
/// Largest feeds.toml read.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;
/// Shortest schedule `serve` accepts: official sources ask clients not to poll more often.
pub const MIN_SYNC_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// Names of the sources, in the order they are reported.
pub const SOURCE_NAMES: [&str; 6] = ["osv", "nvd", "kev", "epss", "csaf", "jvn"];

pub const DEFAULT_OSV_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";
pub const DEFAULT_NVD_URL: &str = "https://services.nvd.nist.gov/rest/json/cves/2.0";
pub const DEFAULT_KEV_URL: &str =
    "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json";
pub const DEFAULT_EPSS_URL: &str = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz";
pub const DEFAULT_CSAF_URL: &str =
    "https://www.cisa.gov/sites/default/files/csaf/provider-metadata.json";
pub const DEFAULT_JVN_URL: &str = "https://jvndb.jvn.jp/myjvn";

/// The NVD API refuses date windows longer than this.
pub const NVD_MAX_WINDOW_DAYS: i64 = 120;
/// The NVD API's largest page.
pub const NVD_MAX_RESULTS_PER_PAGE: u32 = 2000;
/// MyJVN's largest page for getVulnOverviewList.
pub const JVN_MAX_COUNT_ITEM: u32 = 50;

/// A commented template written for the operator when no feeds.toml exists. Parses to the defaults.
pub const CONFIG_TEMPLATE: &str = r#"# mdsec feed sources. No source is contacted unless `enabled = true`.
# `mdsec feed sync` downloads the enabled ones into <dir>/data and imports them;
# `mdsec serve --feed-sync-every 6h` (or sync_every below) repeats that on a schedule.

# dir = "feeds"            # relative to the data directory
# sync_every = "6h"        # serve's schedule; absent = never
# timeout_secs = 60        # give up on a connection idle this long
# connect_timeout_secs = 30
# retries = 2              # extra attempts per request in one run (cut transfers resume with Range)
# retry_backoff_ms = 2000
# proxy = "http://proxy.example.jp:8080"   # or "none"; absent = HTTPS_PROXY/HTTP_PROXY

[osv]
enabled = false
# url = "https://osv-vulnerabilities.storage.googleapis.com"
# ecosystems = ["Go", "PyPI", "crates.io", "npm", "Maven", "NuGet"]

[nvd]
enabled = false
# url = "https://services.nvd.nist.gov/rest/json/cves/2.0"
# api_key_env = "NVD_API_KEY"   # the key is read from this environment variable
# results_per_page = 2000
# min_interval_ms = 6000        # default 6000 without a key, 700 with one

[kev]
enabled = false
# url = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"

[epss]
enabled = false
# url = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"

[csaf]
enabled = false
# url = "https://www.cisa.gov/sites/default/files/csaf/provider-metadata.json"
# include = ["icsma-"]          # file-name prefixes kept (ICS medical advisories); [] keeps all

[jvn]
enabled = false
# url = "https://jvndb.jvn.jp/myjvn"
# lang = "ja"
# initial_days = 365            # first run: entries updated in the last N days
# min_interval_ms = 1000
"#;

/// The whole sources configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// Download folder; relative paths are under the data directory. Default `feeds`.
    pub dir: Option<PathBuf>,
    /// How often `serve` syncs (`30m`, `6h`, `1d`); absent = never.
    pub sync_every: Option<String>,
    /// Idle read timeout per request, seconds.
    pub timeout_secs: u64,
    pub connect_timeout_secs: u64,
    /// Extra attempts per request within one run.
    pub retries: u32,
    /// Wait before attempt n+1 is `retry_backoff_ms × n`.
    pub retry_backoff_ms: u64,
    /// `"none"`, or a proxy URL; absent = the HTTPS_PROXY/HTTP_PROXY/NO_PROXY environment.
    pub proxy: Option<String>,
    pub osv: OsvSource,
    pub nvd: NvdSource,
    pub kev: KevSource,
    pub epss: EpssSource,
    pub csaf: CsafSource,
    pub jvn: JvnSource,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            dir: None,
            sync_every: None,
            timeout_secs: 60,
            connect_timeout_secs: 30,
            retries: 2,
            retry_backoff_ms: 2000,
            proxy: None,
            osv: OsvSource::default(),
            nvd: NvdSource::default(),
            kev: KevSource::default(),
            epss: EpssSource::default(),
            csaf: CsafSource::default(),
            jvn: JvnSource::default(),
        }
    }
}

/// OSV: one `all.zip` per ecosystem.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct OsvSource {
    pub enabled: bool,
    /// Base URL; the archive is `<url>/<Ecosystem>/all.zip`.
    pub url: String,
    pub ecosystems: Vec<String>,
}

impl Default for OsvSource {
    fn default() -> Self {
        OsvSource {
            enabled: false,
            url: DEFAULT_OSV_URL.into(),
            ecosystems: ["Go", "PyPI", "crates.io", "npm", "Maven", "NuGet"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// NVD CVE API 2.0: full download on the first run, then `lastModStartDate`/`lastModEndDate` windows.
#[derive(Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct NvdSource {
    pub enabled: bool,
    pub url: String,
    /// Environment variable holding the API key (sent as the `apiKey` header).
    pub api_key_env: String,
    /// The key itself (prefer the environment variable; this file may be readable by others).
    pub api_key: Option<String>,
    pub results_per_page: u32,
    /// Pause between requests; default 6000 ms without a key and 700 ms with one (NVD's published
    /// limits are 5 and 50 requests per rolling 30 s).
    pub min_interval_ms: Option<u64>,
}

impl Default for NvdSource {
    fn default() -> Self {
        NvdSource {
            enabled: false,
            url: DEFAULT_NVD_URL.into(),
            api_key_env: "NVD_API_KEY".into(),
            api_key: None,
            results_per_page: NVD_MAX_RESULTS_PER_PAGE,
            min_interval_ms: None,
        }
    }
}

impl std::fmt::Debug for NvdSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NvdSource")
            .field("enabled", &self.enabled)
            .field("url", &self.url)
            .field("api_key_env", &self.api_key_env)
            .field("api_key", &self.api_key.as_ref().map(|_| "[redacted]"))
            .field("results_per_page", &self.results_per_page)
            .field("min_interval_ms", &self.min_interval_ms)
            .finish()
    }
}

impl NvdSource {
    /// The API key: inline value first, else the environment variable; empty counts as none.
    pub fn api_key(&self) -> Option<String> {
        self.api_key
            .clone()
            .or_else(|| std::env::var(&self.api_key_env).ok())
            .map(|k| k.trim().to_string())
            .filter(|k| !k.is_empty())
    }

    pub fn interval(&self, has_key: bool) -> Duration {
        Duration::from_millis(
            self.min_interval_ms
                .unwrap_or(if has_key { 700 } else { 6000 }),
        )
    }
}

/// CISA Known Exploited Vulnerabilities, one JSON file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct KevSource {
    pub enabled: bool,
    pub url: String,
}

impl Default for KevSource {
    fn default() -> Self {
        KevSource {
            enabled: false,
            url: DEFAULT_KEV_URL.into(),
        }
    }
}

/// FIRST EPSS scores, one CSV (gzip-compressed or plain).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct EpssSource {
    pub enabled: bool,
    pub url: String,
}

impl Default for EpssSource {
    fn default() -> Self {
        EpssSource {
            enabled: false,
            url: DEFAULT_EPSS_URL.into(),
        }
    }
}

/// A CSAF provider: its `provider-metadata.json` (ROLIE feeds or a directory with `changes.csv`), or
/// a ROLIE feed or `changes.csv` URL directly.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct CsafSource {
    pub enabled: bool,
    pub url: String,
    /// File-name prefixes to keep (lower case); empty keeps every advisory.
    pub include: Vec<String>,
    /// TLP labels of ROLIE feeds to read.
    pub tlp: Vec<String>,
}

impl Default for CsafSource {
    fn default() -> Self {
        CsafSource {
            enabled: false,
            url: DEFAULT_CSAF_URL.into(),
            include: vec!["icsma-".into()],
            tlp: vec!["WHITE".into(), "CLEAR".into()],
        }
    }
}

/// JVN iPedia through the MyJVN API (`getVulnOverviewList`, paged with `startItem`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct JvnSource {
    pub enabled: bool,
    pub url: String,
    pub lang: String,
    /// On the first run, entries updated in the last this many days.
    pub initial_days: u32,
    pub max_count_item: u32,
    pub min_interval_ms: u64,
}

impl Default for JvnSource {
    fn default() -> Self {
        JvnSource {
            enabled: false,
            url: DEFAULT_JVN_URL.into(),
            lang: "ja".into(),
            initial_days: 365,
            max_count_item: JVN_MAX_COUNT_ITEM,
            min_interval_ms: 1000,
        }
    }
}

impl FeedConfig {
    /// Read `path`; a missing file gives the defaults (every source disabled).
    pub fn load(path: &Path) -> Result<Self, FeedSyncError> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(FeedSyncError::io(path, e)),
        };
        if meta.len() > MAX_CONFIG_BYTES {
            return Err(FeedSyncError::TooLarge {
                what: path.display().to_string(),
                limit: MAX_CONFIG_BYTES,
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| FeedSyncError::io(path, e))?;
        Self::from_toml(&path.display().to_string(), &text)
    }

    /// Parse and validate configuration text; `name` is used in messages.
    pub fn from_toml(name: &str, text: &str) -> Result<Self, FeedSyncError> {
        let config: FeedConfig = toml::from_str(text).map_err(|e| FeedSyncError::Config {
            path: name.to_string(),
            message: e.to_string().trim().to_string(),
        })?;
        config.validate(name)?;
        Ok(config)
    }

    /// Check every URL and setting.
    pub fn validate(&self, name: &str) -> Result<(), FeedSyncError> {
        let bad = |message: String| FeedSyncError::Config {
            path: name.to_string(),
            message,
        };
        for (source, url) in [
            ("osv", &self.osv.url),
            ("nvd", &self.nvd.url),
            ("kev", &self.kev.url),
            ("epss", &self.epss.url),
            ("csaf", &self.csaf.url),
            ("jvn", &self.jvn.url),
        ] {
            parse_http_url(url).map_err(|m| bad(format!("[{source}] url: {m}")))?;
        }
        for eco in &self.osv.ecosystems {
            if eco.is_empty()
                || eco.len() > 64
                || eco.contains(['/', '\\'])
                || eco == "."
                || eco == ".."
                || eco.chars().any(char::is_control)
            {
                return Err(bad(format!(
                    "[osv] ecosystems: {eco:?} is not an ecosystem name"
                )));
            }
        }
        if !(1..=NVD_MAX_RESULTS_PER_PAGE).contains(&self.nvd.results_per_page) {
            return Err(bad(format!(
                "[nvd] results_per_page must be 1..={NVD_MAX_RESULTS_PER_PAGE}"
            )));
        }
        if !(1..=JVN_MAX_COUNT_ITEM).contains(&self.jvn.max_count_item) {
            return Err(bad(format!(
                "[jvn] max_count_item must be 1..={JVN_MAX_COUNT_ITEM}"
            )));
        }
        if !self
            .jvn
            .lang
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-')
        {
            return Err(bad(
                "[jvn] lang must be a language code such as ja or en".into()
            ));
        }
        if let Some(p) = &self.proxy {
            if p != "none" {
                parse_http_url(p).map_err(|m| bad(format!("proxy: {m}")))?;
            }
        }
        if self.timeout_secs == 0 || self.connect_timeout_secs == 0 {
            return Err(bad("timeouts must be at least 1 second".into()));
        }
        self.sync_interval()
            .map_err(|m| bad(format!("sync_every: {m}")))?;
        Ok(())
    }

    /// The download folder: `dir` (relative to `data_dir`) or `<data_dir>/feeds`.
    pub fn feeds_dir(&self, data_dir: &Path) -> PathBuf {
        match &self.dir {
            Some(d) if d.is_absolute() => d.clone(),
            Some(d) => data_dir.join(d),
            None => data_dir.join("feeds"),
        }
    }

    /// `serve`'s schedule from `sync_every`.
    pub fn sync_interval(&self) -> Result<Option<Duration>, String> {
        self.sync_every.as_deref().map(parse_interval).transpose()
    }

    /// Whether a source is enabled; unknown names are an error.
    pub fn is_enabled(&self, name: &str) -> Result<bool, FeedSyncError> {
        Ok(match name {
            "osv" => self.osv.enabled,
            "nvd" => self.nvd.enabled,
            "kev" => self.kev.enabled,
            "epss" => self.epss.enabled,
            "csaf" => self.csaf.enabled,
            "jvn" => self.jvn.enabled,
            other => return Err(FeedSyncError::UnknownSource(other.to_string())),
        })
    }

    /// Names of the enabled sources, in report order.
    pub fn enabled_sources(&self) -> Vec<&'static str> {
        SOURCE_NAMES
            .into_iter()
            .filter(|n| self.is_enabled(n).unwrap_or(false))
            .collect()
    }
}

/// `90s`, `30m`, `6h`, `1d` (also `6h30m`); at least [`MIN_SYNC_INTERVAL`].
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err("empty interval".into());
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => {
                return Err(format!(
                    "{text:?}: use a number with s, m, h or d (e.g. 6h)"
                ))
            }
        };
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("{text:?}: a number must come before {c:?}"))?;
        digits.clear();
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("{text:?}: too long"))?;
    }
    if !digits.is_empty() {
        return Err(format!("{text:?}: the number needs a unit (s, m, h or d)"));
    }
    let d = Duration::from_secs(total);
    if d < MIN_SYNC_INTERVAL {
        return Err(format!(
            "{text:?}: shorter than the minimum of {} minutes",
            MIN_SYNC_INTERVAL.as_secs() / 60
        ));
    }
    Ok(d)
}

pub(crate) fn parse_http_url(text: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(text).map_err(|e| format!("{text:?}: {e}"))?;
    if u.scheme() != "https" && u.scheme() != "http" {
        return Err(format!("{text:?}: only http and https URLs"));
    }
    if u.host_str().is_none() {
        return Err(format!("{text:?}: no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(format!(
            "{}: credentials in the URL are not accepted",
            u.host_str().unwrap_or("")
        ));
    }
    Ok(u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_is_the_defaults_with_everything_off() {
        let c = FeedConfig::from_toml("template", CONFIG_TEMPLATE).unwrap();
        assert_eq!(c, FeedConfig::default());
        assert!(c.enabled_sources().is_empty());
        assert_eq!(
            FeedConfig::from_toml("empty", "").unwrap(),
            FeedConfig::default()
        );
    }

    #[test]
    fn overrides_and_mistakes() {
        let c = FeedConfig::from_toml(
            "f",
            "sync_every = \"6h\"\n[kev]\nenabled = true\nurl = \"http://127.0.0.1:9/kev.json\"\n[osv]\necosystems = [\"Go\", \"crates.io\"]\n",
        )
        .unwrap();
        assert_eq!(c.enabled_sources(), vec!["kev"]);
        assert_eq!(c.kev.url, "http://127.0.0.1:9/kev.json");
        assert_eq!(c.osv.url, DEFAULT_OSV_URL);
        assert_eq!(
            c.sync_interval().unwrap(),
            Some(Duration::from_secs(6 * 3600))
        );
        let e = FeedConfig::from_toml("f.toml", "[kev]\nenabeld = true\n").unwrap_err();
        assert!(
            e.to_string().contains("f.toml") && e.to_string().contains("enabeld"),
            "{e}"
        );
        assert!(FeedConfig::from_toml("f", "[kev]\nurl = \"ftp://x/y\"\n").is_err());
        assert!(FeedConfig::from_toml("f", "[kev]\nurl = \"https://u:p@x/y\"\n").is_err());
        assert!(FeedConfig::from_toml("f", "[osv]\necosystems = [\"../x\"]\n").is_err());
        assert!(FeedConfig::from_toml("f", "[nvd]\nresults_per_page = 5000\n").is_err());
        assert!(FeedConfig::from_toml("f", "sync_every = \"1m\"\n").is_err());
    }

    #[test]
    fn intervals() {
        assert_eq!(parse_interval("6h"), Ok(Duration::from_secs(21_600)));
        assert_eq!(parse_interval("1d"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_interval("6h30m"), Ok(Duration::from_secs(23_400)));
        assert_eq!(parse_interval("900s"), Ok(Duration::from_secs(900)));
        assert!(parse_interval("5m").is_err(), "below the minimum");
        assert!(parse_interval("6").is_err());
        assert!(parse_interval("h").is_err());
        assert!(parse_interval("6x").is_err());
        assert!(parse_interval("").is_err());
        assert!(parse_interval("99999999999999999999d").is_err());
    }

    #[test]
    fn api_key_is_redacted_in_debug() {
        let c = NvdSource {
            api_key: Some("0123-secret-key".into()),
            ..Default::default()
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("0123-secret-key"), "{shown}");
        assert!(shown.contains("[redacted]"));
        assert_eq!(c.api_key().as_deref(), Some("0123-secret-key"));
    }
}
