//! NVD CVE API 2.0. The first run pages through every CVE; later runs ask only for records modified
//! since the last complete window (`lastModStartDate`/`lastModEndDate`, at most 120 days each).
//! The API key goes in the `apiKey` header, never in a URL, a log line or a report. Requests are
//! spaced by the configured interval (NVD: 5 requests per 30 s without a key, 50 with one).

use super::{fresh_dir, swap_dir, Ctx};
use crate::state::SourceState;
use crate::sync::SourceReport;
use crate::{
    verify, FeedSyncError, NvdSource, MAX_NVD_PAGES, MAX_NVD_PAGE_BYTES, NVD_MAX_WINDOW_DAYS,
};
use chrono::{DateTime, SecondsFormat, Utc};
use std::time::Duration;
use tokio::time::Instant;
use url::Url;

/// Statuses NVD uses for "slow down" besides 429/5xx.
const NVD_RETRY_STATUSES: [u16; 1] = [403];

/// Split `from..to` into windows the API accepts.
pub(crate) fn windows(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let max = chrono::Duration::days(NVD_MAX_WINDOW_DAYS);
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let end = (start + max).min(to);
        out.push((start, end));
        start = end;
    }
    out
}

fn api_date(t: DateTime<Utc>) -> String {
    // e.g. 2025-03-01T00:00:00.000+00:00 (the offset form the API documents).
    t.format("%Y-%m-%dT%H:%M:%S%.3f+00:00").to_string()
}

struct Pacer {
    interval: Duration,
    last: Option<Instant>,
}

impl Pacer {
    async fn wait(&mut self) {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.interval).await;
        }
        self.last = Some(Instant::now());
    }
}

pub(super) async fn run(
    ctx: &Ctx<'_>,
    cfg: &NvdSource,
    state: &mut SourceState,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    let url = ctx.url(&cfg.url)?;
    let key = cfg.api_key();
    if key.is_none() {
        tracing::info!(
            "NVD: no API key (set {}); requests are spaced for the keyless rate limit",
            cfg.api_key_env
        );
    }
    let mut pacer = Pacer {
        interval: cfg.interval(key.is_some()),
        last: None,
    };
    let now = Utc::now();
    let cursor = state
        .cursor
        .as_deref()
        .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
        .map(|c| c.with_timezone(&Utc));
    let plan: Vec<Option<(DateTime<Utc>, DateTime<Utc>)>> = match cursor {
        None => vec![None],
        Some(from) => windows(from, now).into_iter().map(Some).collect(),
    };
    for window in plan {
        let label = match window {
            None => "full".to_string(),
            Some((_, end)) => format!("delta-{}", end.format("%Y%m%dT%H%M%SZ")),
        };
        let tmp = ctx.work.join(format!("{label}.tmp"));
        fresh_dir(&tmp)?;
        let fetched = fetch_window(
            ctx,
            cfg,
            &url,
            key.as_deref(),
            window,
            &tmp,
            &mut pacer,
            rep,
        )
        .await;
        let pages = match fetched {
            Ok(p) => p,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&tmp);
                return Err(e);
            }
        };
        if pages == 0 {
            let _ = std::fs::remove_dir_all(&tmp);
            rep.unchanged += 1;
        } else {
            let dest = ctx.data.join(&label);
            swap_dir(&tmp, &dest, &ctx.work.join(format!("{label}.old")))?;
            rep.downloaded += pages;
            rep.paths.push(dest);
        }
        let done_until = window.map(|(_, end)| end).unwrap_or(now);
        state.cursor = Some(done_until.to_rfc3339_opts(SecondsFormat::Millis, true));
    }
    Ok(())
}

/// Fetch every page of one window into `dir`; returns the number of pages written (0 when the
/// window holds no records).
#[allow(clippy::too_many_arguments)]
async fn fetch_window(
    ctx: &Ctx<'_>,
    cfg: &NvdSource,
    base: &Url,
    key: Option<&str>,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    dir: &std::path::Path,
    pacer: &mut Pacer,
    rep: &mut SourceReport,
) -> Result<u64, FeedSyncError> {
    let headers: Vec<(&'static str, &str)> = key.map(|k| ("apiKey", k)).into_iter().collect();
    let mut start: u64 = 0;
    let mut page_no: u64 = 0;
    loop {
        let mut url = base.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("resultsPerPage", &cfg.results_per_page.to_string());
            q.append_pair("startIndex", &start.to_string());
            if let Some((from, to)) = window {
                q.append_pair("lastModStartDate", &api_date(from));
                q.append_pair("lastModEndDate", &api_date(to));
            }
        }
        pacer.wait().await;
        tracing::info!("NVD: GET {url}");
        let body = ctx
            .http
            .get_small(
                &url,
                &headers,
                MAX_NVD_PAGE_BYTES,
                true,
                &NVD_RETRY_STATUSES,
            )
            .await?
            .body;
        rep.bytes += body.len() as u64;
        let page = verify::check_nvd_page(url.as_str(), &body)?;
        if page.start_index != start {
            return Err(FeedSyncError::invalid(
                &url,
                format!("asked for startIndex {start}, got {}", page.start_index),
            ));
        }
        if page.total_results == 0 {
            return Ok(page_no);
        }
        page_no += 1;
        if page_no > MAX_NVD_PAGES {
            return Err(FeedSyncError::invalid(
                &url,
                format!("more than {MAX_NVD_PAGES} pages"),
            ));
        }
        let file = dir.join(format!("page-{page_no:05}.json"));
        tokio::fs::write(&file, &body)
            .await
            .map_err(|e| FeedSyncError::io(&file, e))?;
        start += page.returned;
        ctx.progress.update(
            ctx.name,
            &format!("page {page_no}"),
            start,
            Some(page.total_results),
        );
        if start >= page.total_results {
            return Ok(page_no);
        }
        if page.returned == 0 {
            return Err(FeedSyncError::invalid(
                &url,
                format!("empty page at {start} of {} results", page.total_results),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_never_exceed_the_api_limit() {
        let from = DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let to = DateTime::parse_from_rfc3339("2024-12-31T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let w = windows(from, to);
        assert_eq!(w.len(), 4);
        assert_eq!(w[0].0, from);
        assert_eq!(w.last().unwrap().1, to);
        for pair in w.windows(2) {
            assert_eq!(pair[0].1, pair[1].0, "windows are contiguous");
        }
        assert!(w
            .iter()
            .all(|(a, b)| *b - *a <= chrono::Duration::days(120)));
        assert!(windows(to, from).is_empty());
        assert_eq!(api_date(from), "2024-01-01T00:00:00.000+00:00");
    }
}
