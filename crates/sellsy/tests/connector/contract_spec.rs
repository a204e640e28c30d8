//! Issue 13, acceptance 1: the connector and the pipeline against answers generated from the
//! official Sellsy spec (not from our simulator), every request the client makes checked
//! against the same spec.
//!
//! - 300 random nights (150 per mode, `documents` and `journal`) of a sales dossier, and 60 of a
//!   dossier of scope `both` (sales and purchases, 30 per mode), each a dry run of a dossier
//!   over a mock whose every answer is generated from the operation's response schema
//!   (`crate::common::specgen`, constraints listed there and in `crate::common::contract`), plus a
//!   `test-connection`;
//! - the static examples of the spec, in both modes.
//!
//! For each night: the run does not fail as a whole, nothing panics, no request is refused by
//! the spec, every document the client read has a fate (booked, held or skipped) and each held
//! or skipped one a reason and an action, and every finalized invoice the search listed in the
//! window was read.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::common::contract::{Night, Served};
use crate::common::mock::Mock;
use crate::common::specgen::Mode;
use app::ports::{PullMode, PullWindow, SourceApi};
use app::usecases::dry_run::{DryRun, Fate, dry_run};
use chrono::{Duration, NaiveDate};
use domain::config::Scope;
use futures_util::StreamExt;
use serde_json::Value;

const RANDOM_NIGHTS_PER_MODE: u64 = 150;
/// Nights of a dossier of scope `both` (purchases read from the purchases journal), per mode.
const RANDOM_BOTH_NIGHTS_PER_MODE: u64 = 30;
/// Nights run at once (each has its own mock server).
const AT_ONCE: usize = 12;

struct Outcome {
    name: String,
    window: PullWindow,
    result: Result<DryRun, String>,
    connection: Result<(), String>,
    refused: Vec<String>,
    requests: usize,
    served: Served,
}

async fn night(seed: u64, generated: Mode, mode: PullMode, scope: Scope) -> Outcome {
    let (from, to) = match generated {
        // The static answers' dates: 2019-08-24 (format defaults) and 2022-01-02 (examples).
        Mode::Static => (d("2019-01-01"), d("2022-12-31")),
        Mode::Random => {
            let from = d("2026-01-01") + Duration::days((seed % 300) as i64);
            (from, from + Duration::days(29))
        }
    };
    let window = PullWindow { from, to };
    let n = Arc::new(Night::new(seed, generated, from, to));
    let mock = Mock::start_with(|base| n.handler(base)).await;
    let mut client_cfg = mock.config();
    if generated == Mode::Static {
        client_cfg.pacing.read_quotas = false;
    }
    let client = sellsy::SellsyClient::new(client_cfg.with_scope(scope)).unwrap();
    let mut cfg = domain::testkit::example_config();
    cfg.scope = scope;
    cfg.start_date = from;
    cfg.mode = match mode {
        PullMode::Documents => domain::config::Mode::Documents,
        PullMode::Journal => domain::config::Mode::Journal,
    };
    let result = dry_run(&cfg, &client, window)
        .await
        .map_err(|e| e.to_string());
    // What the pull was served (test-connection's probes list documents too).
    let served = n.served.lock().unwrap().clone();
    let connection = client
        .test_connection()
        .await
        .map(|_| ())
        .map_err(|e| e.to_string());
    let refused = mock.refused();
    let requests = mock.requests().len();
    mock.stop().await;
    Outcome {
        name: format!("{generated:?} night {seed} ({mode:?}, scope {scope:?})"),
        window,
        result,
        connection,
        refused,
        requests,
        served,
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn date_of(v: &Value) -> Option<NaiveDate> {
    let s = v.as_str()?;
    s.parse().ok().or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.date_naive())
    })
}

fn positive_id(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().filter(|i| *i > 0),
        Value::String(s) => s.trim().parse().ok().filter(|i| *i > 0),
        _ => None,
    }
}

/// Everything wrong with one night.
fn check(o: &Outcome) -> Vec<String> {
    let mut bad = Vec::new();
    let name = &o.name;
    if let Err(e) = &o.connection {
        bad.push(format!("{name}: test-connection failed: {e}"));
    }
    for r in &o.refused {
        bad.push(format!("{name}: request refused by the spec: {r}"));
    }
    let dry = match &o.result {
        Ok(d) => d,
        Err(e) => {
            bad.push(format!("{name}: the run failed as a whole: {e}"));
            return bad;
        }
    };
    let keys: BTreeMap<&str, &Fate> = dry
        .documents
        .iter()
        .map(|f| (f.key.as_str(), &f.fate))
        .collect();
    for f in &dry.documents {
        if let (Some(reason), Some(action)) = (f.fate.reason(), f.fate.action())
            && (reason.trim().is_empty() || action.trim().is_empty())
        {
            bad.push(format!(
                "{name}: {} has no reason or action: {:?}",
                f.key, f.fate
            ));
        }
    }
    let in_window = |v: &Value| date_of(v).is_none_or(|x| o.window.contains(x));
    // Every document the client read (a finalized one, dated in the window) has a fate.
    for ((kind, id), answer) in &o.served.documents {
        let draft = answer.get("status").and_then(Value::as_str) == Some("draft");
        let outside = !answer.get("date").is_none_or(in_window);
        if draft || outside {
            continue;
        }
        let key = match kind.as_str() {
            "invoice" => format!("sellsy:sales_invoice:{id}"),
            _ => format!("sellsy:sales_credit_note:{id}"),
        };
        if !keys.contains_key(key.as_str()) {
            bad.push(format!("{name}: {key} was read but has no fate"));
        }
    }
    // Every purchase the purchases journal named in the window has a fate.
    for line in &o.served.purchase_lines {
        if !line.get("date").is_none_or(in_window) {
            continue;
        }
        let Some((kind, id, _)) = sellsy::wire::line_document(line) else {
            continue;
        };
        let kind = match kind.as_str() {
            "purInvoice" => "purchase_invoice",
            "purCreditNote" => "purchase_credit_note",
            _ => continue,
        };
        if id <= 0 {
            continue;
        }
        let key = format!("sellsy:{kind}:{id}");
        if !keys.contains_key(key.as_str()) {
            bad.push(format!(
                "{name}: {key} is in the purchases journal but has no fate: {line}"
            ));
        }
    }
    // Every finalized invoice the search listed in the window was read, or holds a fate
    // (an id listed twice: its first listing counts, as for the client).
    let mut first = std::collections::HashSet::new();
    for item in &o.served.invoice_items {
        if !first.insert(item.get("id").map(Value::to_string)) && item.get("id").is_some() {
            continue;
        }
        if item.get("status").and_then(Value::as_str) == Some("draft")
            || !item.get("date").is_none_or(in_window)
        {
            continue;
        }
        let found = match item.get("id").and_then(positive_id) {
            Some(id) => o.served.documents.contains_key(&("invoice".into(), id)),
            None => dry
                .documents
                .iter()
                .any(|f| f.kind == "sales_invoice" && matches!(f.fate, Fate::Held { .. })),
        };
        if !found {
            bad.push(format!(
                "{name}: listed invoice {item} was neither read nor held"
            ));
        }
    }
    bad
}

/// Fates and reasons over all nights, printed with the result.
fn summary(outcomes: &[Outcome]) -> String {
    let (mut booked, mut held, mut skipped, mut requests) = (0, 0, 0, 0);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for o in outcomes {
        requests += o.requests;
        let Ok(dry) = &o.result else { continue };
        booked += dry.would_be_booked;
        held += dry.held;
        skipped += dry.skipped;
        for f in &dry.documents {
            if let Some(r) = f.fate.reason() {
                // The reason's shape, without the ids and figures of this night.
                let shape: String = r
                    .chars()
                    .map(|c| if c.is_ascii_digit() { '#' } else { c })
                    .take(90)
                    .collect();
                *reasons.entry(shape).or_default() += 1;
            }
        }
    }
    let mut top: Vec<(usize, String)> = reasons.into_iter().map(|(r, n)| (n, r)).collect();
    top.sort_by(|a, b| b.cmp(a));
    let mut s = format!(
        "{} nights, {requests} requests; documents: {booked} would be booked, {held} held, {skipped} skipped\n",
        outcomes.len()
    );
    for (n, r) in top.iter().take(25) {
        s.push_str(&format!("  {n:>5}  {r}\n"));
    }
    s
}

async fn run_all(nights: Vec<(u64, Mode, PullMode, Scope)>) -> (Vec<Outcome>, usize) {
    let results: Vec<_> = futures_util::stream::iter(nights)
        .map(|(seed, generated, mode, scope)| tokio::spawn(night(seed, generated, mode, scope)))
        .buffer_unordered(AT_ONCE)
        .collect()
        .await;
    let panics = results.iter().filter(|r| r.is_err()).count();
    (results.into_iter().filter_map(Result::ok).collect(), panics)
}

fn verdict(outcomes: &[Outcome], panics: usize) {
    let bad: Vec<String> = outcomes.iter().flat_map(check).collect();
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let refused: usize = outcomes.iter().map(|o| o.refused.len()).sum();
    println!(
        "{}runs failed as a whole: {failed}; panics: {panics}; requests refused by the spec: {refused}",
        summary(outcomes)
    );
    assert_eq!(panics, 0, "nights panicked");
    assert!(
        bad.is_empty(),
        "{} problems:\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_nights_over_answers_generated_from_the_spec() {
    let modes = [PullMode::Documents, PullMode::Journal];
    let mut nights: Vec<(u64, Mode, PullMode, Scope)> = (0..RANDOM_NIGHTS_PER_MODE)
        .flat_map(|seed| modes.map(|m| (seed, Mode::Random, m, Scope::Sales)))
        .collect();
    // Other seeds than the sales nights': other answers.
    nights.extend(
        (10_000..10_000 + RANDOM_BOTH_NIGHTS_PER_MODE)
            .flat_map(|seed| modes.map(|m| (seed, Mode::Random, m, Scope::Both))),
    );
    let expected = nights.len();
    let (outcomes, panics) = run_all(nights).await;
    assert_eq!(outcomes.len() + panics, expected);
    let purchases: usize = outcomes.iter().map(|o| o.served.purchase_lines.len()).sum();
    assert!(purchases > 0, "no night was served purchases-journal lines");
    verdict(&outcomes, panics);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_static_examples_of_the_spec() {
    let nights = vec![
        (0, Mode::Static, PullMode::Documents, Scope::Sales),
        (0, Mode::Static, PullMode::Journal, Scope::Sales),
        (0, Mode::Static, PullMode::Documents, Scope::Both),
        (0, Mode::Static, PullMode::Journal, Scope::Both),
    ];
    let (outcomes, panics) = run_all(nights).await;
    verdict(&outcomes, panics);
    // The spec's examples describe an invoice and a credit note dated 2022-01-02: both are
    // pulled and have a fate.
    let dry = outcomes[0].result.as_ref().unwrap();
    let kinds: Vec<&str> = dry.documents.iter().map(|f| f.kind.as_str()).collect();
    assert!(kinds.contains(&"sales_invoice"), "{kinds:?}");
    assert!(kinds.contains(&"sales_credit_note"), "{kinds:?}");
}

/// The static `GET /quotas` answer (limits 10, `null` for none) is read and adopted.
#[tokio::test]
async fn the_static_quotas_example_is_adopted() {
    let n = Arc::new(Night::new(
        0,
        Mode::Static,
        d("2022-01-01"),
        d("2022-01-31"),
    ));
    let mock = Mock::start_with(|base| n.handler(base)).await;
    let c = mock.client();
    let report = c.test_connection().await.unwrap();
    assert_eq!(report.limit_per_second, Some(10));
    assert_eq!(c.pacing_limits(), (10, 10));
    assert_eq!(mock.refused(), Vec::<String>::new());
    mock.stop().await;
}

/// The generator's answers follow the spec: each checked with the spec's own validator.
#[test]
fn generated_answers_are_valid_against_the_spec() {
    use crate::common::specgen::{Gen, Knobs, lax, success_schema};
    // The spec as written: an object accepts properties it does not list (the strict reading
    // of our fixture tests would refuse what the spec itself requires: `automatic_dunning.sent[]`
    // requires an `id` it does not describe).
    let spec = lax();
    let ops = [
        ("GET", "/quotas", "/quotas"),
        ("GET", "/accounting-codes", "/accounting-codes"),
        ("GET", "/taxes/accounting-codes", "/taxes/accounting-codes"),
        (
            "GET",
            "/settings/accounting-charts",
            "/settings/accounting-charts",
        ),
        ("POST", "/invoices/search", "/invoices/search"),
        ("POST", "/credit-notes/search", "/credit-notes/search"),
        ("GET", "/invoices/{id}", "/invoices/7"),
        ("GET", "/credit-notes/{id}", "/credit-notes/7"),
        (
            "GET",
            "/credit-notes/{id}/invoices",
            "/credit-notes/7/invoices",
        ),
        (
            "POST",
            "/accounting-journal/{type}/search",
            "/accounting-journal/sells/search",
        ),
    ];
    let mut invalid = Vec::new();
    let mut total = 0;
    for seed in 0..40u64 {
        for (method, template, path) in ops {
            let schema = success_schema(method, template).unwrap();
            let knobs = Knobs {
                p_optional: [0.35, 0.7, 1.0][seed as usize % 3],
                p_null: [0.0, 0.05, 0.2][seed as usize % 3],
                from: d("2026-03-01"),
                to: d("2026-03-31"),
                files_base: "http://127.0.0.1:9".into(),
            };
            let v = Gen::new(Mode::Random, seed, knobs).value(schema);
            total += 1;
            if let Err(e) = spec.check_response(method, path, 200, Some(&v)) {
                invalid.push(format!("{method} {template} seed {seed}: {e:?}"));
            }
        }
    }
    println!(
        "{} of {total} generated answers valid",
        total - invalid.len()
    );
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}
