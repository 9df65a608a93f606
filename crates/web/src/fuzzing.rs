//! The entry point of the `web_readme` fuzz target and the corpus replay
//! test: README rendering on raw bytes. It must never panic, hang or grow
//! without bound, whatever a publisher wrote.

/// A README, rendered as a package page renders it (the cap, Markdown, the
/// bounded rewrite, the sanitiser); its HTML may not grow past what the
/// bounds allow.
pub fn readme(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let html = crate::render::markdown(&text);
    // Each input byte becomes at most a character reference (`&quot;` and
    // the like), plus the reopened tags' budget.
    assert!(
        html.len() <= 8 * text.len() + 4 * entrepot_core::limits::MAX_README_BYTES + 64,
        "{} bytes of HTML from {} of README",
        html.len(),
        text.len()
    );
}
