//! Runs the Sellsy simulator standalone (for the demo and manual tests).
//!
//! sellsy-sim [--port 8089] [--seed 42] [--invoices 60] [--credit-notes 12]
//!            [--per-second 5] [--per-minute 150] [--token-ttl 3600]
//!            [--error-rate 0.0] [--timeout-rate 0.0] [--no-validate]

use std::time::Duration;

use simulators::sellsy::{Faults, Sim, SimConfig};

fn value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn num<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> T {
    match value(args, name) {
        Some(v) => v.parse().unwrap_or_else(|_| {
            eprintln!("sellsy-sim: {name} expects a number, got {v:?}");
            std::process::exit(2)
        }),
        None => default,
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--help" || a == "-h") {
        println!(
            "{}",
            include_str!("sellsy-sim.rs")
                .lines()
                .skip(2)
                .take(4)
                .collect::<Vec<_>>()
                .join("\n")
        );
        return;
    }
    let d = SimConfig::default();
    let cfg = SimConfig {
        port: num(&args, "--port", 8089),
        seed: num(&args, "--seed", d.seed),
        invoices: num(&args, "--invoices", d.invoices),
        credit_notes: num(&args, "--credit-notes", d.credit_notes),
        per_second: num(&args, "--per-second", d.per_second),
        per_minute: num(&args, "--per-minute", d.per_minute),
        token_ttl: Duration::from_secs(num(&args, "--token-ttl", 3600)),
        faults: Faults {
            error_rate: num(&args, "--error-rate", 0.0),
            timeout_rate: num(&args, "--timeout-rate", 0.0),
            hang: Duration::from_secs(40),
            ..Faults::default()
        },
        validate: !args.iter().any(|a| a == "--no-validate"),
        ..d
    };
    let sim = match Sim::start(cfg).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sellsy-sim: cannot listen: {e}");
            std::process::exit(1)
        }
    };
    println!("sellsy-sim listening on {}", sim.base_url());
    println!("  api base:  {}", sim.api_base());
    println!("  token url: {}", sim.token_url());
    println!(
        "  client_id: {}  client_secret: {}  (simulator credentials)",
        sim.client_id(),
        sim.client_secret()
    );
    println!("  data:      {}", sim.summary());
    let _ = tokio::signal::ctrl_c().await;
    let v = sim.violations();
    if !v.is_empty() {
        eprintln!("sellsy-sim: {} spec violations seen:", v.len());
        for x in v.iter().take(20) {
            eprintln!("  {x}");
        }
    }
    sim.stop().await;
}
