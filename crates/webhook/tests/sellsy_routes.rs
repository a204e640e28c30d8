//! `POST /sellsy/{dossier}`: Sellsy's signature, strict forms, freshness, deduplication, the
//! per-dossier re-fetch rate, and re-fetches through the real Sellsy client against the simulator.

mod common;

use common::*;

fn sellsy_request(dossier: &str, body: &Value, key: &str) -> HttpRequest {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = sellsy::webhook::signature(&Secret::new(key), &raw);
    HttpRequest {
        method: "POST".into(),
        path: format!("/sellsy/{dossier}"),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-webhook-signature".into(), sig),
        ],
        body: raw,
    }
}

fn invoice_event() -> Value {
    json!({"eventType": "docslog", "event": "step", "relatedtype": "invoice",
           "relatedid": "4711", "timestamp": "1770715800",
           "ownerid": 1, "relatedobject": {"status": "paid", "amount": "1000000"}})
}

#[tokio::test]
async fn a_sellsy_webhook_about_an_invoice_schedules_a_refetch() {
    let f = fixture();
    let resp = f
        .send(sellsy_request("acme", &invoice_event(), SELLSY_KEY))
        .await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    let doc = DocRef {
        kind: DocRefKind::Invoice,
        id: 4711,
    };
    assert_eq!(resp.body["refetch"], serde_json::to_value(doc).unwrap());
    assert_eq!(
        f.launches(),
        vec![Launch::Refetch {
            dossier: "acme".into(),
            doc
        }]
    );
    // A webhook never writes a run.
    assert_eq!(f.runs().await, 0);

    // The same delivery again (Sellsy retrying, or a replay) re-fetches nothing more.
    let again = f
        .send(sellsy_request("acme", &invoice_event(), SELLSY_KEY))
        .await;
    assert_eq!(again.status, 200, "{:?}", again.body);
    assert!(again.body["duplicate"].is_string(), "{:?}", again.body);
    assert_eq!(f.launches().len(), 1);

    let credit = json!({"eventType": "docslog", "event": "created",
                        "relatedtype": "creditnote", "relatedid": 12});
    let resp = f.send(sellsy_request("acme", &credit, SELLSY_KEY)).await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    assert_eq!(f.launches().len(), 2);
}

#[tokio::test]
async fn sellsy_webhooks_with_a_bad_signature_or_an_unknown_dossier_are_refused() {
    let mut f = fixture();
    let bad = sellsy_request("acme", &invoice_event(), "another-key");
    assert_refusal(&f.send(bad).await, 401, "invalid webhook signature");

    let mut unsigned = sellsy_request("acme", &invoice_event(), SELLSY_KEY);
    unsigned.headers.pop();
    assert_refusal(&f.send(unsigned).await, 401, "missing");

    let unknown = sellsy_request("globex", &invoice_event(), SELLSY_KEY);
    assert_refusal(&f.send(unknown).await, 404, "no dossier 'globex'");

    let mut big = sellsy_request("acme", &invoice_event(), SELLSY_KEY);
    big.body = vec![b' '; MAX_BODY + 1];
    assert_refusal(&f.send(big).await, 413, "at most");

    // A configured dossier without a sign key accepts no webhook.
    f.secrets.sellsy_sign_keys.clear();
    let keyless = sellsy_request("acme", &invoice_event(), SELLSY_KEY);
    assert_refusal(&f.send(keyless).await, 404, "no dossier 'acme'");
    f.assert_nothing_started().await;
}

#[tokio::test]
async fn a_sellsy_delivery_whose_launch_failed_is_acted_on_when_it_comes_back() {
    let f = fixture();
    f.launcher.fail.store(true, Ordering::SeqCst);
    let resp = f
        .send(sellsy_request("acme", &invoice_event(), SELLSY_KEY))
        .await;
    assert_refusal(&resp, 503, "could not be started");
    f.launcher.fail.store(false, Ordering::SeqCst);
    let resp = f
        .send(sellsy_request("acme", &invoice_event(), SELLSY_KEY))
        .await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    assert_eq!(f.launches().len(), 1);
}

#[tokio::test]
async fn a_form_encoded_sellsy_webhook_is_accepted() {
    // Sellsy's default content type unless the webhook has json_content_type (research §4).
    let f = fixture();
    let raw =
        b"eventType=docslog&event=paymentadd&relatedtype=invoice&relatedid=77&timestamp=1770715800"
            .to_vec();
    let sig = sellsy::webhook::signature(&Secret::new(SELLSY_KEY), &raw);
    let resp = f
        .send(HttpRequest {
            method: "POST".into(),
            path: "/sellsy/acme".into(),
            headers: vec![
                (
                    "Content-Type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
                ("X-Webhook-Signature".into(), sig),
            ],
            body: raw,
        })
        .await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
    assert_eq!(
        f.launches(),
        vec![Launch::Refetch {
            dossier: "acme".into(),
            doc: DocRef {
                kind: DocRefKind::Invoice,
                id: 77
            }
        }]
    );
}

#[tokio::test]
async fn sellsy_webhooks_about_other_objects_are_ignored() {
    let f = fixture();
    let client = json!({"eventType": "client", "event": "updated",
                        "relatedtype": "client", "relatedid": 99});
    let resp = f.send(sellsy_request("acme", &client, SELLSY_KEY)).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    assert!(
        resp.body["ignored"].as_str().unwrap().contains("'client'"),
        "{:?}",
        resp.body
    );
    let estimate = json!({"eventType": "docslog", "event": "created",
                          "relatedtype": "estimate", "relatedid": 5});
    let resp = f.send(sellsy_request("acme", &estimate, SELLSY_KEY)).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    f.assert_nothing_started().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sellsy_webhooks_refetch_through_the_sellsy_client_and_see_only_real_changes() {
    use simulators::sellsy::{Kind, Sim, SimConfig};
    let sim = Sim::start(SimConfig {
        invoices: 25,
        credit_notes: 4,
        per_second: 200,
        per_minute: 6000,
        ..SimConfig::default()
    })
    .await
    .expect("the Sellsy simulator could not listen on 127.0.0.1");
    let mut sellsy_cfg =
        sellsy::SellsyConfig::new(sim.client_id(), Secret::new(sim.client_secret()))
            .with_base_urls(sim.api_base(), sim.token_url());
    sellsy_cfg.request_timeout = std::time::Duration::from_secs(5);
    let client = sellsy::SellsyClient::new(sellsy_cfg).expect("a Sellsy client");
    let window = (date("2026-01-01"), date("2026-12-31"));
    let invoice = sim
        .documents(Kind::Invoice)
        .into_iter()
        .find(|d| d.status != "draft" && window.0 <= d.date && d.date <= window.1)
        .expect("a finalized invoice of 2026 in the simulator");
    let doc = DocRef {
        kind: DocRefKind::Invoice,
        id: invoice.id,
    };

    for (round, mode) in [
        domain::config::Mode::Documents,
        domain::config::Mode::Journal,
    ]
    .into_iter()
    .enumerate()
    {
        let mut f = fixture();
        f.dossiers[0].mode = mode;
        let resp = f
            .sync(json!({"dossier": "acme", "from": window.0, "to": window.1}))
            .await;
        assert_eq!(resp.status, 202, "{:?}", resp.body);
        let launched = f.launches();
        let [
            Launch::Run {
                run_id,
                from,
                to,
                trigger,
                ..
            },
        ] = launched.as_slice()
        else {
            panic!("one run launched: {launched:?}");
        };
        let cfg = f.dossiers[0].clone();
        let window = PullWindow {
            from: *from,
            to: *to,
        };
        let run = f
            .pipeline
            .start_run(&cfg, &client, window, run_id, trigger)
            .await
            .expect("the pull");
        assert_eq!(run.state, RunState::Pulled, "{mode:?}");
        assert!(run.new > 0, "{mode:?}: nothing pulled");

        // Sellsy says the invoice changed (a payment): it did not, as far as the ledger goes.
        let event = json!({"eventType": "docslog", "event": "paymentadd", "relatedtype": "invoice",
                           "relatedid": invoice.id.to_string(), "timestamp": (f.now() + 10 * round as i64 + 1).to_string()});
        let resp = f.send(sellsy_request("acme", &event, SELLSY_KEY)).await;
        assert_eq!(resp.status, 202, "{:?}", resp.body);
        let Some(Launch::Refetch { doc: asked, .. }) = f.launches().pop() else {
            panic!("a re-fetch launched");
        };
        assert_eq!(asked, doc);
        let report = f.pipeline.refetch(&cfg, &client, asked).await.unwrap();
        assert_eq!(
            (report.pulled, report.unchanged, report.changed, report.new),
            (1, 1, 0, 0),
            "{mode:?}: an unchanged invoice re-fetched looks changed"
        );
        let key = format!("sellsy:sales_invoice:{}", invoice.id);
        let stored = f
            .pipeline
            .store
            .get(&app::usecases::records::doc_pk("acme"), &key)
            .await
            .unwrap()
            .expect("the invoice's record");
        let stored = app::usecases::DocumentRecord::from_record(&stored).unwrap();
        let app::usecases::records::Content::Source { journal, .. } = &stored.content else {
            panic!("a Sellsy document");
        };
        assert_eq!(
            journal.is_empty(),
            mode == domain::config::Mode::Documents,
            "{mode:?}: journal lines {}",
            journal.len()
        );

        // Edited in Sellsy (not booked yet): the re-fetch takes the new version.
        assert!(sim.modify_document(Kind::Invoice, invoice.id));
        let event = json!({"eventType": "docslog", "event": "step", "relatedtype": "invoice",
                           "relatedid": invoice.id.to_string(), "timestamp": (f.now() + 10 * round as i64 + 2).to_string()});
        let resp = f.send(sellsy_request("acme", &event, SELLSY_KEY)).await;
        assert_eq!(resp.status, 202, "{:?}", resp.body);
        let report = f.pipeline.refetch(&cfg, &client, doc).await.unwrap();
        assert_eq!(report.changed, 1, "{mode:?}: the edit was not seen");
    }
    let violations = sim.violations();
    assert!(
        violations.is_empty(),
        "requests off the Sellsy spec: {violations:?}"
    );
    sim.stop().await;
}

#[tokio::test]
async fn stale_sellsy_deliveries_are_ignored_and_refetches_are_rate_limited() {
    let f = fixture();
    let mut old = invoice_event();
    old["timestamp"] = json!((now0() - chrono::Duration::days(2)).timestamp().to_string());
    let resp = f.send(sellsy_request("acme", &old, SELLSY_KEY)).await;
    assert_eq!(resp.status, 200, "{:?}", resp.body);
    assert!(resp.body["ignored"].as_str().unwrap().contains("behind"));
    let mut future = invoice_event();
    future["timestamp"] = json!(
        (now0() + chrono::Duration::hours(1))
            .timestamp()
            .to_string()
    );
    let resp = f.send(sellsy_request("acme", &future, SELLSY_KEY)).await;
    assert!(resp.body["ignored"].as_str().unwrap().contains("ahead of"));
    assert!(f.launches().is_empty());

    // Distinct deliveries (other invoices): the first MAX per minute are launched.
    let max = webhook::MAX_REFETCHES_PER_MINUTE as usize;
    for i in 0..max + 3 {
        let mut e = invoice_event();
        e["relatedid"] = json!((10_000 + i).to_string());
        let resp = f.send(sellsy_request("acme", &e, SELLSY_KEY)).await;
        let want = if i < max { 202 } else { 429 };
        assert_eq!(resp.status, want, "delivery {i}: {:?}", resp.body);
    }
    assert_eq!(f.launches().len(), max);
    // The next minute, re-fetches start again.
    *f.pipeline.clock.0.lock().unwrap() += chrono::Duration::seconds(61);
    let mut e = invoice_event();
    e["relatedid"] = json!("99999");
    let resp = f.send(sellsy_request("acme", &e, SELLSY_KEY)).await;
    assert_eq!(resp.status, 202, "{:?}", resp.body);
}
