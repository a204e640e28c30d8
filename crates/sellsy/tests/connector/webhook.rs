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

#[test]
fn a_length_extended_form_body_is_refused() {
    // What SHA-1 length extension yields: the signed body, its padding (0x80, NULs, the bit
    // length), then the attacker's suffix repeating a field.
    let signed = b"eventType=docslog&event=step&relatedtype=invoice&relatedid=4711".to_vec();
    let mut extended = signed.clone();
    extended.push(0x80);
    extended.extend(std::iter::repeat_n(0u8, 20));
    extended.extend_from_slice(&((64 + signed.len() as u64) * 8).to_be_bytes());
    extended.extend_from_slice(b"&relatedid=999");
    let form = Some("application/x-www-form-urlencoded");
    assert!(matches!(
        parse(form, &extended),
        Err(WebhookError::Payload(_))
    ));
    // The suffix alone, without the padding bytes: a duplicate field is refused too.
    let dup = b"eventType=docslog&relatedtype=invoice&relatedid=4711&relatedid=999";
    match parse(form, dup) {
        Err(WebhookError::Payload(m)) => assert!(m.contains("relatedid"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Percent-escapes are what a form encoder writes, and stay accepted.
    let ok = b"eventType=docslog&event=step&relatedtype=invoice&relatedid=4711&note=caf%C3%A9+ok";
    assert_eq!(parse(form, ok).unwrap().related_id, Some(4711));
    assert!(parse(form, b"eventType=docslog&relatedtype=invoice&x=%zz").is_err());
}

#[test]
fn the_payload_time_reads_in_the_forms_sellsy_may_send() {
    let at = |t: &str| {
        let body = format!(
            r#"{{"eventType":"docslog","relatedtype":"invoice","relatedid":"1","timestamp":"{t}"}}"#
        );
        parse(None, body.as_bytes()).unwrap().timestamp_unix()
    };
    assert_eq!(at("1763632000"), Some(1_763_632_000));
    assert_eq!(at("1763632000123"), Some(1_763_632_000));
    assert_eq!(at("2025-11-20T10:00:00+01:00"), Some(1_763_629_200));
    assert_eq!(at("2025-11-20 09:00:00"), Some(1_763_629_200));
    assert_eq!(at("yesterday"), None);
}
