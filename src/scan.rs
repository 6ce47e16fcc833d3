//! `mdsec discover scan` (gentle active scan) and `mdsec discover listen` (live passive capture).
//! The work is in `mdsec-scan` and `mdsec-discovery`; this is the command line around it.

use anyhow::{bail, Context, Result};
use clap::Args;
use mdsec_scan::rate::{DEFAULT_OVERALL_RATE, DEFAULT_PER_HOST_RATE};
use mdsec_scan::{
    parse_net_list, parse_ports, LiveCapture, ProbeKind, RateLimits, ScanConfig, ScanReport, Scope,
};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest do-not-scan file read.
const MAX_DO_NOT_SCAN_FILE: u64 = 1024 * 1024;

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Networks to scan: CIDRs or addresses, comma-separated (e.g. 10.1.20.0/24,10.1.21.7). Nothing
    /// outside them is ever sent a packet.
    #[arg(long)]
    pub targets: String,
    /// Ports: a list and ranges (22,80,104,2575,8000-8010). Default: the medical default list.
    #[arg(long)]
    pub ports: Option<String>,
    /// Most packets to one host in any 1-second window (retransmits, ACKs and resets included).
    #[arg(long, default_value_t = DEFAULT_PER_HOST_RATE)]
    pub per_host_rate: u32,
    /// Most packets to all hosts together in any 1-second window.
    #[arg(long, default_value_t = DEFAULT_OVERALL_RATE)]
    pub overall_rate: u32,
    /// Addresses and networks never to touch (comma-separated CIDRs).
    #[arg(long, default_value = "")]
    pub do_not_scan: String,
    /// A file of addresses/networks never to touch, one per line (`#` starts a comment).
    #[arg(long)]
    pub do_not_scan_file: Option<PathBuf>,
    /// Also probe the ports of hosts that answered neither ICMP echo nor ARP.
    #[arg(long)]
    pub assume_alive: bool,
    /// Connect and close only: no greeting read, no HTTP HEAD, no DICOM association.
    #[arg(long)]
    pub no_probes: bool,
    /// Extra ports that speak DICOM (A-ASSOCIATE-RQ / A-RELEASE-RQ probe).
    #[arg(long)]
    pub dicom_ports: Option<String>,
    /// Extra ports that speak HTTP (HEAD probe).
    #[arg(long)]
    pub http_ports: Option<String>,
    /// Called AE title offered in A-ASSOCIATE-RQ.
    #[arg(long, default_value = mdsec_scan::probe::DEFAULT_CALLED_AE_TITLE)]
    pub dicom_called_ae: String,
    /// TCP connect timeout in milliseconds (at most 950: under the kernel's first SYN retransmit).
    #[arg(long, default_value_t = 500)]
    pub connect_timeout_ms: u64,
    /// How long to wait for a greeting or an answer, in milliseconds.
    #[arg(long, default_value_t = 1500)]
    pub read_timeout_ms: u64,
    /// ICMP echo attempts per host (0: no ping).
    #[arg(long, default_value_t = 2)]
    pub ping_attempts: u32,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Store the hosts found as observations and raise unknown-device alerts; audited.
    #[arg(long)]
    pub apply: bool,
}

#[derive(Args, Debug)]
pub struct ListenArgs {
    /// Interface to listen on (a mirror/SPAN port, or any interface).
    #[arg(long)]
    pub interface: String,
    /// Stop after this many seconds (default: at Ctrl-C).
    #[arg(long)]
    pub duration: Option<u64>,
    /// Do not put the interface in promiscuous mode.
    #[arg(long)]
    pub no_promiscuous: bool,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Store the devices and external flows seen and raise alerts; audited.
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub analysis: crate::discover::AnalysisArgs,
}

fn scan_config(a: &ScanArgs) -> Result<ScanConfig> {
    let targets = parse_net_list("--targets", &a.targets)?;
    let mut do_not_scan = parse_net_list("--do-not-scan", &a.do_not_scan)?;
    if let Some(path) = &a.do_not_scan_file {
        let name = path.display().to_string();
        let len = std::fs::metadata(path)
            .with_context(|| format!("cannot read {name}"))?
            .len();
        if len > MAX_DO_NOT_SCAN_FILE {
            bail!("{name}: larger than {MAX_DO_NOT_SCAN_FILE} bytes");
        }
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            let nets = parse_net_list("do-not-scan file", line)
                .with_context(|| format!("{name} line {}", i + 1))?;
            do_not_scan.extend(nets);
        }
    }
    let scope = Scope::new(targets, do_not_scan)?;
    let ports = match &a.ports {
        Some(p) => parse_ports(p).context("--ports")?,
        None => mdsec_scan::DEFAULT_PORTS.to_vec(),
    };
    let mut cfg = ScanConfig::new(scope, ports);
    cfg.limits = RateLimits::new(a.per_host_rate, a.overall_rate)?;
    cfg.assume_alive = a.assume_alive;
    cfg.banners = !a.no_probes;
    cfg.connect_timeout = Duration::from_millis(a.connect_timeout_ms);
    cfg.read_timeout = Duration::from_millis(a.read_timeout_ms);
    cfg.ping_attempts = a.ping_attempts;
    cfg.dicom_called_ae = a.dicom_called_ae.clone();
    if let Some(p) = &a.dicom_ports {
        for port in parse_ports(p).context("--dicom-ports")? {
            cfg.services
                .insert(port, ("dicom", ProbeKind::DicomAssociate));
        }
    }
    if let Some(p) = &a.http_ports {
        for port in parse_ports(p).context("--http-ports")? {
            cfg.services.insert(port, ("http", ProbeKind::HttpHead));
        }
    }
    Ok(cfg)
}

/// Run `f` on a blocking thread with a stop flag that Ctrl-C raises.
async fn until_interrupted<T: Send + 'static>(
    f: impl FnOnce(Arc<AtomicBool>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let stop = Arc::new(AtomicBool::new(false));
    let task = tokio::task::spawn_blocking({
        let stop = stop.clone();
        move || f(stop)
    });
    tokio::pin!(task);
    tokio::select! {
        r = &mut task => return r.context("worker thread")?,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: finishing the step in progress");
            stop.store(true, Ordering::Relaxed);
        }
    }
    task.await.context("worker thread")?
}

pub async fn scan(global: &crate::cli::Global, args: ScanArgs) -> Result<ExitCode> {
    let cfg = scan_config(&args)?;
    let hosts = cfg.scope.hosts().len();
    eprintln!(
        "scanning {hosts} addresses × {} ports, at most {} packets/s per host and {} overall",
        cfg.ports.len(),
        cfg.limits.per_host,
        cfg.limits.overall
    );
    let report = until_interrupted(move |stop| Ok(mdsec_scan::scan(&cfg, &stop)?)).await?;
    if args.json {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_scan(&report);
    }
    if args.apply {
        let hosts: Vec<mdsec_reconcile::ScannedHost> = report
            .devices
            .iter()
            .map(|h| mdsec_reconcile::ScannedHost {
                ip: h.ip.to_string(),
                mac: h.mac.clone(),
                protocols: h.protocols.clone(),
                identifiers: h.identifiers.clone(),
            })
            .collect();
        let at = mdsec_discovery::report::rfc3339(
            i64::try_from(report.started_unix_ms)
                .unwrap_or(0)
                .saturating_mul(1000),
        );
        let batch = mdsec_reconcile::batch_from_scan_hosts(&hosts, "scan", &at);
        let store = crate::cli::open_store(global).await?;
        let actor = mdsec_store::Actor {
            user_id: None,
            username: "discovery".into(),
        };
        let a = crate::alerts::apply_batch(store.as_ref(), &actor, batch, Vec::new()).await?;
        crate::alerts::print_applied(&a);
    }
    Ok(if report.interrupted {
        ExitCode::from(130)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_scan(r: &ScanReport) {
    println!(
        "{} of {} addresses answered; {} packets in {:.1} s{}",
        r.devices.len(),
        r.hosts_probed,
        r.packets_sent,
        r.duration_ms as f64 / 1000.0,
        if r.interrupted { " (interrupted)" } else { "" }
    );
    for h in &r.devices {
        let ports: Vec<String> = h
            .open_ports
            .iter()
            .map(|p| {
                let service = h.ports.iter().find(|x| x.port == *p).map(|x| x.service);
                format!("{p}/{}", service.unwrap_or("unknown"))
            })
            .collect();
        println!(
            "{:<15} {:<17} alive by {:<12} open: {}",
            h.ip,
            h.mac.as_deref().unwrap_or("-"),
            h.alive_by.join("+"),
            if ports.is_empty() {
                "-".to_string()
            } else {
                ports.join(" ")
            }
        );
        for (k, v) in &h.identifiers {
            println!("    {k}: {}", v.join(" | "));
        }
        if let Some(p) = h.gave_up_at_port {
            println!("    stopped answering: left alone from port {p} on");
        }
    }
    for s in &r.skipped {
        println!("skipped {}: {}", s.ip, s.reason);
    }
}

pub async fn listen(global: &crate::cli::Global, args: ListenArgs) -> Result<ExitCode> {
    let cfg = crate::discover::analyzer_config(&args.analysis)?;
    let apply_cfg = cfg.clone();
    // Open before starting, so a missing interface or capability fails at once.
    let mut cap = LiveCapture::open(&args.interface, !args.no_promiscuous)?;
    let limit = args.duration.map(Duration::from_secs);
    eprintln!(
        "listening on {} (receive only){}",
        args.interface,
        match limit {
            Some(d) => format!(" for {} s", d.as_secs()),
            None => ", Ctrl-C to stop".into(),
        }
    );
    let (report, frames, drops) = until_interrupted(move |stop| {
        let mut analyzer = mdsec_discovery::Analyzer::new(cfg);
        analyzer.start_capture(&format!("live:{}", cap.interface()));
        let link = mdsec_discovery::LinkType::from_linktype(cap.link_type());
        let started = Instant::now();
        let mut frames = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let left = match limit {
                Some(l) => match l.checked_sub(started.elapsed()) {
                    Some(d) if !d.is_zero() => d,
                    _ => break,
                },
                None => Duration::from_millis(200),
            };
            if let Some(f) = cap.next_frame(left.min(Duration::from_millis(200)))? {
                frames += 1;
                analyzer.push_packet(link, f.ts_micros, f.data);
            }
        }
        let drops = cap.drops();
        Ok((analyzer.finish(), frames, drops))
    })
    .await?;
    eprintln!("{frames} frames captured, {drops} dropped by the kernel");
    if args.json {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        crate::discover::print_summary(&report);
    }
    if args.apply {
        let source = format!("listen:{}", args.interface);
        let a = crate::alerts::apply_report(global, &report, &source, &apply_cfg).await?;
        crate::alerts::print_applied(&a);
    }
    Ok(ExitCode::SUCCESS)
}
