//! `mdsec serve`: open the store, make sure an administrator exists, optionally load the demo
//! hospital, and serve the web application (HTTPS, or HTTP on loopback only).

use crate::cli::{open_store, Global};
use anyhow::{bail, Context, Result};
use clap::Args;
use mdsec_web::{router, App, AppState, WebConfig};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on. Plain HTTP only on loopback; any other address gets HTTPS.
    #[arg(long, env = "MDSEC_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Load the fictitious demo hospital into an empty ledger.
    #[arg(long)]
    pub demo: bool,
    /// Serve HTTPS even on loopback.
    #[arg(long)]
    pub tls: bool,
    /// PEM certificate chain (default: self-signed, created in the data directory).
    #[arg(long, env = "MDSEC_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key.
    #[arg(long, env = "MDSEC_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Administrative roles must use TOTP.
    #[arg(long, env = "MDSEC_REQUIRE_TOTP")]
    pub require_totp: bool,
    /// Run `feed sync` on this schedule (e.g. 6h; at least 15m). Default: feeds.toml's
    /// `sync_every`, else never.
    #[arg(long, env = "MDSEC_FEED_SYNC_EVERY", value_name = "INTERVAL", value_parser = crate::feed_sync::parse_every)]
    pub feed_sync_every: Option<std::time::Duration>,
    /// A reverse proxy (address or CIDR, repeatable) whose `X-Forwarded-For` names the client for the
    /// login throttle; the header from anyone else is ignored.
    #[arg(long = "trusted-proxy", env = "MDSEC_TRUSTED_PROXY", value_name = "CIDR", value_delimiter = ',', value_parser = parse_proxy)]
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

fn parse_proxy(s: &str) -> Result<ipnet::IpNet, String> {
    s.parse::<ipnet::IpNet>()
        .or_else(|_| s.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("not an address or CIDR range: {s}"))
}

pub async fn serve(global: &Global, args: ServeArgs) -> Result<ExitCode> {
    let store = open_store(global).await?;
    let app = App::new(store).await?;
    let admin_password = std::env::var("MDSEC_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let demo_password = match app.ensure_admin(admin_password.clone()).await? {
        Some(generated) => {
            // Printed once, to the operator's terminal; never logged.
            eprintln!("\n  mdsec: created user 'admin' with password: {generated}\n  (shown only now; change it after logging in)\n");
            generated
        }
        None => admin_password.unwrap_or_else(mdsec_web::auth::random_password),
    };

    let tls = args.tls || args.tls_cert.is_some() || !args.listen.ip().is_loopback();
    let config = WebConfig {
        secure_cookies: tls,
        require_totp_for_admins: args.require_totp,
        trusted_proxies: args.trusted_proxies,
        ..Default::default()
    };
    let state = AppState::new(app, config);
    crate::feed_sync::spawn_schedule(global, args.feed_sync_every, state.app.store.clone())?;
    if args.demo {
        // Loaded while the server already answers, so /healthz is up at once; the demo accounts share
        // the administrator's password (it is a demo).
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::demo::load(&state.app, &demo_password).await {
                tracing::error!("could not load the demo hospital: {e:#}");
            }
        });
    }
    let service = router(state).into_make_service_with_connect_info::<SocketAddr>();

    if tls {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let (cert, key) = crate::tls::certificate(&global.data_dir, args.tls_cert, args.tls_key)?;
        let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
            .await
            .with_context(|| {
                format!(
                    "cannot load TLS certificate {} / key {}",
                    cert.display(),
                    key.display()
                )
            })?;
        let handle = axum_server::Handle::new();
        let shutdown = handle.clone();
        tokio::spawn(async move {
            shutdown_signal().await;
            shutdown.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
        });
        tracing::info!("mdsec listening on https://{}", args.listen);
        axum_server::bind_rustls(args.listen, config)
            .handle(handle)
            .serve(service)
            .await?;
    } else {
        if !args.listen.ip().is_loopback() {
            bail!("plain HTTP is allowed only on loopback addresses");
        }
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        tracing::info!("mdsec listening on http://{}", listener.local_addr()?);
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown_signal())
            .await?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
