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
    // Everything mdsec writes (database, keys, exports, backups) is for the service account only.
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
    let cli = match cli::Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // A report command piped into `head` must stop quietly when the reader goes away, as Unix tools
    // do, not panic on the broken pipe. The server keeps Rust's default (writes report EPIPE), and its
    // sockets are written with MSG_NOSIGNAL either way.
    #[cfg(unix)]
    if !matches!(cli.command, cli::Command::Serve(_)) {
        // SAFETY: restoring the default disposition of SIGPIPE before any thread is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
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
