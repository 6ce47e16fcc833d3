//! `mdsec diagram`: draw the network configuration diagram (ネットワーク構成図) from the ledger in the
//! store, as SVG, GraphML or draw.io, chosen by the output file's extension.

use crate::cli::{open_store, Global};
use anyhow::{Context, Result};
use clap::Args;
use mdsec_diagram::{Filter, Format};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct DiagramArgs {
    /// Output file: .svg, .graphml or .drawio (the extension chooses the format).
    #[arg(long, value_parser = parse_out)]
    pub out: PathBuf,
    /// Only devices of this department (設置部署, exact).
    #[arg(long)]
    pub department: Option<String>,
    /// Only devices of this segment (exact name; "unassigned" for devices without one).
    #[arg(long)]
    pub segment: Option<String>,
    /// Title printed on the diagram, e.g. the hospital's name.
    #[arg(long, default_value = "")]
    pub title: String,
}

fn format_of(path: &Path) -> Option<Format> {
    path.extension()
        .and_then(|e| e.to_str())
        .and_then(Format::from_extension)
}

fn parse_out(s: &str) -> Result<PathBuf, String> {
    let p = PathBuf::from(s);
    match format_of(&p) {
        Some(_) => Ok(p),
        None => Err(format!(
            "{s}: unknown diagram format; use a file name ending in .svg, .graphml or .drawio"
        )),
    }
}

pub async fn run(global: &Global, args: DiagramArgs) -> Result<ExitCode> {
    let format = format_of(&args.out).context("unknown diagram format")?;
    let store = open_store(global).await?;
    // The same input as the web page: ledger, priorities (colours), registry and ledger lines.
    let input = mdsec_web::pages::diagram::diagram_input(store.as_ref(), &args.title)
        .await
        .context("cannot read the ledger")?;
    let filter = Filter {
        department: args.department,
        segment: args.segment,
    };
    let graph = mdsec_diagram::build(&input, &filter)?;
    let text = mdsec_diagram::render(&graph, format);
    write_atomically(&args.out, text.as_bytes())?;
    eprintln!(
        "{}: {} devices in {} segments, {} remote lines",
        args.out.display(),
        graph.device_count(),
        graph.segments().count(),
        graph
            .external
            .iter()
            .filter(|n| matches!(n.kind, mdsec_diagram::ExternalKind::RemoteLine(_)))
            .count()
    );
    Ok(ExitCode::SUCCESS)
}

/// Write next to the target and rename, so a reader never sees half a diagram.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "diagram".into());
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write {}", path.display())
    })
}
