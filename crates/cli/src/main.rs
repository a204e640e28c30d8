//! `passerelle`: the command line and the one-machine runtime.
//!
//! Exit codes: 0 success; 1 the work failed (the message says what to do next); 2 wrong usage;
//! 3 invalid configuration (every problem is listed, each with its fix).

mod commands;
mod context;
mod print;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "passerelle",
    version,
    about = "Sellsy invoices and mailed documents to balanced French ledger entries, Inqom, Pennylane or a FEC file",
    after_help = "Start with `passerelle demo`: it needs no account anywhere.\n\nExit codes: 0 success; 1 the work failed (the message says what to do next); 2 wrong usage;\n3 invalid configuration (every problem is listed, each with its fix).\n--json on status, log, sync, push, test-connection, ingest and demo prints JSON for machines."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole job on a simulated Sellsy account, embedded storage and the FEC ledger, and
    /// prints a report.
    #[command(
        after_help = "Example:\n  passerelle demo\n  passerelle demo --dir /tmp/demo --invoices 500"
    )]
    Demo {
        /// Where the demo keeps its data (emptied first).
        #[arg(long, default_value = "passerelle-demo")]
        dir: PathBuf,
        /// Invoices in the simulated Sellsy account.
        #[arg(long, default_value_t = 300)]
        invoices: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The one-machine service: nightly scheduler, HTTP routes (/sync, /runs/{id}, Sellsy
    /// webhooks), SMTP listener of the collection addresses, worker; stops on Ctrl-C / SIGTERM.
    #[command(
        after_help = "Example:\n  PASSERELLE_SYNC_SECRET=... passerelle serve --config dossiers.toml\n\n[service] keys: http_listen (127.0.0.1:8080), smtp_listen (127.0.0.1:2525),\nsync_secret_env (PASSERELLE_SYNC_SECRET), nightly_at (02:00), time_zone (Europe/Paris),\nmax_message_bytes (40 MB), mail_domains, authserv_id, data_dir.\n\nExit codes: 0 stopped cleanly; 1 could not start (the message says why); 3 invalid configuration."
    )]
    Serve {
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
    },
    /// Checks the configuration file and lists every invalid field with its fix.
    #[command(after_help = "Example:\n  passerelle check-config --config dossiers.toml")]
    CheckConfig {
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
    },
    /// Synchronises one dossier now: pull from Sellsy, map, push to its ledger.
    #[command(
        after_help = "Examples:\n  passerelle sync acme --config dossiers.toml\n  passerelle sync acme --from 2026-01-01 --to 2026-03-31 --dry-run"
    )]
    Sync {
        dossier: String,
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
        /// First document date (default: the dossier's start date).
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last document date (default: today).
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// Show the entries that would be booked; write nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Takes one mail file as if it had been received for a collection address.
    #[command(
        after_help = "Example:\n  passerelle ingest facture.eml --to achat.acme@collecte.example.fr --config dossiers.toml"
    )]
    Ingest {
        file: PathBuf,
        /// The envelope recipient (collection address).
        #[arg(long, required = true)]
        to: Vec<String>,
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Maps and pushes to the ledger what is pending now (after an outage, a fixed rejection).
    #[command(
        after_help = "Examples:\n  passerelle push --config dossiers.toml\n  passerelle push acme --json\n\nExit codes: 0 everything pending was pushed; 1 some documents failed (see passerelle log <dossier> --severity warning); 3 invalid configuration."
    )]
    Push {
        /// Only this dossier (default: all).
        dossier: Option<String>,
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Checks a dossier's Sellsy credentials, scopes and quotas, and its ledger.
    #[command(
        after_help = "Example:\n  ACME_SELLSY_SECRET=... passerelle test-connection acme --config dossiers.toml\n\nExit codes: 0 every check passed; 1 a check failed (the line says what to do); 3 invalid configuration."
    )]
    TestConnection {
        dossier: String,
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Copies a dossier's FEC file of a fiscal year (the year it closes in).
    #[command(after_help = "Example:\n  passerelle export-fec acme 2026 --out .")]
    ExportFec {
        dossier: String,
        year: i32,
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
        /// Directory to copy the file into (default: print its path).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Documents per state for each dossier, and the last runs.
    #[command(after_help = "Example:\n  passerelle status --config dossiers.toml --json")]
    Status {
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// A dossier's integration log: what happened and the action to take.
    #[command(after_help = "Example:\n  passerelle log acme --severity warning --days 7")]
    Log {
        dossier: String,
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
        /// info, warning or error (and above).
        #[arg(long, default_value = "info")]
        severity: String,
        /// How many days back.
        #[arg(long, default_value_t = 30)]
        days: i64,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Demo {
                dir,
                invoices,
                json,
            } => commands::demo::run(&dir, invoices, json).await,
            Command::Serve { config } => commands::serve::run(&config).await,
            Command::CheckConfig { config } => commands::check_config::run(&config),
            Command::Sync {
                dossier,
                config,
                from,
                to,
                dry_run,
                json,
            } => commands::sync::run(&config, &dossier, from, to, dry_run, json).await,
            Command::Ingest {
                file,
                to,
                config,
                json,
            } => commands::ingest::run(&config, &file, &to, json).await,
            Command::ExportFec {
                dossier,
                year,
                config,
                out,
            } => commands::export_fec::run(&config, &dossier, year, out.as_deref()).await,
            Command::Push {
                dossier,
                config,
                json,
            } => commands::push::run(&config, dossier.as_deref(), json).await,
            Command::TestConnection {
                dossier,
                config,
                json,
            } => commands::test_connection::run(&config, &dossier, json).await,
            Command::Status { config, json } => commands::status::run(&config, json).await,
            Command::Log {
                dossier,
                config,
                severity,
                days,
                json,
            } => commands::log::run(&config, &dossier, &severity, days, json).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
