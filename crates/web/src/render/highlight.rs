//! Server-side syntax highlighting of a README's fenced code, as classes
//! (`hl-keyword`, `hl-string`, …) that the stylesheet colours for the light
//! and the dark theme alike: no inline styles, which the pages' Content
//! Security Policy forbids anyway.
//!
//! Bounded like the rest of the rendering: a README gets at most
//! [`MAX_HIGHLIGHTED_BYTES`] of code highlighted and [`MAX_TIME`] to do it
//! (the grammars' regexes backtrack), a block with a line over
//! [`MAX_LINE_BYTES`] stays plain (they are slow on minified code), and a
//! block whose grammar gives up or runs out of time stays plain.

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Code highlighted in one README; the blocks after it stay plain.
pub const MAX_HIGHLIGHTED_BYTES: usize = 64 * 1024;
/// Time one README spends highlighting; the blocks after it stay plain.
pub const MAX_TIME: Duration = Duration::from_millis(100);

/// What one README may still spend on highlighting.
pub struct Budget {
    bytes: usize,
    until: Instant,
    /// A block stayed plain for want of time (a grammar's first use
    /// compiles it): the rendering is not one to keep.
    ran_out: bool,
}

impl Default for Budget {
    fn default() -> Self {
        Self::new()
    }
}

impl Budget {
    /// A README's budget, its time counted from now: the grammars are
    /// loaded first, once per process, outside it.
    #[must_use]
    pub fn new() -> Self {
        LazyLock::force(&SYNTAXES);
        Budget {
            bytes: MAX_HIGHLIGHTED_BYTES,
            until: Instant::now() + MAX_TIME,
            ran_out: false,
        }
    }

    /// Whether time ran out on some block.
    #[must_use]
    pub fn ran_out(&self) -> bool {
        self.ran_out
    }
}
/// A block with a longer line stays plain.
const MAX_LINE_BYTES: usize = 2_000;

/// The grammars: Sublime's defaults and bat's (TOML, TypeScript,
/// Dockerfile, Kotlin…), loaded once, on first use.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// `code` in the language a fence names (`rust`, `js`, `console`…) as
/// classed spans, or `None` when the language is unknown, the code is out
/// of bounds, or the grammar fails or runs out of `budget`'s time. The
/// bytes are spent whether it succeeds or not.
pub fn highlight(language: &str, code: &str, budget: &mut Budget) -> Option<String> {
    if code.len() > budget.bytes || code.lines().any(|l| l.len() > MAX_LINE_BYTES) {
        return None;
    }
    let syntax = syntax(language)?;
    budget.bytes -= code.len();
    let mut html = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        &SYNTAXES,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    );
    for line in LinesWithEndings::from(code) {
        if Instant::now() > budget.until {
            budget.ran_out = true;
            return None;
        }
        html.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    Some(html.finalize())
}

/// The grammar a fence's first word names, by the names people write.
fn syntax(language: &str) -> Option<&'static SyntaxReference> {
    let token = language.trim().to_ascii_lowercase();
    let token = match token.as_str() {
        "" | "text" | "plain" | "plaintext" | "txt" => return None,
        "shell" | "console" | "shell-session" | "zsh" | "sh" => "bash",
        "jsonc" | "json5" => "json",
        "golang" => "go",
        "py" | "py3" | "python3" => "python",
        "ts" | "tsx" => "typescript",
        "js" | "jsx" | "mjs" | "cjs" | "node" => "javascript",
        "yml" => "yaml",
        "c#" | "csharp" | "cs" => "c#",
        "kt" | "kts" => "kotlin",
        "gradle" => "groovy",
        "rb" => "ruby",
        "rs" => "rust",
        "docker" => "dockerfile",
        "ini" | "cfg" | "npmrc" | "properties" => "ini",
        other => other,
    };
    SYNTAXES
        .find_syntax_by_token(token)
        .or_else(|| SYNTAXES.find_syntax_by_name(language.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_languages_come_as_classed_spans() {
        // Time enough for each grammar's first use in a debug build.
        let mut budget = Budget {
            until: Instant::now() + Duration::from_secs(30),
            ..Budget::new()
        };
        for (language, code) in [
            ("rust", "fn main() { let x = 1; }\n"),
            ("js", "const a = \"b\";\n"),
            ("console", "$ npm install x\n"),
            ("toml", "[package]\nname = \"x\"\n"),
            ("ts", "let a: number = 1;\n"),
            ("python", "def f():\n    return 'x'\n"),
            ("xml", "<dependency/>\n"),
            ("kotlin", "val x = 1\n"),
        ] {
            let html = highlight(language, code, &mut budget).expect(language);
            assert!(html.contains("<span class=\"hl-"), "{language}: {html}");
            assert!(!html.contains("style="), "{language}");
        }
        assert!(budget.bytes < MAX_HIGHLIGHTED_BYTES);
    }

    #[test]
    fn code_is_escaped() {
        let mut budget = Budget::new();
        let html = highlight("rust", "let s = \"<script>\";\n", &mut budget).unwrap();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn unknown_or_out_of_bounds_code_stays_plain() {
        let mut budget = Budget::new();
        assert_eq!(highlight("no-such-language", "x\n", &mut budget), None);
        assert_eq!(highlight("", "x\n", &mut budget), None);
        let long_line = format!("var a = '{}';\n", "x".repeat(MAX_LINE_BYTES));
        assert_eq!(highlight("js", &long_line, &mut budget), None);
        let mut small = Budget {
            bytes: 10,
            ..Budget::new()
        };
        assert_eq!(highlight("rust", "fn main() {}\n", &mut small), None);
        assert_eq!(small.bytes, 10, "nothing spent on what is out of bounds");
        let mut late = Budget {
            until: Instant::now(),
            ..Budget::new()
        };
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(
            highlight("rust", "fn main() {}\n", &mut late),
            None,
            "out of time"
        );
        assert!(late.ran_out() && !small.ran_out());
    }
}
