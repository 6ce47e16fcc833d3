//! `mdsec` — one binary for a hospital (SQLite) or a hub (PostgreSQL).
//!
//! This file is the command line only: it parses arguments, opens the store and hands over to the
//! library crates. Exit codes: 0 success, 1 failure, 2 usage error. `--json` output goes to stdout,
//! messages to stderr.

mod alerts;
mod checklist;
mod cli;
mod demo;
mod diagram;
mod discover;
mod feed;
mod feed_sync;
mod intel_cli;
mod report;
mod scan;
mod serve;
mod tls;

use clap::Parser;

/// glibc's allocator spent a fifth of the device list's CPU under load; mimalloc does far better with
/// the many small, short-lived allocations of row decoding and JSON.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("MDSEC_LOG")
                .unwrap_or_else(|_| "info,sqlx=error".into()),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
