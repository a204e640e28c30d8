//! The console's users: `[[console.users]]` in the configuration, each with an Argon2id hash
//! of the password (`passerelle hash-password`), a role and, for a collaborator, the dossiers.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use serde::Deserialize;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The firm's administrator: every dossier, every action.
    Admin,
    /// Sees and acts on the dossiers listed in `dossiers` only.
    Collaborator,
    /// Sees every dossier, acts on none.
    ReadOnly,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Collaborator => "collaborator",
            Role::ReadOnly => "read_only",
        }
    }
}

/// One user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub name: String,
    /// A PHC string (`$argon2id$v=19$...`).
    pub password_hash: String,
    pub role: Role,
    /// The dossiers of a collaborator (ignored for other roles: said by [`Users::parse`]).
    #[serde(default)]
    pub dossiers: Vec<String>,
}

impl User {
    /// May this user see the dossier?
    pub fn sees(&self, dossier: &str) -> bool {
        match self.role {
            Role::Admin | Role::ReadOnly => true,
            Role::Collaborator => self.dossiers.iter().any(|d| d == dossier),
        }
    }

    /// May this user start a run or retry a document of the dossier?
    pub fn acts_on(&self, dossier: &str) -> bool {
        self.role != Role::ReadOnly && self.sees(dossier)
    }
}

/// The users of the console.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Users(pub Vec<User>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default)]
    users: Vec<User>,
}

/// A hash that never matches, checked when the user is unknown so that a wrong name takes as
/// long as a wrong password (no user enumeration by timing).
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0mNAPS0ZOsPbBBG4Mw4lVpM3PdIKjTfTXfqYUgb0ZtU";

impl Users {
    /// Reads `[console]` (its `users`); every problem is returned with what to do.
    pub fn parse(table: &toml::Table, dossiers: &[String]) -> Result<Users, Vec<String>> {
        let section: Section = toml::Value::Table(table.clone())
            .try_into()
            .map_err(|e: toml::de::Error| {
                vec![format!(
                    "[console]: {}; keep only [[console.users]] with name, password_hash, role and dossiers",
                    e.message().trim()
                )]
            })?;
        let mut problems = Vec::new();
        for (i, u) in section.users.iter().enumerate() {
            if u.name.trim().is_empty() {
                problems.push(format!("console.users[{i}]: the name is empty; give one"));
            }
            if section.users[..i].iter().any(|o| o.name == u.name) {
                problems.push(format!(
                    "console.users[{i}]: {} is listed twice; keep one",
                    u.name
                ));
            }
            match PasswordHash::new(&u.password_hash) {
                Err(_) => problems.push(format!(
                    "console.users[{i}] ({}): password_hash is not a PHC string; make one with passerelle hash-password",
                    u.name
                )),
                // `verify_password` checks Argon2 only: another algorithm's hash never matches.
                Ok(h) if !h.algorithm.as_str().starts_with("argon2") => problems.push(format!(
                    "console.users[{i}] ({}): password_hash is a {} hash, not Argon2; make one with passerelle hash-password",
                    u.name,
                    h.algorithm.as_str()
                )),
                Ok(_) => {}
            }
            match u.role {
                Role::Collaborator => {
                    for d in u.dossiers.iter().filter(|d| !dossiers.contains(d)) {
                        problems.push(format!(
                            "console.users[{i}] ({}): dossier {d} is not in the configuration; remove it or add the dossier",
                            u.name
                        ));
                    }
                }
                _ if !u.dossiers.is_empty() => problems.push(format!(
                    "console.users[{i}] ({}): dossiers only limits a collaborator; remove it or set role = \"collaborator\"",
                    u.name
                )),
                _ => {}
            }
        }
        if problems.is_empty() {
            Ok(Users(section.users))
        } else {
            Err(problems)
        }
    }

    /// The user if the name and password match (constant work whether the name exists or not).
    pub fn authenticate(&self, name: &str, password: &str) -> Option<&User> {
        let user = self.0.iter().find(|u| u.name == name);
        let hash = user.map(|u| u.password_hash.as_str()).unwrap_or(DUMMY_HASH);
        let ok = verify_password(hash, password);
        user.filter(|_| ok)
    }

    pub fn get(&self, name: &str) -> Option<&User> {
        self.0.iter().find(|u| u.name == name)
    }
}

/// Does `password` match the PHC string `hash`?
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// An Argon2id hash of `password` with a random salt (the library's default parameters).
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(text: &str) -> toml::Table {
        text.parse().unwrap()
    }

    #[test]
    fn users_are_read_and_checked() {
        let hash = hash_password("long enough password").unwrap();
        let ids = vec!["acme".to_string()];
        let ok = format!(
            "[[users]]\nname = \"alice\"\npassword_hash = \"{hash}\"\nrole = \"admin\"\n[[users]]\nname = \"colette\"\npassword_hash = \"{hash}\"\nrole = \"collaborator\"\ndossiers = [\"acme\"]\n"
        );
        let users = Users::parse(&table(&ok), &ids).unwrap();
        assert_eq!(users.0.len(), 2);
        assert!(
            users
                .authenticate("alice", "long enough password")
                .is_some()
        );
        assert!(
            users
                .authenticate("alice", "long enough passwort")
                .is_none()
        );
        assert!(!users.get("colette").unwrap().sees("globex"));
        let bad = format!(
            "[[users]]\nname = \"alice\"\npassword_hash = \"plain\"\nrole = \"admin\"\n[[users]]\nname = \"bob\"\npassword_hash = \"{hash}\"\nrole = \"collaborator\"\ndossiers = [\"globex\"]\n[[users]]\nname = \"ro\"\npassword_hash = \"{hash}\"\nrole = \"read_only\"\ndossiers = [\"acme\"]\n"
        );
        let problems = Users::parse(&table(&bad), &ids).unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].contains("hash-password"));
        assert!(problems[1].contains("globex"));
        assert!(problems[2].contains("only limits a collaborator"));
        let pbkdf2 = "[[users]]\nname = \"alice\"\npassword_hash = \"$pbkdf2-sha256$i=600000$c29tZXNhbHRzb21lc2FsdA$0mNAPS0ZOsPbBBG4Mw4lVpM3PdIKjTfTXfqYUgb0ZtU\"\nrole = \"admin\"\n";
        let problems = Users::parse(&table(pbkdf2), &ids).unwrap_err();
        assert!(
            problems[0].contains("pbkdf2-sha256 hash, not Argon2"),
            "{problems:?}"
        );
        let unknown = Users::parse(
            &table("[[users]]\nname = \"a\"\npassword = \"x\"\nrole = \"admin\"\n"),
            &ids,
        );
        assert!(unknown.is_err());
    }

    #[test]
    fn the_dummy_hash_is_well_formed_and_matches_nothing() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password(DUMMY_HASH, ""));
        assert!(!verify_password(DUMMY_HASH, "somesaltsomesalt"));
    }
}
