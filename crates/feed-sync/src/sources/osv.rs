//! OSV: `<url>/<Ecosystem>/all.zip`, extracted (bounded) into `data/osv/<Ecosystem>/`.

use super::{blocking, dir_name, fetch_file, fresh_dir, record, swap_dir, Ctx};
use crate::fetch::remove_part;
use crate::state::SourceState;
use crate::sync::SourceReport;
use crate::verify::{self, HashAlgorithm};
use crate::{FeedSyncError, OsvSource, MAX_OSV_ZIP_BYTES};
use url::Url;

pub(super) async fn run(
    ctx: &Ctx<'_>,
    cfg: &OsvSource,
    state: &mut SourceState,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    let base = ctx.url(&cfg.url)?;
    for eco in &cfg.ecosystems {
        if let Err(e) = one(ctx, &base, eco, state, rep).await {
            rep.fail(format!("{eco}: {e}"));
        }
    }
    Ok(())
}

pub(crate) fn archive_url(base: &Url, ecosystem: &str) -> Result<Url, FeedSyncError> {
    let mut url = base.clone();
    url.path_segments_mut()
        .map_err(|_| FeedSyncError::invalid(base, "cannot be a base URL"))?
        .pop_if_empty()
        .push(ecosystem)
        .push("all.zip");
    Ok(url)
}

async fn one(
    ctx: &Ctx<'_>,
    base: &Url,
    eco: &str,
    state: &mut SourceState,
    rep: &mut SourceReport,
) -> Result<(), FeedSyncError> {
    let url = archive_url(base, eco)?;
    let name = dir_name(eco);
    let dest = ctx.data.join(&name);
    let part_name = format!("{name}-all.zip.part");
    let Some((part, c)) =
        fetch_file(ctx, state, &url, &part_name, &dest, MAX_OSV_ZIP_BYTES, rep).await?
    else {
        rep.unchanged += 1;
        return Ok(());
    };
    let extract = ctx.work.join(format!("{name}.extract"));
    fresh_dir(&extract)?;
    let what = url.to_string();
    let (p, x) = (part.clone(), extract.clone());
    let result = blocking(move || {
        let digest = HashAlgorithm::Sha256.file_digest(&p)?;
        let records = verify::extract_osv_zip(&p, &x, &what)?;
        Ok((digest, records))
    })
    .await;
    let (digest, records) = match result {
        Ok(v) => v,
        Err(e) => {
            remove_part(&part);
            let _ = std::fs::remove_dir_all(&extract);
            return Err(e);
        }
    };
    swap_dir(&extract, &dest, &ctx.work.join(format!("{name}.old")))?;
    remove_part(&part);
    tracing::info!("OSV {eco}: {records} records");
    record(ctx, state, &url, &c, Some(digest), &dest, None);
    rep.downloaded += 1;
    rep.paths.push(dest);
    Ok(())
}
