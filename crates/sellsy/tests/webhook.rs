//! Acceptance 5: Sellsy's webhook signature scheme (hex SHA-1 of sign key ‖ raw body).

use app::ports::Secret;
use app::ports::{DocRef, DocRefKind};
use sellsy::webhook::{WebhookError, accept, parse, signature, verify};

const BODY: &[u8] = br#"{"eventType":"docslog","event":"step","relatedtype":"invoice","relatedid":"4711","ownertype":"staff","ownerid":"69391","timestamp":"1763631164","corpid":"123","relatedobject":{"status":"due"}}"#;

fn key() -> Secret {
    Secret::new("sign-key-from-sellsy-ui")
}

#[test]
fn sellsy_scheme_is_accepted() {
    // Computed independently: printf '%s%s' "$KEY" "$BODY" | sha1sum
    let expected = {
        use sha1::Digest;
        let mut h = sha1::Sha1::new();
        h.update(b"sign-key-from-sellsy-ui");
        h.update(BODY);
        hex::encode(h.finalize())
    };
    assert_eq!(signature(&key(), BODY), expected);
    assert_eq!(expected.len(), 40);
    verify(&key(), BODY, Some(&expected)).unwrap();
    verify(&key(), BODY, Some(&expected.to_uppercase())).unwrap();
    let ev = accept(&key(), Some(&expected), Some("application/json"), BODY).unwrap();
    assert_eq!(
        ev.refetch(),
        Some(DocRef {
            kind: DocRefKind::Invoice,
            id: 4711
        })
    );
    assert_eq!(ev.event_type, "docslog");
    assert_eq!(ev.event, "step");
}

#[test]
fn tampered_body_wrong_key_and_missing_header_are_rejected() {
    let sig = signature(&key(), BODY);
    let tampered = String::from_utf8(BODY.to_vec())
        .unwrap()
        .replace("4711", "4712");
    assert_eq!(
        verify(&key(), tampered.as_bytes(), Some(&sig)),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify(&Secret::new("another-key"), BODY, Some(&sig)),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify(&key(), BODY, None),
        Err(WebhookError::MissingSignature)
    );
    assert_eq!(
        verify(&key(), BODY, Some("  ")),
        Err(WebhookError::MissingSignature)
    );
    // Truncated, HMAC-SHA1 instead of the plain hash, and an empty key.
    assert_eq!(
        verify(&key(), BODY, Some(&sig[..39])),
        Err(WebhookError::BadSignature)
    );
    let hmac_like = {
        use sha1::Digest;
        let mut h = sha1::Sha1::new();
        h.update(BODY);
        h.update(b"sign-key-from-sellsy-ui");
        hex::encode(h.finalize())
    };
    assert_eq!(
        verify(&key(), BODY, Some(&hmac_like)),
        Err(WebhookError::BadSignature)
    );
    assert_eq!(
        verify(&Secret::new(""), BODY, Some(&sig)),
        Err(WebhookError::NoSignKey)
    );
    assert!(
        accept(
            &key(),
            Some(&sig),
            Some("application/json"),
            tampered.as_bytes()
        )
        .is_err()
    );
}

#[test]
fn events_become_refetch_orders_and_nothing_else() {
    let cn = br#"{"eventType":"docslog","event":"created","relatedtype":"creditnote","relatedid":812,"timestamp":"1763631999"}"#;
    assert_eq!(
        parse(Some("application/json"), cn).unwrap().refetch(),
        Some(DocRef {
            kind: DocRefKind::CreditNote,
            id: 812
        })
    );
    // Form-encoded (Sellsy's default unless json_content_type).
    let form = b"eventType=docslog&event=paymentadd&relatedtype=invoice&relatedid=4711&timestamp=1763632000";
    let ev = parse(Some("application/x-www-form-urlencoded"), form).unwrap();
    assert_eq!(
        ev.refetch(),
        Some(DocRef {
            kind: DocRefKind::Invoice,
            id: 4711
        })
    );
    // Other objects are not documents to fetch.
    let est =
        br#"{"eventType":"docslog","event":"created","relatedtype":"estimate","relatedid":"9"}"#;
    assert_eq!(
        parse(Some("application/json"), est).unwrap().refetch(),
        None
    );
    // Dedup keys differ per delivery content and are stable.
    assert_eq!(
        parse(None, BODY).unwrap().dedup_key,
        parse(None, BODY).unwrap().dedup_key
    );
    assert_ne!(
        parse(None, BODY).unwrap().dedup_key,
        parse(None, cn).unwrap().dedup_key
    );
    assert!(matches!(
        parse(None, b"not json"),
        Err(WebhookError::Payload(_))
    ));
    assert!(matches!(parse(None, b"{}"), Err(WebhookError::Payload(_))));
}
