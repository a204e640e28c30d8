//! Auxiliary (third-party) codes: derived from the party name, stable across runs.
//!
//! Rule (as the market's connectors do it): upper-case ASCII letters and digits, first character
//! a letter, at most N characters (default 8). Every code obeys it, derived or given: a code set
//! at the source is written by the rule ("0dupont-2" → "DUPONT2") and wins over a derived one;
//! a source code with no letter left is ignored and the name gives the code. A code belongs to
//! one party: when two different parties would get the same code (derived or given), the later
//! one gets a suffix computed from its own source id, so the result does not depend on the order
//! documents arrive in.

use std::collections::BTreeMap;

use crate::party::Party;

/// Legal-form words dropped from names when something else remains ("Dupont SARL" → "DUPONT").
const LEGAL_FORMS: &[&str] = &[
    "SARL", "SAS", "SASU", "SA", "EURL", "SCI", "SNC", "SCP", "SELARL", "SELAS", "EI", "EIRL",
    "SCOP", "GIE", "STE", "SOCIETE", "ETS",
];

/// The codes already given, keyed by party key; persisted by the pipeline between runs.
#[derive(Debug, Clone, Default)]
pub struct AuxCodes {
    length: usize,
    by_party: BTreeMap<String, String>,
    by_code: BTreeMap<String, String>,
}

impl AuxCodes {
    pub fn new(length: usize) -> AuxCodes {
        AuxCodes {
            length,
            ..AuxCodes::default()
        }
    }

    /// Starts from codes given in earlier runs (party key, code).
    pub fn with_assignments(
        length: usize,
        assignments: impl IntoIterator<Item = (String, String)>,
    ) -> AuxCodes {
        let mut codes = AuxCodes::new(length);
        for (party, code) in assignments {
            codes.by_code.insert(code.clone(), party.clone());
            codes.by_party.insert(party, code);
        }
        codes
    }

    /// Every (party key, code) given so far.
    pub fn assignments(&self) -> impl Iterator<Item = (&String, &String)> {
        self.by_party.iter()
    }

    /// The auxiliary code of this party, or `None` when neither its source code nor its name
    /// yields a usable code (it then goes to the dossier's fallback account, e.g. 4111DIVERS).
    pub fn code_for(&mut self, party: &Party) -> Option<String> {
        let key = party.key();
        let given = own_code(party, self.length);
        if given.is_none()
            && let Some(code) = self.by_party.get(&key)
        {
            return Some(code.clone());
        }
        let candidate = candidates(party, self.length)?
            .find(|c| self.by_code.get(c).is_none_or(|owner| *owner == key))?;
        self.by_code.insert(candidate.clone(), key.clone());
        self.by_party.insert(key, candidate.clone());
        Some(candidate)
    }
}

/// The party's source code written by the rule, when it has one with a letter in it.
fn own_code(party: &Party, length: usize) -> Option<String> {
    party
        .auxiliary_code
        .as_deref()
        .and_then(|code| normalize_code(code, length))
}

/// The codes a party tries, in order: its source code written by the rule (or, without one, the
/// base derived from its name), then suffixed variants. [`AuxCodes::code_for`] takes the first
/// one no other party owns, so a store only needs the owners of these codes, not the whole
/// registry, to give the same answer.
pub fn candidates(party: &Party, length: usize) -> Option<impl Iterator<Item = String>> {
    let key = party.key();
    let base = match own_code(party, length) {
        Some(code) => code,
        None => derive_base(&party.name, length)?,
    };
    let first = std::iter::once(base.clone());
    Some(first.chain((0u32..).map(move |round| with_suffix(&base, &key, round, length))))
}

/// A code written by the rule: transliterated, upper-case, letters and digits only, starting
/// with a letter, at most `length` characters; `None` when no letter is left.
pub fn normalize_code(code: &str, length: usize) -> Option<String> {
    let ascii = deunicode::deunicode(code).to_ascii_uppercase();
    let code: String = ascii
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .skip_while(|c| !c.is_ascii_alphabetic())
        .take(length)
        .collect();
    (!code.is_empty()).then_some(code)
}

/// The code a name gives before any de-duplication: transliterated, upper-case, letters and
/// digits only, starting with a letter, at most `length` characters.
pub fn derive_base(name: &str, length: usize) -> Option<String> {
    let ascii = deunicode::deunicode(name).to_ascii_uppercase();
    let words: Vec<String> = ascii
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let meaningful: Vec<&String> = words
        .iter()
        .filter(|w| !LEGAL_FORMS.contains(&w.as_str()))
        .collect();
    let chosen: Vec<&String> = if meaningful.is_empty() {
        words.iter().collect()
    } else {
        meaningful
    };
    let joined: String = chosen.iter().map(|w| w.as_str()).collect();
    let code: String = joined
        .trim_start_matches(|c: char| !c.is_ascii_alphabetic())
        .chars()
        .take(length)
        .collect();
    (!code.is_empty()).then_some(code)
}

/// `base` cut to leave room for a 3-character suffix computed from the party key.
fn with_suffix(base: &str, key: &str, round: u32, length: usize) -> String {
    const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut hash = fnv1a(key.as_bytes()) ^ u64::from(round).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut suffix = String::new();
    for _ in 0..3 {
        suffix.push(ALPHABET[(hash % 36) as usize] as char);
        hash /= 36;
    }
    let keep = length.saturating_sub(3).max(1);
    let head: String = base.chars().take(keep).collect();
    format!("{head}{suffix}")
}

/// FNV-1a, 64 bits: a fixed hash, so suffixes never change between releases.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::party::PartyKind;

    fn party(id: &str, name: &str, code: Option<&str>) -> Party {
        Party {
            kind: PartyKind::Company,
            name: name.into(),
            source_id: id.into(),
            reference: None,
            auxiliary_code: code.map(str::to_string),
            siren: None,
            siret: None,
            vat_number: None,
        }
    }

    #[test]
    fn derives_letters_first_upper_ascii_codes() {
        assert_eq!(derive_base("Dupont SARL", 8).as_deref(), Some("DUPONT"));
        assert_eq!(
            derive_base("Société Générale d'Équipement", 8).as_deref(),
            Some("GENERALE")
        );
        assert_eq!(derive_base("3M France", 8).as_deref(), Some("MFRANCE"));
        assert_eq!(
            derive_base("Boulangerie Éloïse & Fils", 8).as_deref(),
            Some("BOULANGE")
        );
        assert_eq!(derive_base("SAS", 8).as_deref(), Some("SAS"));
        assert_eq!(derive_base("1234 !!", 8), None);
        assert_eq!(derive_base("", 8), None);
        for name in ["Ölmühle GmbH", "Zoé", "l'Atelier du 12"] {
            let code = derive_base(name, 8).unwrap();
            assert!(code.len() <= 8);
            assert!(code.chars().next().unwrap().is_ascii_uppercase());
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            );
        }
    }

    #[test]
    fn existing_code_wins_and_collisions_get_stable_suffixes() {
        let mut codes = AuxCodes::new(8);
        assert_eq!(
            codes
                .code_for(&party("1", "Dupont SARL", Some("CDUPONT")))
                .as_deref(),
            Some("CDUPONT")
        );
        let a = codes
            .code_for(&party("2", "Martin et Associés", None))
            .unwrap();
        let b = codes
            .code_for(&party("3", "Martin & Associés", None))
            .unwrap();
        assert_eq!(a, "MARTINET");
        assert_ne!(a, b);
        assert_eq!(b.len(), 8);
        assert!(b.starts_with("MARTI"));
        // Same party again: same code. Same collision in another run: same suffix.
        assert_eq!(
            codes
                .code_for(&party("3", "Martin & Associés", None))
                .unwrap(),
            b
        );
        let mut other_run = AuxCodes::new(8);
        other_run.code_for(&party("2", "Martin et Associés", None));
        assert_eq!(
            other_run
                .code_for(&party("3", "Martin & Associés", None))
                .unwrap(),
            b
        );
        // Persisted assignments are honoured.
        let restored =
            AuxCodes::with_assignments(8, codes.assignments().map(|(p, c)| (p.clone(), c.clone())));
        let mut restored = restored;
        assert_eq!(restored.code_for(&party("3", "renamed", None)).unwrap(), b);
    }

    #[test]
    fn source_codes_obey_the_rule_and_belong_to_one_party() {
        let mut codes = AuxCodes::new(8);
        // Written by the rule: first character a letter, upper case, letters and digits, 8 at most.
        let dupont = codes.code_for(&party("1", "Dupont SARL", Some("0dupont-2")));
        assert_eq!(dupont.as_deref(), Some("DUPONT2"));
        let long = codes.code_for(&party("2", "Long", Some("CLIENT-000123")));
        assert_eq!(long.as_deref(), Some("CLIENT00"));
        // No letter in the source code: the name gives it.
        let digits = codes.code_for(&party("3", "Zoé Martin", Some("00412")));
        assert_eq!(digits.as_deref(), Some("ZOEMARTI"));
        // A second party with the same source code gets the stable suffix, not the same code.
        let other = codes
            .code_for(&party("4", "Dupont Frères", Some("DUPONT2")))
            .unwrap();
        assert_ne!(other, "DUPONT2");
        assert_eq!(other.len(), 8);
        assert!(other.starts_with("DUPON"), "{other}");
        let mut again = AuxCodes::new(8);
        again.code_for(&party("1", "Dupont SARL", Some("0dupont-2")));
        assert_eq!(
            again
                .code_for(&party("4", "Dupont Frères", Some("DUPONT2")))
                .unwrap(),
            other
        );
        // A derived code already owned by a party with that source code is not shared either.
        let derived = codes.code_for(&party("5", "Dupont 2", None)).unwrap();
        assert_ne!(derived, "DUPONT2");
        // Every code given obeys the rule and has one owner.
        let mut owners = std::collections::BTreeMap::new();
        for (party, code) in codes.assignments() {
            assert!(code.len() <= 8 && code.starts_with(|c: char| c.is_ascii_uppercase()));
            assert!(
                code.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            );
            assert_eq!(
                owners.insert(code.clone(), party.clone()),
                None,
                "{code} twice"
            );
        }
    }
}
