//! The text of personal access tokens.
//!
//! Like GitHub's `ghp_` tokens, ours carry a fixed prefix (so secret scanners
//! can recognise a leaked one) and a CRC32 checksum (so a mistyped token is
//! refused without a database lookup). Only a SHA-256 hash is ever stored.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The fixed, greppable prefix of every Entrepot token.
pub const TOKEN_PREFIX: &str = "entp_";
const RANDOM_LEN: usize = 30;
const CHECKSUM_LEN: usize = 6;
const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// How many leading characters are kept in clear to tell tokens apart.
pub const VISIBLE_PREFIX_LEN: usize = TOKEN_PREFIX.len() + 4;

/// A freshly generated token: the secret (shown once) and what is stored.
pub struct NewToken {
    pub secret: String,
    pub hash: String,
    pub prefix: String,
}

pub fn generate() -> NewToken {
    let mut rng = rand::rngs::OsRng;
    let random: String = (0..RANDOM_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    let secret = format!("{TOKEN_PREFIX}{random}{}", checksum(&random));
    NewToken {
        hash: hash(&secret),
        prefix: secret[..VISIBLE_PREFIX_LEN].to_owned(),
        secret,
    }
}

fn checksum(random: &str) -> String {
    let mut n = crc32fast::hash(random.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out.to_vec()).expect("alphabet is ASCII")
}

/// Whether `text` has the shape and checksum of one of our tokens.
pub fn looks_valid(text: &str) -> bool {
    let Some(rest) = text.strip_prefix(TOKEN_PREFIX) else {
        return false;
    };
    if rest.len() != RANDOM_LEN + CHECKSUM_LEN || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, sum) = rest.split_at(RANDOM_LEN);
    checksum(random).as_bytes().ct_eq(sum.as_bytes()).into()
}

/// The stored form of a token: hex SHA-256. Tokens have 178 bits of
/// randomness, so a fast hash is enough (no password stretching needed).
pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Compares two stored hashes in constant time.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_have_prefix_and_valid_checksum() {
        let t = generate();
        assert!(t.secret.starts_with("entp_"));
        assert_eq!(t.secret.len(), 41);
        assert!(looks_valid(&t.secret));
        assert_eq!(t.hash, hash(&t.secret));
        assert!(t.secret.starts_with(&t.prefix));
    }

    #[test]
    fn a_single_changed_character_fails_the_checksum() {
        let t = generate();
        let mut bytes = t.secret.into_bytes();
        bytes[10] = if bytes[10] == b'a' { b'b' } else { b'a' };
        assert!(!looks_valid(&String::from_utf8(bytes).unwrap()));
        assert!(!looks_valid("ghp_abc"));
        assert!(!looks_valid(""));
    }
}
