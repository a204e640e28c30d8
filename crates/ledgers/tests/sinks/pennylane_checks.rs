//! Pennylane v2 sink against the mock, on what its real API imposes beyond the request schemas:
//! the currency enum checked before sending, files attached the way the extract recommends,
//! and the rate limit (25 requests per 5 s per token) respected under load.

use std::sync::Arc;

use app::ports::{LedgerSink, SinkErrorKind};
use ledgers::{PartyBook, PennylaneSink};
use simulators::pennylane::{self as pennylane_mock, spec};

use crate::support::{PennylaneMockConfig, config, entries};

#[test]
fn currencies_are_the_extracts_enum() {
    for schema in ["postLedgerEntries", "putLedgerEntries"] {
        let listed: Vec<&str> =
            spec::extract()["schemas"][schema]["properties"]["currency"]["enum"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
        assert_eq!(listed, ledgers::pennylane::CURRENCIES, "{schema}");
    }
}

#[tokio::test]
async fn an_unknown_currency_holds_the_entry_before_anything_is_sent() {
    let mock = pennylane_mock::start().await;
    let book = Arc::new(PartyBook::new());
    let mut items = entries(2, 41, &book);
    items[0].entry.currency = "XYZ".into();
    items[1].entry.currency = "chf".into();
    let s = PennylaneSink::new(mock.config(), book).unwrap();
    let r = s.push_entries(&config(), &items).await;
    let e = r[0].as_ref().unwrap_err();
    assert_eq!((e.kind, e.status), (SinkErrorKind::Permanent, None));
    assert!(
        e.message.contains("\"XYZ\"") && e.message.contains(&items[0].entry.piece_ref),
        "{}",
        e.message
    );
    assert!(e.action.contains("currency"), "{}", e.action);
    assert!(r[1].is_ok(), "{:?}", r[1]);
    let st = mock.state();
    assert_eq!(st.violations, Vec::<String>::new(), "no 400 NotEnumInclude");
    assert_eq!(st.entries.len(), 1);
    assert_eq!(st.entries[0]["currency"], "CHF");
    assert_eq!(
        st.file_attachments.len(),
        1,
        "nothing uploaded for the held entry"
    );
    println!(
        "pennylane currency: XYZ held before sending ({}), CHF booked, {} violations",
        e.message,
        st.violations.len()
    );
}
