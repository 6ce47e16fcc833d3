//! `mdsec report`: the one-page executive report (経営層向け) of the hospital in the store, as PDF or
//! HTML chosen by the output file's extension. The data is gathered exactly as for `/report`.

use crate::cli::{open_store, Global};
use anyhow::{Context, Result};
use clap::Args;
use mdsec_checklist::FiscalYear;
use mdsec_web::i18n::Lang;
use mdsec_web::pages::report::{gather, report_font};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Output file: .pdf or .html (the extension chooses the format).
    #[arg(long, value_parser = parse_out)]
    pub out: PathBuf,
    /// Language: ja (default) or en.
    #[arg(long, default_value = "ja", value_parser = ["ja", "en"])]
    pub lang: String,
    /// Fiscal year (年度), e.g. 2025 for 令和7年度; default: the current one.
    #[arg(long)]
    pub fiscal_year: Option<FiscalYear>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Pdf,
    Html,
}

fn format_of(path: &Path) -> Option<Format> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "pdf" => Some(Format::Pdf),
        "html" | "htm" => Some(Format::Html),
        _ => None,
    }
}

fn parse_out(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    match format_of(&p) {
        Some(_) => Ok(p),
        None => Err(format!(
            "{s}: unknown report format; use a file name ending in .pdf or .html"
        )),
    }
}

pub async fn run(global: &Global, args: ReportArgs) -> Result<ExitCode> {
    let format = format_of(&args.out).context("unknown report format")?;
    let lang = Lang::from_code(&args.lang).unwrap_or_default();
    // Find the font before any work, so a missing package is the first thing said.
    let font = match format {
        Format::Pdf => Some(report_font()?),
        Format::Html => None,
    };
    let store = open_store(global).await?;
    let today = mdsec_web::pages::checklist::today();
    let data = gather(store.as_ref(), lang, args.fiscal_year, &today)
        .await
        .context("cannot gather the report's data")?;
    let bytes = match font {
        Some(font) => mdsec_report::render_pdf(&data, &lang, font)?,
        None => mdsec_report::render_html(&data, &lang, &[]).into_bytes(),
    };
    crate::diagram::write_atomically(&args.out, &bytes)?;
    eprintln!(
        "{}: {} {} ({} bytes{})",
        args.out.display(),
        data.hospital_name.as_deref().unwrap_or("-"),
        data.fiscal_year,
        bytes.len(),
        font.map(|f| format!(", font {}", f.path.display()))
            .unwrap_or_default()
    );
    Ok(ExitCode::SUCCESS)
}
