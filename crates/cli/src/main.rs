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
    about = "Sellsy invoices and mailed documents to balanced French ledger entries, Inqom, Pennylane, Chift or a FEC file",
    after_help = "Start with `passerelle demo`: it needs no account anywhere.\n\nExit codes: 0 success; 1 the work failed (the message says what to do next); 2 wrong usage;\n3 invalid configuration (every problem is listed, each with its fix).\n--json on status, log, sync, push, test-connection, ingest and demo prints JSON for machines."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The FEC variant firms ask for (default: the dossier's `[dossier.ledger]` settings, else tab
/// and UTF-8).
#[derive(clap::Args)]
struct FecVariant {
    /// Field separator: tab or pipe.
    #[arg(long, value_parser = ["tab", "pipe"])]
    separator: Option<String>,
    /// Character set: utf-8 or iso-8859-15.
    #[arg(long, value_parser = ["utf-8", "iso-8859-15"])]
    charset: Option<String>,
}

impl FecVariant {
    fn get(&self) -> commands::export_fec::Variant<'_> {
        commands::export_fec::Variant {
            separator: self.separator.as_deref(),
            charset: self.charset.as_deref(),
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Runs the whole job on a simulated Sellsy account, embedded storage and the FEC ledger (or
    /// a simulated Chift), and prints a report.
    #[command(
        after_help = "Example:\n  passerelle demo\n  passerelle demo --dir /tmp/demo --invoices 500\n  passerelle demo --separator pipe --charset iso-8859-15\n  passerelle demo --ledger chift"
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
        /// Where the entries go: the FEC file, or a Chift mock checked against Chift's spec.
        #[arg(long, value_enum, default_value_t = commands::demo::DemoLedger::Fec)]
        ledger: commands::demo::DemoLedger,
        #[command(flatten)]
        variant: FecVariant,
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
    /// Prints the Argon2id hash of a password read from standard input, for a
    /// `[[console.users]]` entry's `password_hash` (the password never goes on the command line).
    #[command(
        after_help = "Example:\n  passerelle hash-password        (type the password, then Enter)\n  printf '%s' \"$PASSWORD\" | passerelle hash-password"
    )]
    HashPassword,
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
    /// Takes one mail file as if it had been received for a collection address, or one e-invoice
    /// file (.pdf, .xml) booked from its data.
    #[command(
        after_help = "Example:\n  passerelle ingest facture.eml --to achat.acme@collecte.example.fr --config dossiers.toml\n  passerelle ingest factur-x.pdf --to achat.acme@collecte.example.fr   (an e-invoice file: Factur-X, CII or UBL)\n\nExit codes: 0 accepted (or already received); 1 refused or held (the reason and the action are printed); 3 invalid configuration."
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
    /// Maps again and pushes held or rejected documents once their cause is fixed ("Relancer").
    #[command(
        after_help = "Examples:\n  passerelle retry acme sellsy:sales_invoice:4711\n  passerelle retry acme --all --json\n\nA document that reached the ledger (or may have) is never mapped again: it is refused with the reason.\nExit codes: 0 every retried document is booked; 1 one is still not booked or was refused; 3 invalid configuration."
    )]
    Retry {
        dossier: String,
        /// Document keys (`passerelle log` and `status` show them).
        keys: Vec<String>,
        /// Every held and rejected document of the dossier.
        #[arg(long)]
        all: bool,
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
    /// Writes a dossier's FEC of one fiscal year and its description file
    /// (<SIREN>FEC<closing>.txt and .description.txt), streamed from the booked entries.
    #[command(
        after_help = "Example:\n  passerelle export-fec acme 2026 --out .\n  passerelle export-fec acme 2027-08-31 --separator pipe --charset iso-8859-15 --out exports"
    )]
    ExportFec {
        dossier: String,
        /// The calendar year the fiscal year closes in (2026), or its closing date (2027-08-31)
        /// when a year holds two closings or none.
        period: String,
        #[arg(long, default_value = "dossiers.toml")]
        config: PathBuf,
        /// Directory to write the FEC and its description into.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        #[command(flatten)]
        variant: FecVariant,
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
                ledger,
                variant,
            } => commands::demo::run(&dir, invoices, json, ledger, variant.get()).await,
            Command::Serve { config } => commands::serve::run(&config).await,
            Command::HashPassword => commands::hash_password::run(),
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
                period,
                config,
                out,
                variant,
            } => commands::export_fec::run(&config, &dossier, &period, &out, variant.get()).await,
            Command::Push {
                dossier,
                config,
                json,
            } => commands::push::run(&config, dossier.as_deref(), json).await,
            Command::Retry {
                dossier,
                keys,
                all,
                config,
                json,
            } => commands::retry::run(&config, &dossier, &keys, all, json).await,
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
