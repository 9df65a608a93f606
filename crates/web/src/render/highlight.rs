//! Server-side syntax highlighting of a README's fenced code, as classes
//! (`hl-keyword`, `hl-string`, …) that the stylesheet colours for the light
//! and the dark theme alike: no inline styles, which the pages' Content
//! Security Policy forbids anyway.
//!
//! Bounded like the rest of the rendering: a README gets at most
//! [`MAX_HIGHLIGHTED_BYTES`] of highlighted code, a block with a line over
//! [`MAX_LINE_BYTES`] stays plain (the grammars' regexes are slow on
//! minified code), and a grammar that gives up leaves its block plain.

use std::sync::LazyLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::{SyntaxReference, SyntaxSet};
use syntect::util::LinesWithEndings;

/// Code highlighted in one README; the blocks after it stay plain.
pub const MAX_HIGHLIGHTED_BYTES: usize = 64 * 1024;
/// A block with a longer line stays plain.
const MAX_LINE_BYTES: usize = 2_000;

/// The grammars: Sublime's defaults and bat's (TOML, TypeScript,
/// Dockerfile, Kotlin…), loaded once, on first use.
static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(two_face::syntax::extra_newlines);

/// `code` in the language a fence names (`rust`, `js`, `console`…) as
/// classed spans, or `None` when the language is unknown, the code is out
/// of bounds or the grammar fails on it. `budget` is what this README may
/// still highlight; it is spent on success.
pub fn highlight(language: &str, code: &str, budget: &mut usize) -> Option<String> {
    if code.len() > *budget || code.lines().any(|l| l.len() > MAX_LINE_BYTES) {
        return None;
    }
    let syntax = syntax(language)?;
    let mut html = ClassedHTMLGenerator::new_with_class_style(
        syntax,
        &SYNTAXES,
        ClassStyle::SpacedPrefixed { prefix: "hl-" },
    );
    for line in LinesWithEndings::from(code) {
        html.parse_html_for_line_which_includes_newline(line).ok()?;
    }
    *budget -= code.len();
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
        let mut budget = MAX_HIGHLIGHTED_BYTES;
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
        assert!(budget < MAX_HIGHLIGHTED_BYTES);
    }

    #[test]
    fn code_is_escaped() {
        let mut budget = MAX_HIGHLIGHTED_BYTES;
        let html = highlight("rust", "let s = \"<script>\";\n", &mut budget).unwrap();
        assert!(!html.contains("<script>"));
        assert!(html.contains("&lt;script&gt;"));
    }

    #[test]
    fn unknown_or_out_of_bounds_code_stays_plain() {
        let mut budget = MAX_HIGHLIGHTED_BYTES;
        assert_eq!(highlight("no-such-language", "x\n", &mut budget), None);
        assert_eq!(highlight("", "x\n", &mut budget), None);
        let long_line = format!("var a = '{}';\n", "x".repeat(MAX_LINE_BYTES));
        assert_eq!(highlight("js", &long_line, &mut budget), None);
        let mut small = 10;
        assert_eq!(highlight("rust", "fn main() {}\n", &mut small), None);
        assert_eq!(small, 10, "nothing spent on a refusal");
    }
}
