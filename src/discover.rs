//! `mdsec discover`: passive discovery from capture files (`pcap`). Active scanning and live listening
//! are further variants of [`DiscoverCommand`].

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use mdsec_discovery::{Analyzer, AnalyzerConfig, DiscoveryReport, RegisteredEndpoint, RuleSet};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum DiscoverCommand {
    /// Analyse pcap/pcapng capture files passively: devices with evidence, flows, alerts.
    Pcap(PcapArgs),
    /// Scan actively and gently: ICMP echo, TCP connect and read-only probes, only inside --targets,
    /// never a --do-not-scan address, at most --per-host-rate packets per second to any host.
    Scan(crate::scan::ScanArgs),
    /// Listen on an interface (raw socket, receive only) and analyse what passes, like `pcap`.
    Listen(crate::scan::ListenArgs),
}

/// Options shared by every passive analysis (capture files now, live listening later).
#[derive(Args, Debug, Clone, Default)]
pub struct AnalysisArgs {
    /// Internal networks (CIDR, comma-separated or repeated). Default: RFC 1918, link-local,
    /// loopback, IPv6 ULA and link-local.
    #[arg(long, value_delimiter = ',')]
    pub internal: Vec<String>,
    /// Registered remote-maintenance endpoints (IP, CIDR or host name; `*.example.com` for
    /// subdomains). Connections to them are recorded without an alert.
    #[arg(long = "registered", value_delimiter = ',')]
    pub registered: Vec<String>,
    /// Extra fingerprint rules (TOML, same format as the built-in rule file), applied after ours.
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct PcapArgs {
    /// pcap or pcapng files (chosen by their magic bytes).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print the report as one JSON object on stdout.
    #[arg(long)]
    pub json: bool,
    /// Store the devices and external flows seen (observations) and raise alerts; audited.
    #[arg(long)]
    pub apply: bool,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// Build the analyzer configuration from the command line.
pub fn analyzer_config(a: &AnalysisArgs) -> Result<AnalyzerConfig> {
    let mut cfg = AnalyzerConfig::default();
    if !a.internal.is_empty() {
        cfg.internal_networks = a
            .internal
            .iter()
            .map(|s| s.parse().map_err(anyhow::Error::msg))
            .collect::<Result<_>>()
            .context("--internal")?;
    }
    cfg.registered_endpoints = a
        .registered
        .iter()
        .map(|s| s.parse::<RegisteredEndpoint>().map_err(anyhow::Error::msg))
        .collect::<Result<_>>()
        .context("--registered")?;
    if let Some(path) = &a.rules {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {name}"))?;
        let extra = RuleSet::from_toml(&name, &text)?;
        cfg.rules.extend(extra);
    }
    Ok(cfg)
}

pub async fn run(global: &crate::cli::Global, cmd: DiscoverCommand) -> Result<ExitCode> {
    match cmd {
        DiscoverCommand::Pcap(args) => {
            let apply = args.apply;
            let cfg = analyzer_config(&args.analysis)?;
            let source = format!(
                "pcap:{}",
                args.files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            );
            let report = pcap(args)?;
            if apply {
                let a = crate::alerts::apply_report(global, &report, &source, &cfg).await?;
                crate::alerts::print_applied(&a);
            }
            Ok(ExitCode::SUCCESS)
        }
        DiscoverCommand::Scan(args) => crate::scan::scan(global, args).await,
        DiscoverCommand::Listen(args) => crate::scan::listen(global, args).await,
    }
}

fn pcap(args: PcapArgs) -> Result<DiscoveryReport> {
    let cfg = analyzer_config(&args.analysis)?;
    let mut total = 0u64;
    for f in &args.files {
        total += std::fs::metadata(f)
            .with_context(|| format!("cannot read {}", f.display()))?
            .len();
    }
    let bar = ProgressBar::new(total).with_style(ProgressStyle::with_template(
        "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    )?);
    // Small inputs finish before a bar would be readable.
    if total < 64 * 1024 * 1024 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let mut analyzer = Analyzer::new(cfg);
    let mut done = 0u64;
    for f in &args.files {
        let name = f.display().to_string();
        let file = std::fs::File::open(f).with_context(|| format!("cannot open {name}"))?;
        bar.set_message(name.clone());
        let mut reader = mdsec_discovery::read_capture(&name, file)?;
        analyzer.start_capture(&name);
        let mut n = 0u32;
        while let Some(p) = reader.next_packet()? {
            analyzer.push_packet(p.link_type, p.ts_micros, p.data);
            n = n.wrapping_add(1);
            if n.is_multiple_of(65_536) {
                bar.set_position(done + reader.bytes_read());
            }
        }
        done += reader.bytes_read();
        bar.set_position(done);
    }
    bar.finish_and_clear();
    let report = analyzer.finish();
    if args.json {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, &report)?;
        writeln!(out)?;
    } else {
        print_summary(&report);
    }
    Ok(report)
}

pub(crate) fn print_summary(r: &DiscoveryReport) {
    let s = &r.summary;
    println!(
        "{} packets, {} devices, {} flows, {} alerts",
        s.packets, s.devices, s.flows, s.alerts
    );
    if !s.limits_reached.is_empty() {
        println!("limits reached: {}", s.limits_reached.join(", "));
    }
    for d in &r.devices {
        let ip = d.ip.map(|i| i.to_string()).unwrap_or_else(|| "-".into());
        let mac = d.mac.map(|m| m.to_string()).unwrap_or_else(|| "-".into());
        let guess = |g: &Option<mdsec_discovery::Guess>| {
            g.as_ref()
                .map(|g| format!("{} ({:.0}%)", g.value, g.confidence * 100.0))
        };
        let what: Vec<String> = [
            guess(&d.manufacturer),
            guess(&d.model),
            guess(&d.device_type),
        ]
        .into_iter()
        .flatten()
        .collect();
        println!(
            "{ip:<40} {mac:<17}{}{} [{}]",
            if d.randomized_mac { " (random)" } else { "" },
            if what.is_empty() {
                String::new()
            } else {
                format!(" {}", what.join(" / "))
            },
            d.protocols.join(",")
        );
        for (k, v) in &d.identifiers {
            println!("    {k}: {}", v.join(" | "));
        }
    }
    if !r.alerts.is_empty() {
        println!("alerts:");
        for a in &r.alerts {
            println!("  [{:?}] {}", a.severity, a.message);
        }
    }
}
