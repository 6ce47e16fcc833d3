//! FIRST EPSS: one CSV, usually gzip-compressed; stored decompressed for import.

use super::{blocking, fetch_file, install_file, record, Ctx};
use crate::fetch::remove_part;
use crate::state::SourceState;
use crate::sync::SourceReport;
use crate::verify::{self, HashAlgorithm, MAX_EPSS_CSV_BYTES};
use crate::{EpssSource, FeedSyncError, MAX_EPSS_DOWNLOAD_BYTES};
use std::io::Read;

pub(crate) const FILE_NAME: &str = "epss_scores-current.csv";

pub(super) async fn run(
    ctx: &Ctx<'_>,
    cfg: &EpssSource,
    state: &mut SourceState,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    let url = ctx.url(&cfg.url)?;
    let dest = ctx.data.join(FILE_NAME);
    let part_name = format!("{FILE_NAME}.download.part");
    let Some((part, c)) = fetch_file(
        ctx,
        state,
        &url,
        &part_name,
        &dest,
        MAX_EPSS_DOWNLOAD_BYTES,
        rep,
    )
    .await?
    else {
        rep.unchanged += 1;
        return Ok(());
    };
    let csv = ctx.work.join(format!("{FILE_NAME}.tmp"));
    let what = url.to_string();
    let (p, out) = (part.clone(), csv.clone());
    let checked = blocking(move || {
        let digest = HashAlgorithm::Sha256.file_digest(&p)?;
        let mut magic = [0u8; 2];
        let n = std::fs::File::open(&p)
            .and_then(|mut f| f.read(&mut magic))
            .map_err(|e| FeedSyncError::io(&p, e))?;
        let plain = if n == 2 && magic == [0x1f, 0x8b] {
            verify::gunzip_capped(&p, &out, MAX_EPSS_CSV_BYTES, &what)?;
            out
        } else {
            p
        };
        let mut head = vec![0u8; 4096];
        let n = std::fs::File::open(&plain)
            .and_then(|mut f| f.read(&mut head))
            .map_err(|e| FeedSyncError::io(&plain, e))?;
        verify::check_epss_head(&what, head.get(..n).unwrap_or(&[]))?;
        Ok((digest, plain))
    })
    .await;
    let (digest, plain) = match checked {
        Ok(v) => v,
        Err(e) => {
            remove_part(&part);
            let _ = std::fs::remove_file(&csv);
            return Err(e);
        }
    };
    install_file(&plain, &dest)?;
    remove_part(&part);
    record(ctx, state, &url, &c, Some(digest), &dest, None);
    rep.downloaded += 1;
    rep.paths.push(dest);
    Ok(())
}
