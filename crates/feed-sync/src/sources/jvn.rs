//! JVN iPedia through the MyJVN API: `getVulnOverviewList` pages (`startItem`, `maxCountItem`) of the
//! entries updated since the last run (`datePublishedStart*`; on the first run, `initial_days` back).

use super::{fresh_dir, swap_dir, Ctx};
use crate::state::SourceState;
use crate::sync::SourceReport;
use crate::{verify, FeedSyncError, JvnSource, MAX_JVN_PAGES, MAX_JVN_PAGE_BYTES};
use chrono::{Datelike, NaiveDate, Utc};
use std::time::Duration;

pub(super) async fn run(
    ctx: &Ctx<'_>,
    cfg: &JvnSource,
    state: &mut SourceState,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    let base = ctx.url(&cfg.url)?;
    let now = Utc::now();
    let today = now.date_naive();
    // One day of overlap: MyJVN dates are Japanese time, the cursor is UTC.
    let since = state
        .cursor
        .as_deref()
        .and_then(|c| NaiveDate::parse_from_str(c, "%Y-%m-%d").ok())
        .map(|d| d - chrono::Duration::days(1))
        .unwrap_or(today - chrono::Duration::days(i64::from(cfg.initial_days)));
    let label = format!("overview-{}", now.format("%Y%m%dT%H%M%SZ"));
    let tmp = ctx.work.join(format!("{label}.tmp"));
    fresh_dir(&tmp)?;
    let interval = Duration::from_millis(cfg.min_interval_ms);
    let mut start_item: u64 = 1;
    let mut pages: u64 = 0;
    let result: Result<(), FeedSyncError> = async {
        loop {
            let mut url = base.clone();
            url.query_pairs_mut()
                .append_pair("method", "getVulnOverviewList")
                .append_pair("feed", "hnd")
                .append_pair("lang", &cfg.lang)
                .append_pair("rangeDatePublic", "n")
                .append_pair("rangeDatePublished", "n")
                .append_pair("rangeDateFirstPublished", "n")
                .append_pair("datePublishedStartY", &since.year().to_string())
                .append_pair("datePublishedStartM", &since.month().to_string())
                .append_pair("datePublishedStartD", &since.day().to_string())
                .append_pair("startItem", &start_item.to_string())
                .append_pair("maxCountItem", &cfg.max_count_item.to_string());
            if pages > 0 {
                tokio::time::sleep(interval).await;
            }
            tracing::info!("MyJVN: GET {url}");
            let body = ctx
                .http
                .get_small(&url, &[], MAX_JVN_PAGE_BYTES, false, &[])
                .await?
                .body;
            rep.bytes += body.len() as u64;
            let status = verify::check_myjvn_xml(url.as_str(), &body)?;
            if status.ret_cd.as_deref() != Some("0") {
                return Err(FeedSyncError::invalid(
                    &url,
                    format!(
                        "MyJVN error {}: {}",
                        status.err_cd.as_deref().unwrap_or("?"),
                        status.err_msg.as_deref().unwrap_or("(no message)")
                    ),
                ));
            }
            let total = status.total_res.unwrap_or(0);
            let returned = status.total_res_ret.unwrap_or(0);
            if total == 0 {
                return Ok(());
            }
            pages += 1;
            if pages > MAX_JVN_PAGES {
                return Err(FeedSyncError::invalid(
                    &url,
                    format!("more than {MAX_JVN_PAGES} pages"),
                ));
            }
            let file = tmp.join(format!("page-{pages:05}.xml"));
            tokio::fs::write(&file, &body)
                .await
                .map_err(|e| FeedSyncError::io(&file, e))?;
            let first = status.first_res.unwrap_or(start_item);
            let next = first + returned;
            ctx.progress
                .update(ctx.name, &format!("page {pages}"), next - 1, Some(total));
            if returned == 0 || next > total {
                return Ok(());
            }
            if next <= start_item {
                return Err(FeedSyncError::invalid(
                    &url,
                    format!("paging went backwards (firstRes {first}, totalResRet {returned})"),
                ));
            }
            start_item = next;
        }
    }
    .await;
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if pages == 0 {
        let _ = std::fs::remove_dir_all(&tmp);
        rep.unchanged += 1;
    } else {
        let dest = ctx.data.join(&label);
        swap_dir(&tmp, &dest, &ctx.work.join(format!("{label}.old")))?;
        rep.downloaded += pages;
        rep.paths.push(dest);
    }
    state.cursor = Some(today.format("%Y-%m-%d").to_string());
    Ok(())
}
