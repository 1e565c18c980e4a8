//! Finding a case by a person's name or phone number without keeping either
//! on disk: a keyed blind index.
//!
//! A searchable personal value is folded to a normal form (case, accents,
//! punctuation, spacing and word order do not matter; a phone number is its
//! digits) and only an HMAC-SHA-256 of that form, under a secret index key, is
//! stored beside the log. A search folds the query the same way and looks the
//! token up. Without the index key a stolen database offers nothing to guess
//! names against; the index key is stored wrapped by the master key, as the
//! subject keys are.
//!
//! What it gives away, knowingly: equal values have equal tokens, so whoever
//! reads the table sees that two cases share a name, not which name. Erasing a
//! subject removes its tokens with its key.

use std::fmt;

use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{KeyInit as _, OsRng};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::{Error, MasterKey};

const INDEX_AAD: &[u8] = b"kroonika.index-key.v1";
const TOKEN_DOMAIN: &[u8] = b"kroonika.index.v1";

/// The country code a phone number written without one belongs to (Estonia):
/// `+372 5123 4567` and `5123 4567` are the same number.
pub const HOME_COUNTRY: &str = "372";

/// One index token: the HMAC of a normal form.
pub type Token = [u8; 32];

/// The secret the index is keyed with. Never printed by `Debug`.
#[derive(Clone)]
pub struct IndexKey([u8; 32]);

impl fmt::Debug for IndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IndexKey(..)")
    }
}

impl IndexKey {
    pub fn generate() -> IndexKey {
        IndexKey(XChaCha20Poly1305::generate_key(&mut OsRng).into())
    }

    fn token(&self, kind: Kind, normal: &str) -> Token {
        // A 32-byte key is always a valid HMAC key.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(TOKEN_DOMAIN);
        mac.update(&[0]);
        mac.update(kind.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(normal.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The token a stored value is found by: its phone form when it reads
    /// as a phone number, else its text form (none for a value with no
    /// letters or digits).
    pub fn tokens(&self, value: &str) -> Vec<(Kind, Token)> {
        if let Some(phone) = normal_phone(value) {
            return vec![(Kind::Phone, self.token(Kind::Phone, &phone))];
        }
        normal_text(value)
            .map(|text| vec![(Kind::Text, self.token(Kind::Text, &text))])
            .unwrap_or_default()
    }

    /// The token a search for `query` looks up; None when the query folds to
    /// nothing of that kind (no letters or digits; not a phone number).
    pub fn query(&self, kind: Kind, query: &str) -> Option<Token> {
        let normal = match kind {
            Kind::Text => normal_text(query)?,
            Kind::Phone => normal_phone(query)?,
        };
        Some(self.token(kind, &normal))
    }
}

impl MasterKey {
    /// Wraps the index key for storage.
    pub fn wrap_index(&self, key: &IndexKey) -> Vec<u8> {
        crate::seal_bytes(&self.cipher(), &key.0, INDEX_AAD)
    }

    /// Unwraps the stored index key.
    pub fn unwrap_index(&self, wrapped: &[u8]) -> Result<IndexKey, Error> {
        let bytes =
            crate::open_bytes(&self.cipher(), wrapped, INDEX_AAD).ok_or(Error::WrongMasterKey)?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::Damaged("the search index key has the wrong size".to_owned()))?;
        Ok(IndexKey(key))
    }
}

/// What a token was made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Words: names, e-mail addresses.
    Text,
    /// A phone number's digits.
    Phone,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Phone => "phone",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "text" => Some(Kind::Text),
            "phone" => Some(Kind::Phone),
            _ => None,
        }
    }
}

/// The text form: accents and case folded (`Kõiv` → `koiv`, `Šarõ` →
/// `saro`), everything but letters and digits a word break, the words sorted
/// (`Kask, Kadri` = `kadri kask`). None when no word is left.
pub fn normal_text(value: &str) -> Option<String> {
    let mut folded = String::with_capacity(value.len());
    for c in value.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        match c {
            'ß' => folded.push_str("ss"),
            'æ' | 'Æ' => folded.push_str("ae"),
            'œ' | 'Œ' => folded.push_str("oe"),
            'ø' | 'Ø' => folded.push('o'),
            'ł' | 'Ł' => folded.push('l'),
            'đ' | 'Đ' => folded.push('d'),
            'ı' => folded.push('i'),
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => folded.push(' '),
        }
    }
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    if words.is_empty() {
        return None;
    }
    words.sort_unstable();
    Some(words.join(" "))
}

/// The phone form: the digits, with `00` read as `+` and the home country
/// code dropped (`+372 5123-4567` = `5123 4567`), a foreign number keeping
/// its `+`. None unless the value is a phone number: 5 to 15 digits with
/// nothing but spaces, dashes, dots, slashes and brackets between them.
pub fn normal_phone(value: &str) -> Option<String> {
    let mut plus = false;
    let mut digits = String::new();
    for c in value.chars() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if digits.is_empty() && !plus => plus = true,
            ' ' | '\t' | '-' | '.' | '/' | '(' | ')' => {}
            _ => return None,
        }
    }
    if !plus && let Some(rest) = digits.strip_prefix("00") {
        plus = true;
        digits = rest.to_owned();
    }
    if !(5..=15).contains(&digits.len()) {
        return None;
    }
    if plus {
        match digits.strip_prefix(HOME_COUNTRY) {
            Some(national) if national.len() >= 5 => Some(national.to_owned()),
            _ => Some(format!("+{digits}")),
        }
    } else {
        Some(digits)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn names_fold_case_accents_spacing_and_order() {
        let kadri = normal_text("Kadri Kask").unwrap();
        for same in [
            "kadri kask",
            "  KADRI   KASK ",
            "Kask, Kadri",
            "Kadri\tKask",
        ] {
            assert_eq!(normal_text(same).unwrap(), kadri, "{same}");
        }
        assert_eq!(normal_text("Jüri Kõiv-Šarõ").unwrap(), "juri koiv saro");
        assert_eq!(normal_text("Ærø Straße").unwrap(), "aero strasse");
        assert_eq!(normal_text(" ,. "), None);
        assert_ne!(normal_text("Kadri Kask"), normal_text("Kadri Kass"));
    }

    #[test]
    fn phones_are_their_digits_in_the_home_country() {
        let mobile = normal_phone("+372 5123 4567").unwrap();
        assert_eq!(mobile, "51234567");
        for same in [
            "5123 4567",
            "00372 5123-4567",
            "(+372) 51234567",
            "+3725123 4567",
        ] {
            assert_eq!(normal_phone(same).as_deref(), Some("51234567"), "{same}");
        }
        assert_eq!(normal_phone("+358 40 123 4567").unwrap(), "+358401234567");
        assert_eq!(normal_phone("kadri@example.ee"), None);
        assert_eq!(normal_phone("12"), None);
        assert_eq!(normal_phone("5123 4567 ext 2"), None);
    }

    #[test]
    fn tokens_are_keyed_and_kind_bound() {
        let key = IndexKey::generate();
        let other = IndexKey::generate();
        let stored = key.tokens("Kadri Kask");
        assert_eq!(stored.len(), 1);
        assert_eq!(
            key.query(Kind::Text, "kask kadri"),
            Some(stored[0].1),
            "the same name finds the same token"
        );
        assert_ne!(other.query(Kind::Text, "Kadri Kask"), Some(stored[0].1));
        let phone = key.tokens("+372 5123 4567");
        assert_eq!(phone.len(), 1);
        assert_eq!(key.query(Kind::Phone, "51234567"), Some(phone[0].1));
        assert_ne!(key.query(Kind::Text, "51234567"), Some(phone[0].1));
        assert_eq!(key.query(Kind::Phone, "Kadri"), None);

        let master = MasterKey::generate();
        let wrapped = master.wrap_index(&key);
        let back = master.unwrap_index(&wrapped).unwrap();
        assert_eq!(back.query(Kind::Text, "Kadri Kask"), Some(stored[0].1));
        assert!(MasterKey::generate().unwrap_index(&wrapped).is_err());
        assert_eq!(format!("{key:?}"), "IndexKey(..)");
    }
}
