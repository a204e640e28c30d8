//! Inqom sink against the mock, on what its real API does beyond the documented fields: uploads
//! redirected to another host (the token and the method kept).

use std::collections::BTreeSet;
use std::sync::Arc;

use app::ports::{LedgerSink, SinkErrorKind};
use ledgers::{InqomSink, PartyBook};
use simulators::inqom::{self as inqom_mock, InqomMock};

use crate::support::{InqomMockConfig, config, documents, entries};

fn sink(mock: &InqomMock, book: Arc<PartyBook>) -> InqomSink {
    InqomSink::new(mock.config(), book).unwrap()
}

#[tokio::test]
async fn uploads_redirected_307_or_308_to_another_host_keep_their_token_method_and_body() {
    for status in [307, 308] {
        let mock = inqom_mock::start().await;
        let host = mock.redirect_uploads(status).await;
        assert_ne!(host, mock.url, "a second listener");
        let book = Arc::new(PartyBook::new());
        let items = entries(3, 61, &book);
        let s = sink(&mock, book);
        let r = s.push_entries(&config(), &items).await;
        assert!(r.iter().all(Result::is_ok), "{r:?}");
        for d in documents(4) {
            s.push_document(&config(), &d)
                .await
                .unwrap_or_else(|e| panic!("{status}: {e}"));
        }
        let st = mock.state();
        assert_eq!(st.violations, Vec::<String>::new());
        let fields: BTreeSet<String> = ["entryId", "date", "reference", "fileName", "file"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(st.attachments.len(), 3, "{status}: every PDF attached");
        assert!(st.attachments.iter().all(|f| *f == fields));
        assert_eq!((st.documents.len(), st.expense_bills.len()), (3, 1));
        assert_eq!(st.upload_host_requests.len(), 7, "3 PDFs + 4 documents");
        assert!(
            st.upload_host_requests
                .iter()
                .all(|(method, _, with_token)| method == "POST" && *with_token),
            "{status}: {:?}",
            st.upload_host_requests
        );
        println!(
            "inqom upload redirect {status}: {} uploads re-sent to {host} as POST with the bearer token, {} attachments, {} documents, {} expense bills",
            st.upload_host_requests.len(),
            st.attachments.len(),
            st.documents.len(),
            st.expense_bills.len()
        );
    }
}

#[tokio::test]
async fn a_post_redirected_301_or_302_is_an_error_not_a_get() {
    for status in [301, 302, 303] {
        let mock = inqom_mock::start().await;
        mock.redirect_uploads(status).await;
        let s = sink(&mock, Arc::new(PartyBook::new()));
        let e = s
            .push_document(&config(), &documents(1)[0])
            .await
            .unwrap_err();
        assert_eq!(
            (e.kind, e.status),
            (SinkErrorKind::Permanent, Some(status)),
            "{e:?}"
        );
        assert!(
            e.message.contains("would turn the POST into a GET"),
            "{}",
            e.message
        );
        assert!(e.action.contains("new address"), "{}", e.action);
        let st = mock.state();
        assert!(
            st.upload_host_requests.is_empty(),
            "{:?}",
            st.upload_host_requests
        );
        assert!(st.documents.is_empty());
        println!("inqom upload redirect {status}: {}", e.message);
    }
}
