//! A CSAF provider. The configured URL may be the provider's `provider-metadata.json` (its ROLIE
//! feeds of the configured TLP labels are read; without ROLIE, its `directory_url`'s `changes.csv`),
//! a ROLIE feed, or a `changes.csv`. Each listed advisory whose file name matches `include` is
//! fetched conditionally, checked against its `.sha512`/`.sha256` side file when the provider
//! publishes one (a mismatch keeps the previous copy), checked as CSAF JSON and put in
//! `data/csaf/<file name>`. An entry whose `updated` stamp has not changed is not requested at all.

use super::{fetch_file, install_file, record, sha256_hex, Ctx};
use crate::fetch::remove_part;
use crate::state::SourceState;
use crate::sync::SourceReport;
use crate::verify::{self, MAX_CHECKSUM_FILE_BYTES};
use crate::{
    CsafSource, FeedSyncError, MAX_CSAF_DOCUMENT_BYTES, MAX_CSAF_ENTRIES, MAX_CSAF_FEEDS,
    MAX_CSAF_INDEX_BYTES,
};
use serde_json::Value;
use url::Url;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub url: Url,
    pub name: String,
    pub updated: Option<String>,
    pub hash_url: Option<Url>,
}

pub(super) async fn run(
    ctx: &Ctx<'_>,
    cfg: &CsafSource,
    state: &mut SourceState,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    let url = ctx.url(&cfg.url)?;
    let mut entries = Vec::new();
    let index = load_index(ctx, state, &url, rep).await?;
    match classify(&url, &index)? {
        Index::Metadata(meta) => {
            let (feeds, dir) = metadata_sources(&url, &meta, &cfg.tlp)?;
            if !feeds.is_empty() {
                for feed in feeds.iter().take(MAX_CSAF_FEEDS) {
                    let bytes = load_index(ctx, state, feed, rep).await?;
                    entries.extend(rolie_entries(feed, &parse_json(feed, &bytes)?)?);
                }
            } else if let Some(dir) = dir {
                let changes = dir
                    .join("changes.csv")
                    .map_err(|e| FeedSyncError::invalid(&dir, e.to_string()))?;
                let bytes = load_index(ctx, state, &changes, rep).await?;
                entries.extend(changes_entries(&changes, &bytes)?);
            } else {
                return Err(FeedSyncError::invalid(
                    &url,
                    "provider metadata lists no ROLIE feed of the configured TLP labels and no directory",
                ));
            }
        }
        Index::Rolie(feed) => entries.extend(rolie_entries(&url, &feed)?),
        Index::Changes => entries.extend(changes_entries(&url, &index)?),
    }
    if entries.len() > MAX_CSAF_ENTRIES {
        return Err(FeedSyncError::invalid(
            &url,
            format!("more than {MAX_CSAF_ENTRIES} entries"),
        ));
    }
    let include: Vec<String> = cfg.include.iter().map(|p| p.to_ascii_lowercase()).collect();
    let mut seen = std::collections::HashSet::new();
    entries.retain(|e| {
        (include.is_empty() || include.iter().any(|p| e.name.starts_with(p.as_str())))
            && seen.insert(e.name.clone())
    });
    let total = entries.len() as u64;
    for (i, entry) in entries.iter().enumerate() {
        ctx.progress
            .update(ctx.name, &entry.name, i as u64, Some(total));
        let dest = ctx.data.join(&entry.name);
        let known = state.resources.get(entry.url.as_str());
        if entry.updated.is_some()
            && known.is_some_and(|r| r.updated == entry.updated)
            && dest.exists()
        {
            rep.unchanged += 1;
            continue;
        }
        if let Err(e) = document(ctx, state, entry, &dest, rep).await {
            rep.fail(e.to_string());
        }
    }
    ctx.progress.update(ctx.name, "", total, Some(total));
    Ok(())
}

async fn document(
    ctx: &Ctx<'_>,
    state: &mut SourceState,
    entry: &Entry,
    dest: &std::path::Path,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    let part_name = format!("{}.part", entry.name);
    let fetched = fetch_file(
        ctx,
        state,
        &entry.url,
        &part_name,
        dest,
        MAX_CSAF_DOCUMENT_BYTES,
        rep,
    )
    .await?;
    let Some((part, c)) = fetched else {
        if let Some(r) = state.resources.get_mut(entry.url.as_str()) {
            r.updated = entry.updated.clone();
        }
        rep.unchanged += 1;
        return Ok(());
    };
    let verified = async {
        if let Some((algorithm, expected)) = side_checksum(ctx, entry).await? {
            let actual = algorithm.file_digest(&part)?;
            if actual != expected {
                return Err(FeedSyncError::Checksum {
                    url: entry.url.to_string(),
                    algorithm: algorithm.name(),
                    expected,
                    actual,
                });
            }
        } else {
            tracing::info!("{}: no checksum side file published", entry.url);
        }
        let bytes = tokio::fs::read(&part)
            .await
            .map_err(|e| FeedSyncError::io(&part, e))?;
        verify::check_csaf_json(entry.url.as_str(), &bytes)?;
        Ok(sha256_hex(&bytes))
    }
    .await;
    let digest = match verified {
        Ok(d) => d,
        Err(e) => {
            remove_part(&part);
            return Err(e);
        }
    };
    install_file(&part, dest)?;
    record(
        ctx,
        state,
        &entry.url,
        &c,
        Some(digest),
        dest,
        entry.updated.clone(),
    );
    rep.downloaded += 1;
    rep.paths.push(dest.to_path_buf());
    Ok(())
}

/// The checksum the provider publishes for `entry`: the ROLIE `hash` link, else `<url>.sha512`, else
/// `<url>.sha256`; `None` when neither side file exists (404).
async fn side_checksum(
    ctx: &Ctx<'_>,
    entry: &Entry,
) -> Result<Option<(verify::HashAlgorithm, String)>, FeedSyncError> {
    let candidates: Vec<Url> = match &entry.hash_url {
        Some(h) => vec![h.clone()],
        None => [".sha512", ".sha256"]
            .iter()
            .filter_map(|ext| Url::parse(&format!("{}{ext}", entry.url)).ok())
            .collect(),
    };
    let must_exist = entry.hash_url.is_some();
    for url in candidates {
        match ctx
            .http
            .get_small(&url, &[], MAX_CHECKSUM_FILE_BYTES, false, &[])
            .await
        {
            Ok(small) => {
                let text = String::from_utf8_lossy(&small.body);
                return verify::parse_checksum_file(&text)
                    .map(Some)
                    .map_err(|m| FeedSyncError::invalid(&url, m));
            }
            Err(FeedSyncError::Status { status: 404, .. }) if !must_exist => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(None)
}

/// Fetch an index file (metadata, feed, changes.csv) conditionally; kept under the work folder (it
/// is not something import reads) so that a 304 can reuse it.
async fn load_index(
    ctx: &Ctx<'_>,
    state: &mut SourceState,
    url: &Url,
    rep: &mut SourceReport,
) -> Result<Vec<u8>, FeedSyncError> {
    let key = &sha256_hex(url.as_str().as_bytes())[..16];
    let copy = ctx.work.join("index").join(key);
    let part_name = format!("index-{key}.part");
    if let Some((part, c)) = fetch_file(
        ctx,
        state,
        url,
        &part_name,
        &copy,
        MAX_CSAF_INDEX_BYTES,
        rep,
    )
    .await?
    {
        install_file(&part, &copy)?;
        record(ctx, state, url, &c, None, &copy, None);
    }
    tokio::fs::read(&copy)
        .await
        .map_err(|e| FeedSyncError::io(&copy, e))
}

enum Index {
    Metadata(Value),
    Rolie(Value),
    Changes,
}

fn parse_json(url: &Url, bytes: &[u8]) -> Result<Value, FeedSyncError> {
    serde_json::from_slice(bytes).map_err(|e| {
        FeedSyncError::invalid(
            url,
            format!(
                "not well-formed JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

fn classify(url: &Url, bytes: &[u8]) -> Result<Index, FeedSyncError> {
    if url.path().ends_with(".csv") {
        return Ok(Index::Changes);
    }
    let v = parse_json(url, bytes)?;
    if v.get("feed").is_some() {
        Ok(Index::Rolie(v))
    } else if v.get("distributions").is_some() || v.get("canonical_url").is_some() {
        Ok(Index::Metadata(v))
    } else {
        Err(FeedSyncError::invalid(
            url,
            "neither CSAF provider metadata nor a ROLIE feed",
        ))
    }
}

fn join(base: &Url, href: &str) -> Option<Url> {
    let u = base.join(href).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}

/// ROLIE feed URLs with an accepted TLP label, and the directory URL, from provider metadata.
pub(crate) fn metadata_sources(
    url: &Url,
    meta: &Value,
    tlp: &[String],
) -> Result<(Vec<Url>, Option<Url>), FeedSyncError> {
    let mut feeds = Vec::new();
    let mut dir = None;
    let dists = meta
        .get("distributions")
        .and_then(Value::as_array)
        .ok_or_else(|| FeedSyncError::invalid(url, "provider metadata has no distributions"))?;
    for d in dists {
        if let Some(fs) = d.pointer("/rolie/feeds").and_then(Value::as_array) {
            for f in fs {
                let label = f.get("tlp_label").and_then(Value::as_str).unwrap_or("");
                if !tlp.iter().any(|t| t.eq_ignore_ascii_case(label)) {
                    continue;
                }
                if let Some(u) = f
                    .get("url")
                    .and_then(Value::as_str)
                    .and_then(|h| join(url, h))
                {
                    feeds.push(u);
                }
            }
        }
        if let Some(d) = d.get("directory_url").and_then(Value::as_str) {
            let with_slash = if d.ends_with('/') {
                d.to_string()
            } else {
                format!("{d}/")
            };
            dir = dir.or_else(|| join(url, &with_slash));
        }
    }
    Ok((feeds, dir))
}

fn file_name(url: &Url) -> Option<String> {
    let name = url.path_segments()?.next_back()?.to_ascii_lowercase();
    (verify::is_safe_file_name(&name) && name.ends_with(".json")).then_some(name)
}

/// Advisories listed in a ROLIE feed.
pub(crate) fn rolie_entries(url: &Url, feed: &Value) -> Result<Vec<Entry>, FeedSyncError> {
    let list = match feed.pointer("/feed/entry") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(a)) => a,
        Some(_) => return Err(FeedSyncError::invalid(url, "feed.entry is not an array")),
    };
    let mut out = Vec::new();
    for e in list {
        let links = e.get("link").and_then(Value::as_array);
        let href_of = |rel: &str| {
            links.into_iter().flatten().find_map(|l| {
                (l.get("rel").and_then(Value::as_str) == Some(rel))
                    .then(|| l.get("href").and_then(Value::as_str))
                    .flatten()
            })
        };
        let Some(doc) = href_of("self")
            .or_else(|| e.pointer("/content/src").and_then(Value::as_str))
            .and_then(|h| join(url, h))
        else {
            continue;
        };
        let Some(name) = file_name(&doc) else {
            tracing::warn!("{url}: skipping entry with an unusable file name: {doc}");
            continue;
        };
        let hashes: Vec<Url> = links
            .into_iter()
            .flatten()
            .filter(|l| l.get("rel").and_then(Value::as_str) == Some("hash"))
            .filter_map(|l| l.get("href").and_then(Value::as_str))
            .filter_map(|h| join(url, h))
            .collect();
        let hash_url = hashes
            .iter()
            .find(|h| h.path().ends_with(".sha512"))
            .or_else(|| hashes.iter().find(|h| h.path().ends_with(".sha256")))
            .cloned();
        out.push(Entry {
            url: doc,
            name,
            updated: e.get("updated").and_then(Value::as_str).map(String::from),
            hash_url,
        });
    }
    Ok(out)
}

/// Advisories listed in a CSAF `changes.csv` (`"path","date"` per line, paths relative to it).
pub(crate) fn changes_entries(url: &Url, bytes: &[u8]) -> Result<Vec<Entry>, FeedSyncError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| FeedSyncError::invalid(url, "changes.csv is not UTF-8"))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let mut cols = line.splitn(2, ',').map(|c| c.trim().trim_matches('"'));
        let (Some(path), date) = (cols.next(), cols.next()) else {
            continue;
        };
        let doc = join(url, path).ok_or_else(|| {
            FeedSyncError::invalid(url, format!("line {}: bad path {path:?}", i + 1))
        })?;
        let Some(name) = file_name(&doc) else {
            tracing::warn!(
                "{url}: line {}: skipping unusable file name {path:?}",
                i + 1
            );
            continue;
        };
        out.push(Entry {
            url: doc,
            name,
            updated: date.filter(|d| !d.is_empty()).map(String::from),
            hash_url: None,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_metadata_rolie_and_changes() {
        let base =
            Url::parse("https://example.org/.well-known/csaf/provider-metadata.json").unwrap();
        let meta = serde_json::json!({
            "canonical_url": base.as_str(),
            "distributions": [
                {"rolie": {"feeds": [
                    {"tlp_label": "WHITE", "url": "https://example.org/csaf/white.json"},
                    {"tlp_label": "AMBER", "url": "https://example.org/csaf/amber.json"}
                ]}},
                {"directory_url": "https://example.org/csaf/white"}
            ]
        });
        let (feeds, dir) = metadata_sources(&base, &meta, &["WHITE".into()]).unwrap();
        assert_eq!(
            feeds,
            vec![Url::parse("https://example.org/csaf/white.json").unwrap()]
        );
        assert_eq!(dir.unwrap().as_str(), "https://example.org/csaf/white/");

        let feed_url = Url::parse("https://example.org/csaf/white.json").unwrap();
        let feed = serde_json::json!({"feed": {"entry": [
            {"updated": "2024-01-02T00:00:00Z", "link": [
                {"rel": "self", "href": "2024/icsma-24-001-01.json"},
                {"rel": "hash", "href": "2024/icsma-24-001-01.json.sha256"},
                {"rel": "hash", "href": "2024/icsma-24-001-01.json.sha512"}]},
            {"link": [{"rel": "self", "href": "../../../etc/passwd"}]},
            {"content": {"src": "https://example.org/x/ICSA-24-002-01.json"}}
        ]}});
        let e = rolie_entries(&feed_url, &feed).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0].url.as_str(),
            "https://example.org/csaf/2024/icsma-24-001-01.json"
        );
        assert_eq!(
            e[0].hash_url.as_ref().unwrap().as_str(),
            "https://example.org/csaf/2024/icsma-24-001-01.json.sha512"
        );
        assert_eq!(e[0].updated.as_deref(), Some("2024-01-02T00:00:00Z"));
        assert_eq!(e[1].name, "icsa-24-002-01.json");

        let changes = Url::parse("https://example.org/csaf/white/changes.csv").unwrap();
        let e = changes_entries(
            &changes,
            b"\"2023/icsma-23-001-01.json\",\"2023-01-05T10:00:00Z\"\n\"2022/icsma-22-244-01.json\",\"2022-09-01T00:00:00Z\"\n",
        )
        .unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(
            e[0].url.as_str(),
            "https://example.org/csaf/white/2023/icsma-23-001-01.json"
        );
        assert_eq!(e[1].updated.as_deref(), Some("2022-09-01T00:00:00Z"));
    }
}
