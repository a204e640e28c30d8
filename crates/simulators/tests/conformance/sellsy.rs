//! The simulator's answers follow the official spec: every route the connector uses is called
//! with spec-conformant requests and every response is checked by the simulator itself
//! (`validate: true`), then `violations()` must be empty.

use serde_json::{Value, json};
use simulators::sellsy::{Kind, Sim, SimConfig};

async fn token(c: &reqwest::Client, sim: &Sim) -> String {
    let r: Value = c
        .post(sim.token_url())
        .json(&json!({"grant_type": "client_credentials", "client_id": sim.client_id(), "client_secret": sim.client_secret()}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["access_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn every_simulated_route_answers_spec_shaped_json() {
    let sim = Sim::start(SimConfig {
        per_second: 1000,
        per_minute: 100_000,
        ..Default::default()
    })
    .await
    .unwrap();
    let c = reqwest::Client::new();
    let tok = token(&c, &sim).await;
    let api = sim.api_base();
    let get = |p: String| c.get(format!("{api}{p}")).bearer_auth(&tok).send();
    let mut statuses = vec![];
    for p in [
        "/quotas",
        "/scopes",
        "/taxes?limit=100",
        "/taxes/accounting-codes?limit=100",
        "/accounting-codes?limit=100",
        "/settings/accounting-charts",
        "/companies?limit=5",
        "/individuals?limit=5",
    ] {
        statuses.push((
            p.to_string(),
            get(p.to_string()).await.unwrap().status().as_u16(),
        ));
    }
    for kind in [Kind::Invoice, Kind::CreditNote] {
        let route = if kind == Kind::Invoice {
            "invoices"
        } else {
            "credit-notes"
        };
        for d in sim.documents(kind) {
            let p = format!("/{route}/{}?embed[]=company&embed[]=individual", d.id);
            statuses.push((p.clone(), get(p).await.unwrap().status().as_u16()));
        }
        let body = if kind == Kind::Invoice {
            json!({"filters": {"date": {"start": "2026-01-01", "end": "2026-03-31"}, "status": ["due", "payinprogress", "paid", "late", "cancelled"]}})
        } else {
            json!({"filters": {"status": ["stored", "partialspend", "spent", "cancelled"]}})
        };
        let mut offset: Option<String> = None;
        loop {
            let mut q = vec![
                ("limit", "10".to_string()),
                ("order", "created".into()),
                ("direction", "desc".into()),
                ("embed[]", "company".into()),
            ];
            if let Some(o) = &offset {
                q.push(("offset", o.clone()));
            }
            let r: Value = c
                .post(format!("{api}/{route}/search"))
                .query(&q)
                .bearer_auth(&tok)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let n = r["data"].as_array().unwrap().len();
            offset = r["pagination"]["offset"].as_str().map(str::to_string);
            if n < 10 {
                break;
            }
        }
    }
    let cn = &sim.documents(Kind::CreditNote)[0];
    statuses.push((
        "cn invoices".into(),
        get(format!("/credit-notes/{}/invoices", cn.id))
            .await
            .unwrap()
            .status()
            .as_u16(),
    ));
    let r = c.post(format!("{api}/accounting-journal/sells/search")).query(&[("limit", "100")]).bearer_auth(&tok)
        .json(&json!({"filters": {"date": {"start": "2026-01-01", "end": "2026-03-31"}, "include_exported_entries": true}}))
        .send().await.unwrap();
    statuses.push(("journal".into(), r.status().as_u16()));
    let j: Value = r.json().await.unwrap();
    assert_eq!(j["data"].as_array().unwrap().len(), 100);
    for (p, s) in &statuses {
        assert_eq!(*s, 200, "{p}");
    }
    assert_eq!(sim.violations(), Vec::<String>::new());
    sim.stop().await;
}

/// Issue 17: the purchases journal, the incoming documents and the purchases' files.
#[tokio::test]
async fn purchases_routes_answer_spec_shaped_json() {
    let sim = Sim::start(SimConfig {
        per_second: 1000,
        per_minute: 100_000,
        purchases: 24,
        ..Default::default()
    })
    .await
    .unwrap();
    let c = reqwest::Client::new();
    let tok = token(&c, &sim).await;
    let api = sim.api_base();
    let mut statuses = vec![];
    let r = c.post(format!("{api}/accounting-journal/purchases/search")).query(&[("limit", "100")]).bearer_auth(&tok)
        .json(&json!({"filters": {"date": {"start": "2026-01-01", "end": "2026-03-31"}, "include_exported_entries": true}}))
        .send().await.unwrap();
    statuses.push(("purchases journal".to_string(), r.status().as_u16()));
    let j: Value = r.json().await.unwrap();
    let lines = j["data"].as_array().unwrap();
    assert!(lines.len() >= 24 * 3, "{}", lines.len());
    assert!(lines.iter().all(|l| l["type"] == "PURCHASES"));
    let links: Vec<String> = lines
        .iter()
        .filter_map(|l| l["document"]["public_link"].as_str().map(str::to_string))
        .collect();
    assert!(!links.is_empty());
    for link in links.iter().take(10) {
        let r = c.get(link).send().await.unwrap();
        statuses.push((link.clone(), r.status().as_u16()));
        let bytes = r.bytes().await.unwrap();
        assert!(
            bytes.starts_with(b"%PDF-") || bytes.starts_with(b"\x89PNG"),
            "{link}"
        );
    }
    for (path, body) in [
        ("/ocr/pur-invoice/search", json!({"filters": {}})),
        (
            "/ocr/pur-invoice/search",
            json!({"filters": {"state": ["pending", "error"]}}),
        ),
    ] {
        let r = c
            .post(format!("{api}{path}"))
            .query(&[
                ("order", "created_at"),
                ("direction", "desc"),
                ("limit", "10"),
            ])
            .bearer_auth(&tok)
            .json(&body)
            .send()
            .await
            .unwrap();
        statuses.push((path.to_string(), r.status().as_u16()));
        let v: Value = r.json().await.unwrap();
        assert!(!v["data"].as_array().unwrap().is_empty());
    }
    let r = c
        .get(format!("{api}/ocr/pur-invoice"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    statuses.push(("GET /ocr/pur-invoice".into(), r.status().as_u16()));
    for (p, s) in &statuses {
        assert_eq!(*s, 200, "{p}");
    }
    assert_eq!(sim.violations(), Vec::<String>::new());
    sim.stop().await;
}

#[tokio::test]
async fn a_request_that_breaks_the_spec_is_refused_and_recorded() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let c = reqwest::Client::new();
    let tok = token(&c, &sim).await;
    // `embed=company` without brackets and a body without `filters`.
    let r = c
        .post(format!("{}/invoices/search?embed=company", sim.api_base()))
        .bearer_auth(&tok)
        .json(&json!({"filter": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Le contenu de la requête est invalide")
    );
    let v = sim.violations();
    assert!(v.iter().any(|e| e.contains("PHP style")), "{v:?}");
    assert!(v.iter().any(|e| e.contains("filters")), "{v:?}");
    sim.stop().await;
}
