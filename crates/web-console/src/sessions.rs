//! Server-side sessions in the record store (`CONSOLE#SESSION` / SHA-256 of the id), so that
//! both runtimes share them (one SQLite file, one DynamoDB table). The cookie carries only a
//! random id; a new one is made at every login (no session fixation) and revoked at logout.

use app::ports::{Record, RecordStore, StoreError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// The partition of the sessions.
pub const SESSION_PK: &str = "CONSOLE#SESSION";
/// How long a session lasts after login (a working day).
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// One logged-in user's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub user: String,
    /// The token every form of this session carries.
    pub csrf: String,
    pub expires: DateTime<Utc>,
    #[serde(default)]
    pub revoked: bool,
}

impl Session {
    /// Does the form's token match this session's (constant time)?
    pub fn csrf_ok(&self, token: Option<&str>) -> bool {
        token.is_some_and(|t| bool::from(t.as_bytes().ct_eq(self.csrf.as_bytes())))
    }
}

/// 32 random bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    hex::encode(bytes)
}

fn session_sk(id: &str) -> String {
    app::usecases::sha256_hex(id.as_bytes())
}

/// Creates a session for `user`: returns its id (for the cookie) and the session.
pub async fn create<S: RecordStore>(
    store: &S,
    user: &str,
    now: DateTime<Utc>,
) -> Result<(String, Session), StoreError> {
    let id = random_token();
    let session = Session {
        user: user.to_string(),
        csrf: random_token(),
        expires: now + chrono::Duration::seconds(SESSION_SECONDS),
        revoked: false,
    };
    let mut record = Record::new(
        SESSION_PK,
        session_sk(&id),
        serde_json::to_value(&session).unwrap_or_default(),
    );
    record.expires_at = Some(session.expires.timestamp());
    store.create(&record).await?;
    Ok((id, session))
}

/// The live session of a cookie's id (`None`: unknown, expired or revoked).
pub async fn find<S: RecordStore>(
    store: &S,
    id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Session>, StoreError> {
    if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let Some(record) = store.get(SESSION_PK, &session_sk(id)).await? else {
        return Ok(None);
    };
    let session: Session = match serde_json::from_value(record.data) {
        Ok(s) => s,
        Err(_) => return Ok(None),
    };
    Ok((!session.revoked && session.expires > now).then_some(session))
}

/// Ends a session (logout): later requests with its id are treated as without a session.
pub async fn revoke<S: RecordStore>(store: &S, id: &str) -> Result<(), StoreError> {
    let Some(record) = store.get(SESSION_PK, &session_sk(id)).await? else {
        return Ok(());
    };
    let Ok(mut session) = serde_json::from_value::<Session>(record.data.clone()) else {
        return Ok(());
    };
    session.revoked = true;
    let next = record.next(serde_json::to_value(&session).unwrap_or_default());
    match store.update(&next).await {
        Ok(()) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}
