//! Command-line interface: arguments and the small commands (ledger, user, token, audit).

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use mdsec_store::{Actor, Role, Store};
use mdsec_web::App;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "mdsec",
    version,
    about = "Secure a hospital's network-connected medical devices",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand accepts, before or after it.
#[derive(Args, Debug, Clone)]
pub struct Global {
    /// Directory of the embedded SQLite database, TLS certificate and other state.
    #[arg(
        long,
        global = true,
        env = "MDSEC_DATA_DIR",
        default_value = "./mdsec-data"
    )]
    pub data_dir: PathBuf,
    /// Use PostgreSQL instead of SQLite, e.g. postgres://mdsec@db/mdsec.
    #[arg(
        long,
        global = true,
        env = "MDSEC_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the web application.
    Serve(crate::serve::ServeArgs),
    /// Import or export the device ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The hospital checklist: pre-filled answers, score, next actions, peer figures; answer items.
    Checklist(crate::checklist::ChecklistArgs),
    /// The one-page executive report (経営層向け) as .pdf or .html.
    Report(crate::report::ReportArgs),
    /// Discover connected devices: passively from capture files.
    #[command(subcommand)]
    Discover(crate::discover::DiscoverCommand),
    /// Compare what discovery saw with the ledger: matched (with conflicts), unknown, not seen.
    Reconcile(crate::alerts::ReconcileArgs),
    /// Draw the network configuration diagram (.svg, .graphml or .drawio) from the ledger.
    Diagram(crate::diagram::DiagramArgs),
    /// Vulnerability feeds: import files (CSAF, OSV, NVD, JVN, KEV, EPSS).
    #[command(subcommand)]
    Feed(crate::feed::FeedCommand),
    /// Devices with open findings, highest priority first ("act now").
    Findings(crate::intel_cli::FindingsArgs),
    /// Attach an SBOM (CycloneDX, SPDX) to a device model.
    #[command(subcommand)]
    Sbom(crate::intel_cli::SbomCommand),
    /// Attach an MDS2 form (HN 1-2019 xlsx) to a device model.
    #[command(subcommand)]
    Mds2(crate::intel_cli::AttachCommand),
    /// VEX statements from manufacturers or the hospital.
    #[command(subcommand)]
    Vex(crate::intel_cli::VexCommand),
    /// Identify a file (SBOM, advisory, feed, MDS2 form, ledger) and show what it holds.
    Inspect {
        file: PathBuf,
        /// One JSON object on stdout: "kind" plus the normalised content.
        #[arg(long)]
        json: bool,
        /// Reject the file when it has any spec diagnostic.
        #[arg(long)]
        strict: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum LedgerCommand {
    /// Import a ledger (.xlsx, .xls, .csv in UTF-8 or Shift_JIS). All or nothing.
    Import {
        file: PathBuf,
        /// Report what would change without changing anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Account recorded in the audit log as the importer.
        #[arg(long = "as", default_value = "admin")]
        as_user: String,
    },
    /// Export the ledger.
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// Header language for csv/xlsx.
        #[arg(long, default_value = "ja")]
        lang: String,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub enum ExportFormat {
    Csv,
    Xlsx,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add an account. The password is read from MDSEC_NEW_PASSWORD, else generated and printed once.
    Add {
        username: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        display_name: Option<String>,
        /// Department (required for department users).
        #[arg(long)]
        department: Option<String>,
        /// Manufacturer (required for manufacturer accounts).
        #[arg(long)]
        manufacturer: Option<String>,
        /// E-mail address for notices and alerts.
        #[arg(long)]
        email: Option<String>,
    },
    /// Set (or with an empty address, remove) an account's e-mail address for notices and alerts.
    Email { username: String, address: String },
    /// List accounts.
    List {
        #[arg(long)]
        json: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::from_code(s).ok_or_else(|| {
        format!(
            "unknown role {s}; one of: {}",
            Role::ALL
                .iter()
                .map(|r| r.code())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create a bearer token for the JSON API and print it (it is stored only as a hash).
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Verify the hash chain; names the first broken entry.
    Verify {
        #[arg(long)]
        json: bool,
    },
}

/// Open the configured store: PostgreSQL when a URL is given, else SQLite in the data directory.
pub async fn open_store(global: &Global) -> Result<Arc<dyn Store>> {
    Ok(match &global.database_url {
        Some(url) => Arc::new(mdsec_store_postgres::connect(url).await?),
        None => Arc::new(mdsec_store_sqlite::open(&global.data_dir).await?),
    })
}

pub async fn run(cli: Cli) -> Result<ExitCode> {
    let global = cli.global;
    match cli.command {
        Command::Serve(args) => crate::serve::serve(&global, args).await,
        Command::Ledger(cmd) => ledger(&global, cmd).await,
        Command::User(cmd) => user(&global, cmd).await,
        Command::Token(TokenCommand::Create { user, name }) => {
            let app = App::new(open_store(&global).await?).await?;
            let u = app
                .store
                .get_user_by_name(&user)
                .await?
                .with_context(|| format!("no user named {user}"))?;
            let token = app.create_token(&Actor::user(&u), &u, &name).await?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(AuditCommand::Verify { json }) => audit_verify(&global, json).await,
        Command::Checklist(args) => crate::checklist::run(&global, args).await,
        Command::Inspect { file, json, strict } => inspect(&file, json, strict),
        Command::Feed(cmd) => crate::feed::run(&global, cmd).await,
        Command::Findings(args) => crate::intel_cli::findings(&global, args).await,
        Command::Sbom(cmd) => crate::intel_cli::sbom(&global, cmd).await,
        Command::Mds2(cmd) => crate::intel_cli::mds2(&global, cmd).await,
        Command::Vex(cmd) => crate::intel_cli::vex(&global, cmd).await,
        Command::Diagram(args) => crate::diagram::run(&global, args).await,
        Command::Discover(cmd) => crate::discover::run(&global, cmd).await,
        Command::Reconcile(args) => crate::alerts::run(&global, args).await,
        Command::Report(args) => crate::report::run(&global, args).await,
    }
}

async fn ledger(global: &Global, cmd: LedgerCommand) -> Result<ExitCode> {
    let app = App::new(open_store(global).await?).await?;
    match cmd {
        LedgerCommand::Import {
            file,
            dry_run,
            json,
            as_user,
        } => {
            let actor = match app.store.get_user_by_name(&as_user).await? {
                Some(u) => Actor::user(&u),
                None => Actor {
                    user_id: None,
                    username: as_user.clone(),
                },
            };
            let name = file.display().to_string();
            let size = std::fs::metadata(&file)
                .with_context(|| format!("cannot read {name}"))?
                .len();
            if size > mdsec_ledger::MAX_FILE_BYTES as u64 {
                bail!(
                    "{name}: file is {} MiB, over the ledger limit of {} MiB; nothing was imported",
                    size >> 20,
                    mdsec_ledger::MAX_FILE_BYTES >> 20
                );
            }
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {name}"))?;
            let spinner = ProgressBar::new_spinner()
                .with_style(ProgressStyle::with_template("{spinner} {msg}")?);
            spinner.set_message(format!("importing {name}"));
            spinner.enable_steady_tick(std::time::Duration::from_millis(120));
            let outcome = app.import_file(&actor, &name, &bytes, dry_run).await;
            spinner.finish_and_clear();
            let outcome = outcome?;
            if json {
                println!("{}", serde_json::to_string_pretty(&outcome)?);
            } else {
                let r = &outcome.report;
                eprintln!(
                    "{name}: {} (header row {}){}",
                    outcome.format,
                    outcome.header_row,
                    if dry_run {
                        " — dry run, nothing changed"
                    } else {
                        ""
                    }
                );
                eprintln!(
                    "new {}, updated {}, unchanged {}, rejected {}",
                    r.new,
                    r.updated,
                    r.unchanged,
                    outcome.rejected.len() + r.duplicates.len()
                );
                for row in &outcome.rejected {
                    eprintln!(
                        "  row {}{}: {}",
                        row.row,
                        row.column
                            .as_deref()
                            .map(|c| format!(" [{c}]"))
                            .unwrap_or_default(),
                        row.reason
                    );
                }
                for d in &r.duplicates {
                    eprintln!("  row {}: {}", d.row, d.reason);
                }
                if !outcome.unmapped_columns.is_empty() {
                    eprintln!(
                        "kept as custom fields: {}",
                        outcome.unmapped_columns.join(", ")
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        LedgerCommand::Export {
            format,
            output,
            lang,
        } => {
            let lang = if lang == "en" {
                mdsec_ledger::Lang::En
            } else {
                mdsec_ledger::Lang::Ja
            };
            let mut devices = Vec::new();
            let mut offset = 0;
            loop {
                let page = app
                    .store
                    .list_devices(&mdsec_store::DeviceQuery {
                        limit: mdsec_store::DeviceQuery::MAX_LIMIT,
                        offset,
                        ..Default::default()
                    })
                    .await?;
                let n = page.items.len() as i64;
                devices.extend(page.items);
                offset += n;
                if n == 0 || offset >= page.total {
                    break;
                }
            }
            let fields: Vec<_> = devices.iter().map(|d| d.fields.clone()).collect();
            let bytes = match format {
                ExportFormat::Csv => mdsec_ledger::write_csv(&fields, lang),
                ExportFormat::Xlsx => mdsec_ledger::write_xlsx(&fields, lang)?,
                ExportFormat::Json => {
                    let mut v = serde_json::to_vec(
                        &serde_json::json!({"items": devices, "total": devices.len()}),
                    )?;
                    v.push(b'\n');
                    v
                }
            };
            match output {
                Some(path) => std::fs::write(&path, bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => {
                    use std::io::Write;
                    let mut out = std::io::stdout().lock();
                    if let Err(e) = out.write_all(&bytes).and_then(|_| out.flush()) {
                        if e.kind() != std::io::ErrorKind::BrokenPipe {
                            bail!("cannot write to stdout: {e}");
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn user(global: &Global, cmd: UserCommand) -> Result<ExitCode> {
    let app = App::new(open_store(global).await?).await?;
    match cmd {
        UserCommand::Add {
            username,
            role,
            display_name,
            department,
            manufacturer,
            email,
        } => {
            if let Some(e) = &email {
                check_email(e)?;
            }
            let (password, generated) = match std::env::var("MDSEC_NEW_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty())
            {
                Some(p) => (p, false),
                None => (mdsec_web::auth::random_password(), true),
            };
            let u = app
                .create_user(
                    &username,
                    display_name.as_deref().unwrap_or(""),
                    &password,
                    role,
                    department,
                    manufacturer,
                )
                .await?;
            eprintln!("created {} ({})", u.username, u.role.code());
            if generated {
                eprintln!("password (shown once): {password}");
            }
            if let Some(e) = email {
                app.store
                    .set_user_email(&cli_actor(), u.id, Some(e.trim()))
                    .await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::Email { username, address } => {
            let u = app
                .store
                .get_user_by_name(&username)
                .await?
                .with_context(|| format!("no account named {username}"))?;
            let address = address.trim();
            if !address.is_empty() {
                check_email(address)?;
            }
            app.store
                .set_user_email(&cli_actor(), u.id, Some(address).filter(|a| !a.is_empty()))
                .await?;
            eprintln!(
                "{username}: e-mail {}",
                if address.is_empty() {
                    "removed"
                } else {
                    address
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        UserCommand::List { json } => {
            let users = app.store.list_users().await?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &serde_json::json!({"items": users, "total": users.len()})
                    )?
                );
            } else {
                for u in users {
                    println!(
                        "{}\t{}\t{}",
                        u.username,
                        u.role.code(),
                        u.department.unwrap_or_default()
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The account the audit log names for an administrator's command-line change.
fn cli_actor() -> mdsec_store::Actor {
    mdsec_store::Actor {
        user_id: None,
        username: "cli".into(),
    }
}

/// A plausible single address (local@domain, no spaces or header characters).
fn check_email(address: &str) -> Result<()> {
    let ok = address.len() <= 254
        && address.split('@').count() == 2
        && address.split('@').all(|p| !p.is_empty())
        && !address
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || ",;<>\"".contains(c));
    if !ok {
        anyhow::bail!("{address:?} is not an e-mail address");
    }
    Ok(())
}

async fn audit_verify(global: &Global, json: bool) -> Result<ExitCode> {
    let store = open_store(global).await?;
    let chain = store.audit_chain().await?;
    let result = mdsec_store::verify_chain(&chain);
    if json {
        let v = match &result {
            Ok(n) => serde_json::json!({"ok": true, "entries": n}),
            Err(b) => {
                serde_json::json!({"ok": false, "entries": chain.len(), "broken_at": b.seq, "reason": b.reason})
            }
        };
        println!("{v}");
    }
    match result {
        Ok(n) => {
            eprintln!("audit log intact: {n} entries verified");
            Ok(ExitCode::SUCCESS)
        }
        Err(b) => {
            eprintln!("audit log BROKEN: {b}");
            Ok(ExitCode::from(1))
        }
    }
}

fn inspect(file: &std::path::Path, json: bool, strict: bool) -> Result<ExitCode> {
    let name = file.display().to_string();
    let size = std::fs::metadata(file)
        .with_context(|| format!("cannot read {name}"))?
        .len();
    if size > mdsec_inspect::MAX_INPUT_BYTES as u64 {
        bail!(
            "{name}: {} MiB is over the inspect limit of {} MiB",
            size >> 20,
            mdsec_inspect::MAX_INPUT_BYTES >> 20
        );
    }
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {name}"))?;
    let inspection = mdsec_inspect::inspect(&name, &bytes, strict)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&inspection.to_json())?);
    } else {
        println!("{}", inspection.human_summary());
    }
    Ok(ExitCode::SUCCESS)
}
