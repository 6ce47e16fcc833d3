//! HTTP: conditional GET (If-None-Match / If-Modified-Since), resumable downloads (`Range` +
//! `If-Range` on a `.part` file, with a full download when the server ignores the range), size caps
//! while streaming, retries with back-off for transient failures.

use crate::{redact, FeedConfig, FeedSyncError};
use reqwest::header::{
    HeaderMap, CONTENT_RANGE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE, LAST_MODIFIED,
    RANGE,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use url::Url;

/// Longest error-body excerpt quoted in a message.
pub const MAX_ERROR_EXCERPT_CHARS: usize = 200;
/// Redirects followed for plain downloads (never for API requests that carry a key).
pub const MAX_REDIRECTS: usize = 5;

/// Validators of the copy in place, sent as conditions.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Validators<'a> {
    pub etag: Option<&'a str>,
    pub last_modified: Option<&'a str>,
}

#[derive(Debug)]
pub(crate) struct Completed {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub bytes: u64,
    /// Set when this download continued an earlier `.part` at this offset.
    pub resumed_from: Option<u64>,
}

#[derive(Debug)]
pub(crate) enum Fetched {
    NotModified,
    Complete(Completed),
}

/// A small response read whole.
#[derive(Debug)]
pub(crate) struct Small {
    pub body: Vec<u8>,
}

/// Beside `x.part`: which URL and which version of it the partial bytes belong to.
#[derive(Debug, Serialize, Deserialize)]
struct PartMeta {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
}

pub(crate) type ProgressFn<'a> = &'a (dyn Fn(u64, Option<u64>) + Send + Sync);

pub(crate) struct Http {
    client: reqwest::Client,
    /// No redirects: used for requests that carry an API key.
    api_client: reqwest::Client,
    retries: u32,
    backoff: Duration,
    secret: Option<String>,
}

fn builder(config: &FeedConfig) -> Result<reqwest::ClientBuilder, FeedSyncError> {
    let mut b = reqwest::Client::builder()
        .user_agent(concat!("mdsec/", env!("CARGO_PKG_VERSION"), " (feed sync)"))
        .connect_timeout(Duration::from_secs(config.connect_timeout_secs))
        .read_timeout(Duration::from_secs(config.timeout_secs))
        .min_tls_version(reqwest::tls::Version::TLS_1_2);
    match config.proxy.as_deref() {
        None => {}
        Some("none") => b = b.no_proxy(),
        Some(p) => {
            let proxy = reqwest::Proxy::all(p).map_err(|e| FeedSyncError::Config {
                path: "feeds.toml".into(),
                message: format!("proxy: {e}"),
            })?;
            b = b.proxy(proxy);
        }
    }
    Ok(b)
}

impl Http {
    pub fn new(config: &FeedConfig, secret: Option<String>) -> Result<Self, FeedSyncError> {
        let build_err = |e: reqwest::Error| FeedSyncError::Transport {
            url: String::new(),
            message: format!("cannot set up the HTTP client: {e}"),
        };
        let client = builder(config)?
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let downgrade = attempt
                    .previous()
                    .last()
                    .is_some_and(|prev| prev.scheme() == "https")
                    && attempt.url().scheme() != "https";
                if attempt.previous().len() > MAX_REDIRECTS {
                    attempt.error("too many redirects")
                } else if downgrade {
                    attempt.error("redirect from https to http refused")
                } else {
                    attempt.follow()
                }
            }))
            .build()
            .map_err(build_err)?;
        let api_client = builder(config)?
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(build_err)?;
        Ok(Http {
            client,
            api_client,
            retries: config.retries,
            backoff: Duration::from_millis(config.retry_backoff_ms),
            secret,
        })
    }

    pub fn scrub(&self, text: &str) -> String {
        redact(text, self.secret.as_deref())
    }

    fn transport(&self, url: &Url, e: &reqwest::Error) -> FeedSyncError {
        // reqwest's Display names the URL already; keep the chain of causes for TLS/connect errors.
        let mut message = e.to_string();
        let mut src = std::error::Error::source(e);
        while let Some(s) = src {
            message.push_str(": ");
            message.push_str(&s.to_string());
            src = s.source();
        }
        FeedSyncError::Transport {
            url: url.to_string(),
            message: self.scrub(&message),
        }
    }

    async fn pause(&self, attempt: u32, err: &FeedSyncError) {
        let wait = self.backoff * attempt;
        tracing::warn!(
            "{}; attempt {} in {} ms",
            self.scrub(&err.to_string()),
            attempt + 1,
            wait.as_millis()
        );
        tokio::time::sleep(wait).await;
    }

    /// Download `url` into `part`, continuing an earlier partial transfer when possible. With `prior`
    /// (a copy is in place) the request is conditional and a 304 gives [`Fetched::NotModified`].
    pub async fn download(
        &self,
        url: &Url,
        part: &Path,
        prior: Option<Validators<'_>>,
        cap: u64,
        progress: ProgressFn<'_>,
    ) -> Result<Fetched, FeedSyncError> {
        let mut attempt = 0;
        loop {
            match self.download_once(url, part, prior, cap, progress).await {
                Err(e) if attempt < self.retries && e.is_transient(&[]) => {
                    attempt += 1;
                    self.pause(attempt, &e).await;
                }
                other => return other,
            }
        }
    }

    async fn download_once(
        &self,
        url: &Url,
        part: &Path,
        prior: Option<Validators<'_>>,
        cap: u64,
        progress: ProgressFn<'_>,
    ) -> Result<Fetched, FeedSyncError> {
        let meta_path = part_meta_path(part);
        let part_len = tokio::fs::metadata(part)
            .await
            .map(|m| m.len())
            .unwrap_or(0);
        let meta = if part_len > 0 {
            read_meta(&meta_path).filter(|m| m.url == url.as_str())
        } else {
            None
        };
        // If-Range needs a strong validator: a strong ETag, else Last-Modified.
        let if_range = meta.as_ref().and_then(|m| {
            m.etag
                .clone()
                .filter(|e| !e.starts_with("W/"))
                .or_else(|| m.last_modified.clone())
        });
        let resume_from = match &if_range {
            Some(_) if part_len > 0 && part_len < cap => Some(part_len),
            _ => {
                remove_part(part);
                None
            }
        };

        let mut req = self.client.get(url.clone());
        if let (Some(from), Some(ir)) = (resume_from, &if_range) {
            req = req
                .header(RANGE, format!("bytes={from}-"))
                .header(IF_RANGE, ir.as_str());
        } else if let Some(p) = prior {
            if let Some(e) = p.etag {
                req = req.header(IF_NONE_MATCH, e);
            }
            if let Some(lm) = p.last_modified {
                req = req.header(IF_MODIFIED_SINCE, lm);
            }
        }
        let resp = req.send().await.map_err(|e| self.transport(url, &e))?;
        let status = resp.status().as_u16();
        let etag = header(resp.headers(), ETAG.as_str());
        let last_modified = header(resp.headers(), LAST_MODIFIED.as_str());
        let length = resp.content_length();

        let (mut file, start, total, validators) = match (status, resume_from) {
            (304, None) if prior.is_some() => return Ok(Fetched::NotModified),
            (206, Some(from)) => {
                let range = header(resp.headers(), CONTENT_RANGE.as_str())
                    .as_deref()
                    .and_then(parse_content_range);
                match range {
                    Some((first, total)) if first == from => {
                        tracing::info!("{url}: resuming at byte {from}");
                        let f = tokio::fs::OpenOptions::new()
                            .append(true)
                            .open(part)
                            .await
                            .map_err(|e| FeedSyncError::io(part, e))?;
                        let total = total.or(length.map(|l| l + from));
                        let m = meta.unwrap_or(PartMeta {
                            url: url.to_string(),
                            etag: None,
                            last_modified: None,
                        });
                        (
                            f,
                            from,
                            total,
                            (m.etag.or(etag), m.last_modified.or(last_modified)),
                        )
                    }
                    _ => {
                        remove_part(part);
                        return Err(FeedSyncError::Transport {
                            url: url.to_string(),
                            message: format!(
                                "asked for bytes {from}- but the server answered another range"
                            ),
                        });
                    }
                }
            }
            (200, _) => {
                if resume_from.is_some() {
                    tracing::info!("{url}: the server sent the whole file instead of a range");
                }
                if let Some(parent) = part.parent() {
                    tokio::fs::create_dir_all(parent)
                        .await
                        .map_err(|e| FeedSyncError::io(parent, e))?;
                }
                let f = tokio::fs::File::create(part)
                    .await
                    .map_err(|e| FeedSyncError::io(part, e))?;
                let m = PartMeta {
                    url: url.to_string(),
                    etag: etag.clone(),
                    last_modified: last_modified.clone(),
                };
                if let Ok(bytes) = serde_json::to_vec(&m) {
                    crate::state::write_atomic(&meta_path, &bytes)?;
                }
                (f, 0, length, (etag, last_modified))
            }
            (416, Some(_)) => {
                remove_part(part);
                return Err(FeedSyncError::Transport {
                    url: url.to_string(),
                    message: "the partial download no longer fits the file (416); starting over"
                        .into(),
                });
            }
            (s, _) => return Err(self.status_error(url, resp, s).await),
        };
        if let Some(t) = total {
            if t > cap {
                drop(file);
                remove_part(part);
                return Err(FeedSyncError::TooLarge {
                    what: url.to_string(),
                    limit: cap,
                });
            }
        }

        let mut written = start;
        let mut resp = resp;
        progress(written, total);
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let n = chunk.len() as u64;
                    if written.saturating_add(n) > cap {
                        drop(file);
                        remove_part(part);
                        return Err(FeedSyncError::TooLarge {
                            what: url.to_string(),
                            limit: cap,
                        });
                    }
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| FeedSyncError::io(part, e))?;
                    written += n;
                    progress(written, total);
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = file.flush().await;
                    let _ = file.sync_all().await;
                    return Err(FeedSyncError::Interrupted {
                        url: url.to_string(),
                        bytes: written,
                        message: self.scrub(&e.to_string()),
                    });
                }
            }
        }
        file.flush().await.map_err(|e| FeedSyncError::io(part, e))?;
        file.sync_all()
            .await
            .map_err(|e| FeedSyncError::io(part, e))?;
        if let Some(t) = total {
            if written != t {
                return Err(FeedSyncError::Interrupted {
                    url: url.to_string(),
                    bytes: written,
                    message: format!("expected {t} bytes"),
                });
            }
        }
        Ok(Fetched::Complete(Completed {
            etag: validators.0,
            last_modified: validators.1,
            bytes: written,
            resumed_from: resume_from.filter(|_| start > 0),
        }))
    }

    async fn status_error(&self, url: &Url, resp: reqwest::Response, status: u16) -> FeedSyncError {
        // NVD explains refusals in a `message` header; others in the body.
        let mut detail = header(resp.headers(), "message").unwrap_or_default();
        if detail.is_empty() {
            let mut body = Vec::new();
            let mut resp = resp;
            while let Ok(Some(chunk)) = resp.chunk().await {
                body.extend_from_slice(&chunk);
                if body.len() > MAX_ERROR_EXCERPT_CHARS * 4 {
                    break;
                }
            }
            detail = String::from_utf8_lossy(&body).into_owned();
        }
        let detail: String = detail
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(MAX_ERROR_EXCERPT_CHARS)
            .collect();
        let detail = self.scrub(detail.trim());
        FeedSyncError::Status {
            url: url.to_string(),
            status,
            detail: if detail.is_empty() {
                String::new()
            } else {
                format!(": {detail}")
            },
        }
    }

    /// GET a response of at most `cap` bytes into memory, with retries. `api` requests use the client
    /// that follows no redirect (they may carry a key). `extra_retry` lists statuses that also mean
    /// "wait and try again" for this service (NVD answers 403 when rate-limited).
    pub async fn get_small(
        &self,
        url: &Url,
        headers: &[(&'static str, &str)],
        cap: u64,
        api: bool,
        extra_retry: &[u16],
    ) -> Result<Small, FeedSyncError> {
        let mut attempt = 0;
        loop {
            match self.get_small_once(url, headers, cap, api).await {
                Err(e) if attempt < self.retries && e.is_transient(extra_retry) => {
                    attempt += 1;
                    self.pause(attempt, &e).await;
                }
                other => return other,
            }
        }
    }

    async fn get_small_once(
        &self,
        url: &Url,
        headers: &[(&'static str, &str)],
        cap: u64,
        api: bool,
    ) -> Result<Small, FeedSyncError> {
        let client = if api { &self.api_client } else { &self.client };
        let mut req = client.get(url.clone());
        for (k, v) in headers {
            // Marked sensitive: never shown by header Debug output, never HPACK-indexed.
            let mut value = reqwest::header::HeaderValue::from_str(v).map_err(|_| {
                FeedSyncError::invalid(url, format!("the {k} header value is not valid"))
            })?;
            value.set_sensitive(true);
            req = req.header(*k, value);
        }
        let mut resp = req.send().await.map_err(|e| self.transport(url, &e))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(self.status_error(url, resp, status).await);
        }
        if resp.content_length().is_some_and(|l| l > cap) {
            return Err(FeedSyncError::TooLarge {
                what: url.to_string(),
                limit: cap,
            });
        }
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() as u64 + chunk.len() as u64 > cap {
                        return Err(FeedSyncError::TooLarge {
                            what: url.to_string(),
                            limit: cap,
                        });
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(FeedSyncError::Interrupted {
                        url: url.to_string(),
                        bytes: body.len() as u64,
                        message: self.scrub(&e.to_string()),
                    })
                }
            }
        }
        Ok(Small { body })
    }
}

fn header(h: &HeaderMap, name: &str) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `bytes 100-999/1000` → (100, Some(1000)); `bytes 100-999/*` → (100, None).
pub(crate) fn parse_content_range(v: &str) -> Option<(u64, Option<u64>)> {
    let rest = v.trim().strip_prefix("bytes")?.trim_start();
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let first: u64 = first.trim().parse().ok()?;
    let last: u64 = last.trim().parse().ok()?;
    if last < first {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        t => Some(t.parse::<u64>().ok()?),
    };
    if total.is_some_and(|t| last >= t) {
        return None;
    }
    Some((first, total))
}

pub(crate) fn part_meta_path(part: &Path) -> PathBuf {
    let mut s = part.as_os_str().to_owned();
    s.push(".meta");
    PathBuf::from(s)
}

fn read_meta(path: &Path) -> Option<PartMeta> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.len() > 64 * 1024 {
        return None;
    }
    serde_json::from_slice(&bytes).ok()
}

/// Forget a partial download (the `.part` file and what it belonged to).
pub(crate) fn remove_part(part: &Path) {
    let _ = std::fs::remove_file(part);
    let _ = std::fs::remove_file(part_meta_path(part));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range() {
        assert_eq!(
            parse_content_range("bytes 100-999/1000"),
            Some((100, Some(1000)))
        );
        assert_eq!(parse_content_range("bytes 0-0/*"), Some((0, None)));
        assert_eq!(parse_content_range("bytes 10-5/100"), None);
        assert_eq!(parse_content_range("bytes 10-100/100"), None);
        assert_eq!(parse_content_range("items 1-2/3"), None);
        assert_eq!(parse_content_range("bytes x-2/3"), None);
    }
}
