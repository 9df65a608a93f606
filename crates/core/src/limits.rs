//! How much free text a package may carry into pages and documents: its
//! README and its description, whichever format and field carries them.
//!
//! Text past a limit is truncated, never refused: the public npm registry
//! truncates long READMEs and descriptions in its documents rather than
//! refusing the publish, and a real package must not fail to publish
//! because its README is long. Formats read these fields through the limit
//! as they parse them, so that a larger one is never held whole.

/// The longest README kept (and rendered on the package page).
pub const MAX_README_BYTES: usize = 1024 * 1024;

/// The longest description kept. Smaller than a README: descriptions are
/// repeated in every list, search result and document that names the
/// package, where READMEs appear once.
pub const MAX_DESCRIPTION_BYTES: usize = 64 * 1024;

/// `text` cut to at most `max` bytes, at a character boundary.
pub fn truncated(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Cuts `text` to at most `max` bytes, at a character boundary.
pub fn truncate(text: &mut String, max: usize) {
    let end = truncated(text, max).len();
    text.truncate(end);
}

/// The text of `bytes` cut to at most `max` bytes, as read through a
/// `take(max)`: a character the cut split is dropped; invalid UTF-8 before
/// the cut is an error.
pub fn utf8_prefix(mut bytes: Vec<u8>, max: usize) -> Result<String, std::string::FromUtf8Error> {
    let cut = bytes.len() >= max;
    bytes.truncate(max);
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        // `error_len` is `None` when the input ends inside a character.
        Err(e) if cut && e.utf8_error().error_len().is_none() => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            bytes.truncate(valid);
            String::from_utf8(bytes)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_character_boundary() {
        assert_eq!(truncated("héllo", 10), "héllo");
        assert_eq!(truncated("héllo", 2), "h", "é is two bytes");
        assert_eq!(truncated("héllo", 3), "hé");
        let mut s = String::from("ab€");
        truncate(&mut s, 4);
        assert_eq!(s, "ab");
    }

    #[test]
    fn a_prefix_read_through_a_limit_drops_only_a_split_character() {
        let bytes = "ab€".as_bytes().to_vec();
        assert_eq!(utf8_prefix(bytes.clone(), 4).unwrap(), "ab");
        assert_eq!(utf8_prefix(bytes.clone(), 5).unwrap(), "ab€");
        assert_eq!(utf8_prefix(bytes, 100).unwrap(), "ab€");
        assert!(
            utf8_prefix(vec![b'a', 0xff, b'b'], 3).is_err(),
            "invalid UTF-8 is not a cut"
        );
        assert!(
            utf8_prefix(vec![b'a', 0xe2, 0x82], 10).is_err(),
            "a text that ends inside a character before the limit was not cut"
        );
    }
}
