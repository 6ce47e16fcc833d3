//! CISA Known Exploited Vulnerabilities: one JSON file.

use super::{fetch_file, install_file, record, sha256_hex, Ctx};
use crate::fetch::remove_part;
use crate::state::SourceState;
use crate::sync::SourceReport;
use crate::{verify, FeedSyncError, KevSource, MAX_KEV_DOWNLOAD_BYTES};

pub(crate) const FILE_NAME: &str = "known_exploited_vulnerabilities.json";

pub(super) async fn run(
    ctx: &Ctx<'_>,
    cfg: &KevSource,
    state: &mut SourceState,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    let url = ctx.url(&cfg.url)?;
    let dest = ctx.data.join(FILE_NAME);
    let part_name = format!("{FILE_NAME}.part");
    let Some((part, c)) = fetch_file(
        ctx,
        state,
        &url,
        &part_name,
        &dest,
        MAX_KEV_DOWNLOAD_BYTES,
        rep,
    )
    .await?
    else {
        rep.unchanged += 1;
        return Ok(());
    };
    let bytes = tokio::fs::read(&part)
        .await
        .map_err(|e| FeedSyncError::io(&part, e))?;
    if let Err(e) = verify::check_kev_json(url.as_str(), &bytes) {
        remove_part(&part);
        return Err(e);
    }
    install_file(&part, &dest)?;
    record(ctx, state, &url, &c, Some(sha256_hex(&bytes)), &dest, None);
    rep.downloaded += 1;
    rep.paths.push(dest);
    Ok(())
}
