//! README rendering: Markdown to HTML, then sanitised (no scripts, no event
//! handlers, no `javascript:` links), since READMEs come from uploads.
//!
//! Bounded, since a README is whatever its publisher wrote. The sanitiser's
//! HTML parser spends, for each tag, time in proportion to how deep the
//! open elements nest, and for each attribute time in proportion to the
//! attributes before it in its tag: 30 000 nested `> ` quotes or 40 000
//! `<div>`s took seconds. So the HTML that Markdown becomes is first
//! rewritten, in one pass, as tags that all close in order, at most
//! [`MAX_DEPTH`] deep, at most [`MAX_ELEMENTS`] of them and at most
//! [`MAX_ATTRIBUTES`] to a tag: a tag past a bound is left out and its text
//! kept. Only the first [`MAX_README_BYTES`] of a README are rendered.
//!
//! GitHub's extras (alerts, footnotes, task lists, heading ids, syntax
//! highlighting, relative links into the repository) are in [`gfm`].
//!
//! Pages render through [`html`]: on a blocking thread, never on the
//! threads that serve requests, and once per README text, which is kept by
//! its digest.

mod gfm;
mod highlight;
mod links;

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use ammonia::UrlRelative;

use entrepot_core::limits::{MAX_README_BYTES, truncated};
use entrepot_service::ServiceError;
use pulldown_cmark::{Event, Options, Parser};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

pub use links::LinkBase;

/// What the sanitiser puts before every id a README keeps, as GitHub does,
/// so that a README's ids never clash with the page's own.
const ID_PREFIX: &str = "user-content-";

/// How deep elements nest; deeper tags are left out, their text kept.
const MAX_DEPTH: usize = 32;
/// How many elements a README renders to; later tags are left out.
const MAX_ELEMENTS: usize = 50_000;
/// Attributes kept on one tag.
const MAX_ATTRIBUTES: usize = 32;
/// The HTML a README may grow to through reopened formatting tags (HTML's
/// rule that `<b>` closed early comes back before the next text).
const MAX_OUTPUT_BYTES: usize = 4 * MAX_README_BYTES;
/// The longest start tag written again when reopened; longer ones come
/// back without their attributes.
const MAX_REOPENED_TAG_BYTES: usize = 1024;
/// Rendered READMEs kept per node, in bytes of HTML.
const MAX_CACHED_BYTES: usize = 64 * 1024 * 1024;

/// `source` rendered by [`markdown`] on a blocking thread, or taken from
/// the READMEs already rendered on this node. At most half the processors
/// render at a time, so that READMEs never take every one from the
/// requests the others serve.
pub async fn html(source: String, links: Option<LinkBase>) -> Result<Arc<str>, ServiceError> {
    static RENDERING: LazyLock<Semaphore> = LazyLock::new(|| {
        let processors = std::thread::available_parallelism().map_or(1, usize::from);
        Semaphore::new((processors / 2).max(1))
    });
    // The turn goes with the render, so a client that leaves does not
    // free it while the render runs on.
    let turn = RENDERING
        .acquire()
        .await
        .map_err(|e| ServiceError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        let mut digest = Sha256::new();
        digest.update(links.as_ref().map(LinkBase::key).unwrap_or_default());
        digest.update([0]);
        digest.update(source.as_bytes());
        let key: [u8; 32] = digest.finalize().into();
        if let Some(hit) = RENDERED.get(&key) {
            return hit;
        }
        let (html, complete) = rendered(&source, links.as_ref());
        let rendered: Arc<str> = html.into();
        // One that ran out of time is rendered again on the next view.
        if complete {
            RENDERED.put(key, rendered.clone());
        }
        rendered
    })
    .await
    .map_err(|e| ServiceError::Internal(format!("rendering a README failed: {e}")))
}

/// Renders untrusted Markdown to safe HTML, within the bounds above, with
/// relative links left out.
pub fn markdown(source: &str) -> String {
    readme(source, None)
}

/// Renders untrusted Markdown to safe HTML, within the bounds above, with
/// relative links and images resolved against `links`.
pub fn readme(source: &str, links: Option<&LinkBase>) -> String {
    rendered(source, links).0
}

/// [`readme`], and whether highlighting had the time it needed.
fn rendered(source: &str, links: Option<&LinkBase>) -> (String, bool) {
    let source = truncated(source, MAX_README_BYTES);
    let (events, ran_out) = gfm::rewrite(Parser::new_ext(source, options()).collect(), links);
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, within_bounds(events.into_iter()));
    let clean = sanitiser(links.cloned())
        .clean(&balanced(&html))
        .to_string();
    (clean, !ran_out)
}

/// GitHub-flavoured Markdown: tables, strikethrough, task lists, footnotes
/// and alerts.
fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_GFM
}

/// Ammonia's safe defaults, and what GitHub's rendering needs besides:
/// task-list boxes, heading and footnote ids (prefixed), and the classes
/// that highlighting, alerts and footnotes use, no others. A relative URL
/// left in raw HTML goes to the repository (its raw file for an image's
/// extension), a fragment to the prefixed id, and without a repository it
/// is left out.
fn sanitiser(links: Option<LinkBase>) -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_tags(["input"])
        .add_tag_attributes("input", ["checked", "disabled"])
        // A task list's box, never a field to type into (one value set, so
        // that attributes keep one order).
        .set_tag_attribute_value("input", "type", "checkbox")
        .add_tag_attributes("div", ["class", "id"])
        .add_tag_attributes("li", ["id"])
        .add_tag_attributes("sup", ["class"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("pre", ["class", "tabindex"])
        .add_tag_attributes("p", ["class"])
        .id_prefix(Some(ID_PREFIX))
        .attribute_filter(|element, attribute, value| match (element, attribute) {
            // Only into the order of focus, never ahead of it.
            (_, "tabindex") => Some(Cow::Borrowed("0")),
            (_, "class") => known_classes(value),
            _ => Some(Cow::Borrowed(value)),
        })
        .url_relative(UrlRelative::Custom(Box::new(RepositoryUrls(links))));
    for heading in ["h1", "h2", "h3", "h4", "h5", "h6"] {
        builder.add_tag_attributes(heading, ["id"]);
    }
    builder
}

/// Relative URLs left in a README's raw HTML: a fragment to the prefixed
/// id, a path into the repository (its raw file for an image's
/// extension), or nothing where no repository is known.
struct RepositoryUrls(Option<LinkBase>);

impl ammonia::UrlRelativeEvaluate<'static> for RepositoryUrls {
    fn evaluate<'url>(&self, url: &'url str) -> Option<Cow<'url, str>> {
        if let Some(fragment) = links::fragment(url) {
            return Some(Cow::Owned(fragment));
        }
        let base = self.0.as_ref()?;
        let path = url
            .split(['?', '#'])
            .next()
            .unwrap_or(url)
            .to_ascii_lowercase();
        let image = [
            ".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".avif", ".ico",
        ]
        .iter()
        .any(|ext| path.ends_with(ext));
        Some(if image {
            base.image(url)
        } else {
            base.link(url)
        })
    }
}

/// The classes a README keeps: highlighting's `hl-…`, and those of alerts
/// and footnotes.
fn known_classes(value: &str) -> Option<Cow<'_, str>> {
    const KNOWN: [&str; 11] = [
        "code",
        "markdown-alert",
        "markdown-alert-note",
        "markdown-alert-tip",
        "markdown-alert-important",
        "markdown-alert-warning",
        "markdown-alert-caution",
        "markdown-alert-title",
        "footnote-definition",
        "footnote-reference",
        "footnote-definition-label",
    ];
    let kept: Vec<&str> = value
        .split_ascii_whitespace()
        .filter(|class| {
            KNOWN.contains(class)
                || class.strip_prefix("hl-").is_some_and(|rest| {
                    !rest.is_empty()
                        && rest
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                })
        })
        .collect();
    (!kept.is_empty()).then(|| Cow::Owned(kept.join(" ")))
}

/// Markdown's own elements (quotes, lists, table cells) cut at
/// [`MAX_DEPTH`] deep and [`MAX_ELEMENTS`] in all: the tags past a bound are
/// left out and their text kept, so that the HTML stays small.
fn within_bounds<'a>(events: impl Iterator<Item = Event<'a>>) -> impl Iterator<Item = Event<'a>> {
    // Whether each open element's start was kept.
    let mut open: Vec<bool> = Vec::new();
    let mut kept = 0usize;
    events.filter(move |event| match event {
        Event::Start(_) => {
            let keep = open.len() < MAX_DEPTH && kept < MAX_ELEMENTS;
            kept += usize::from(keep);
            open.push(keep);
            keep
        }
        Event::End(_) => open.pop().unwrap_or(false),
        _ => true,
    })
}

/// Rendered READMEs by the SHA-256 of their Markdown. Content-addressed,
/// so an entry is never stale and nodes need not tell each other anything;
/// when full it starts over (see `entrepot_http::cache`), since a miss
/// costs one render.
static RENDERED: LazyLock<Rendered> = LazyLock::new(Rendered::default);

#[derive(Default)]
struct Rendered {
    entries: Mutex<Entries>,
}

/// The rendered READMEs by digest, and their bytes in all.
#[derive(Default)]
struct Entries {
    by_digest: HashMap<[u8; 32], Arc<str>>,
    bytes: usize,
}

impl Rendered {
    fn get(&self, key: &[u8; 32]) -> Option<Arc<str>> {
        let entries = self.entries.lock().expect("cache lock");
        entries.by_digest.get(key).cloned()
    }

    fn put(&self, key: [u8; 32], value: Arc<str>) {
        let mut entries = self.entries.lock().expect("cache lock");
        if let Some(old) = entries.by_digest.remove(&key) {
            entries.bytes -= old.len();
        }
        if entries.bytes + value.len() > MAX_CACHED_BYTES {
            entries.by_digest.clear();
            entries.bytes = 0;
        }
        entries.bytes += value.len();
        entries.by_digest.insert(key, value);
    }
}

/// Elements with no content and no end tag.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",
];
/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "iframe", "noembed", "noframes", "noscript", "script", "style", "textarea", "title", "xmp",
];
/// Elements a fragment parser never opens: left out with their end tags.
const IGNORED: &[&str] = &["body", "head", "html"];
/// Start tags that close an open `p` (HTML's "close a p element").
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "center",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hgroup",
    "li",
    "listing",
    "main",
    "menu",
    "nav",
    "ol",
    "p",
    "plaintext",
    "pre",
    "search",
    "section",
    "summary",
    "table",
    "ul",
    "xmp",
];
/// Elements HTML reopens when something else closed them before their
/// end tag (its "formatting" elements).
const FORMATTING: &[&str] = &[
    "a", "b", "big", "code", "em", "font", "i", "nobr", "s", "small", "strike", "strong", "tt", "u",
];
/// Elements outside which formatting elements closed early inside them are
/// not reopened (HTML's "markers").
const MARKERS: &[&str] = &[
    "applet", "caption", "marquee", "object", "td", "template", "th",
];
/// Start tags (besides those that close a `p`) before which HTML does not
/// reopen formatting elements.
const NO_REOPEN: &[&str] = &[
    "caption", "col", "colgroup", "frameset", "hr", "iframe", "noembed", "noframes", "noscript",
    "script", "style", "table", "tbody", "td", "template", "textarea", "tfoot", "th", "thead",
    "title", "tr",
];
/// Where the search for an open `li`, `dd` or `dt` stops (HTML's
/// "special" elements, less `address`, `div` and `p`, which it passes).
const LIST_ITEM_SCOPE: &[&str] = &[
    "applet",
    "article",
    "aside",
    "blockquote",
    "button",
    "caption",
    "details",
    "dl",
    "fieldset",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "main",
    "marquee",
    "menu",
    "nav",
    "object",
    "ol",
    "pre",
    "section",
    "table",
    "td",
    "template",
    "th",
    "ul",
];
/// Where the search for an open `p` stops (HTML's "button scope").
const P_SCOPE: &[&str] = &[
    "applet", "button", "caption", "marquee", "object", "table", "td", "template", "th",
];

fn is_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// One tag, as HTML's tokenizer reads it.
struct Tag<'a> {
    end: bool,
    name: String,
    attributes: Vec<(String, &'a str)>,
}

/// What the markup at a `<` is, and where it ends.
enum Markup<'a> {
    Tag(Tag<'a>),
    /// A comment, doctype or processing instruction: left out (the
    /// sanitiser removes them too).
    Skipped,
    /// The `<` is text.
    Text,
}

/// Reads the markup starting at `html[at]`, a `<`, the way HTML's tokenizer
/// does; returns it and the index just past it.
fn markup(html: &str, at: usize) -> (Markup<'_>, usize) {
    let bytes = html.as_bytes();
    let next = |i: usize| bytes.get(i).copied();
    let until = |from: usize, pattern: &str| {
        html.get(from..)
            .and_then(|rest| rest.find(pattern))
            .map_or(html.len(), |i| from + i + pattern.len())
    };
    match next(at + 1) {
        Some(b'!') if html[at..].starts_with("<!--") => {
            let body = at + 4;
            if next(body) == Some(b'>') {
                (Markup::Skipped, body + 1)
            } else if html[body..].starts_with("->") {
                (Markup::Skipped, body + 2)
            } else {
                // Up to the first `-->` or `--!>`, in one pass.
                let mut from = body;
                let end = loop {
                    let Some(dash) = html[from..].find("--").map(|k| from + k) else {
                        break html.len();
                    };
                    if html[dash + 2..].starts_with('>') {
                        break dash + 3;
                    }
                    if html[dash + 2..].starts_with("!>") {
                        break dash + 4;
                    }
                    from = dash + 1;
                };
                (Markup::Skipped, end)
            }
        }
        Some(b'!' | b'?') => (Markup::Skipped, until(at + 2, ">")),
        Some(b'/') => match next(at + 2) {
            Some(b) if b.is_ascii_alphabetic() => tag(html, at + 2, true),
            Some(b'>') => (Markup::Skipped, at + 3),
            None => (Markup::Text, at + 1),
            Some(_) => (Markup::Skipped, until(at + 2, ">")),
        },
        Some(b) if b.is_ascii_alphabetic() => tag(html, at + 1, false),
        _ => (Markup::Text, at + 1),
    }
}

/// Reads a tag whose name starts at `html[start]`. A tag the input ends
/// inside is dropped, as HTML's tokenizer drops it.
fn tag(html: &str, start: usize, end: bool) -> (Markup<'_>, usize) {
    let bytes = html.as_bytes();
    let len = bytes.len();
    let mut i = start;
    while i < len && !is_space(bytes[i]) && bytes[i] != b'/' && bytes[i] != b'>' {
        i += 1;
    }
    let name = html[start..i].to_ascii_lowercase();
    let mut attributes: Vec<(String, &str)> = Vec::new();
    loop {
        while i < len && is_space(bytes[i]) {
            i += 1;
        }
        match bytes.get(i) {
            None => return (Markup::Skipped, len),
            Some(b'>') => break,
            Some(b'/') => {
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        // An attribute: its name (which may start with `=`), then perhaps
        // `=` and a value.
        let name_start = i;
        if bytes[i] == b'=' {
            i += 1;
        }
        while i < len && !is_space(bytes[i]) && !matches!(bytes[i], b'/' | b'>' | b'=') {
            i += 1;
        }
        let attribute = html[name_start..i].to_ascii_lowercase();
        while i < len && is_space(bytes[i]) {
            i += 1;
        }
        let mut value = "";
        if bytes.get(i) == Some(&b'=') {
            i += 1;
            while i < len && is_space(bytes[i]) {
                i += 1;
            }
            match bytes.get(i) {
                None => return (Markup::Skipped, len),
                Some(&quote @ (b'"' | b'\'')) => {
                    let Some(close) = bytes[i + 1..].iter().position(|&b| b == quote) else {
                        return (Markup::Skipped, len);
                    };
                    value = &html[i + 1..i + 1 + close];
                    i += close + 2;
                }
                Some(b'>') => {}
                Some(_) => {
                    let value_start = i;
                    while i < len && !is_space(bytes[i]) && bytes[i] != b'>' {
                        i += 1;
                    }
                    value = &html[value_start..i];
                }
            }
        }
        if attributes.len() < MAX_ATTRIBUTES && !attributes.iter().any(|(n, _)| *n == attribute) {
            attributes.push((attribute, value));
        }
    }
    let tag = Tag {
        end,
        name,
        attributes,
    };
    (Markup::Tag(tag), i + 1)
}

/// An element the balancer opened.
struct Open {
    name: String,
    /// Its start tag as written, to write again if it is reopened.
    start: String,
    /// When it was first opened, counting every element.
    ordinal: usize,
}

/// Writes well-formed HTML within the bounds: every element it opens it
/// closes, innermost first, so that the sanitiser's parser sees exactly
/// this nesting.
#[derive(Default)]
struct Balancer {
    out: String,
    /// The open elements, outermost first; at most `MAX_DEPTH`.
    open: Vec<Open>,
    /// Formatting elements closed before their end tag, in the order they
    /// were opened, which HTML reopens before the next text (so that
    /// `<b>` around two paragraphs makes both bold); at most `MAX_DEPTH`.
    closed_early: Vec<Open>,
    /// Start tags left out and not yet closed, by name.
    left_out: HashMap<String, usize>,
    elements: usize,
}

impl Balancer {
    /// Text in an element's content: the formatting elements closed early
    /// are reopened first.
    fn text(&mut self, text: &str) {
        if !text.is_empty() {
            self.reopen();
        }
        self.raw_text(text);
    }

    /// Text as it is: character references kept as written; only `<` and
    /// `>`, which could start or end markup, are escaped.
    fn raw_text(&mut self, text: &str) {
        let mut rest = text;
        while let Some(i) = rest.find(['<', '>']) {
            self.out.push_str(&rest[..i]);
            self.out.push_str(if rest.as_bytes()[i] == b'<' {
                "&lt;"
            } else {
                "&gt;"
            });
            rest = &rest[i + 1..];
        }
        self.out.push_str(rest);
    }

    fn start_tag(tag: &Tag<'_>) -> String {
        let mut start = format!("<{}", tag.name);
        for (name, value) in &tag.attributes {
            start.push(' ');
            start.push_str(name);
            start.push_str("=\"");
            start.push_str(&value.replace('"', "&quot;"));
            start.push('"');
        }
        start.push('>');
        start
    }

    /// Opens an element (within the bounds, which the caller checked).
    fn push(&mut self, open: Open) {
        self.out.push_str(&open.start);
        self.elements += 1;
        self.open.push(open);
    }

    /// The formatting elements closed early, reopened (HTML's "reconstruct
    /// the active formatting elements"), except those opened outside the
    /// innermost open table cell, caption or object.
    fn reopen(&mut self) {
        if self.closed_early.is_empty() {
            return;
        }
        let floor = self
            .open
            .iter()
            .rev()
            .find(|o| MARKERS.contains(&o.name.as_str()))
            .map_or(0, |o| o.ordinal + 1);
        let from = self.closed_early.partition_point(|o| o.ordinal < floor);
        for mut o in self.closed_early.split_off(from) {
            // A reopened tag is written again each time: a long one comes
            // back bare, and none once the output is as large as it may
            // grow, so that a small README cannot write gigabytes.
            if self.open.len() < MAX_DEPTH
                && self.elements < MAX_ELEMENTS
                && self.out.len() < MAX_OUTPUT_BYTES
            {
                if o.start.len() > MAX_REOPENED_TAG_BYTES {
                    o.start = format!("<{}>", o.name);
                }
                self.push(o);
            }
        }
    }

    /// Closes the open elements from index `k` up. Formatting elements
    /// above `k` are closed early; what was opened in a table cell,
    /// caption or object is not reopened outside it.
    fn close_from(&mut self, k: usize) {
        while self.open.len() > k {
            let closed = self.open.pop().expect("an open element");
            self.out.push_str("</");
            self.out.push_str(&closed.name);
            self.out.push('>');
            if MARKERS.contains(&closed.name.as_str()) {
                self.closed_early.retain(|o| o.ordinal < closed.ordinal);
            } else if self.open.len() > k && FORMATTING.contains(&closed.name.as_str()) {
                let at = self
                    .closed_early
                    .partition_point(|o| o.ordinal < closed.ordinal);
                self.closed_early.insert(at, closed);
                if self.closed_early.len() > MAX_DEPTH {
                    self.closed_early.remove(0);
                }
            }
        }
    }

    /// The innermost open element named one of `names`, searching no
    /// further out than an element named one of `boundaries`.
    fn find_open(&self, names: &[&str], boundaries: &[&str]) -> Option<usize> {
        for (k, open) in self.open.iter().enumerate().rev() {
            if names.contains(&open.name.as_str()) {
                return Some(k);
            }
            if boundaries.contains(&open.name.as_str()) {
                return None;
            }
        }
        None
    }

    /// Closes what a start tag `name` closes in HTML, for the common cases
    /// (an unclosed `<li>`, `<p>`, `<td>` or `<a>`), so that READMEs
    /// written with them nest as a browser shows them.
    fn close_implied(&mut self, name: &str) {
        let k = match name {
            "li" => self.find_open(&["li"], LIST_ITEM_SCOPE),
            "dd" | "dt" => self.find_open(&["dd", "dt"], LIST_ITEM_SCOPE),
            "tr" => self.find_open(&["tr"], &["table", "tbody", "thead", "tfoot"]),
            "td" | "th" => self.find_open(&["td", "th"], &["tr", "table"]),
            "a" => {
                let floor = self
                    .open
                    .iter()
                    .rev()
                    .find(|o| MARKERS.contains(&o.name.as_str()))
                    .map_or(0, |o| o.ordinal + 1);
                self.closed_early
                    .retain(|o| o.name != "a" || o.ordinal < floor);
                self.find_open(&["a"], MARKERS)
            }
            "option" => self.find_open(&["option"], &["select", "datalist", "optgroup"]),
            _ => None,
        };
        if let Some(k) = k {
            self.close_from(k);
        }
        if CLOSES_P.contains(&name)
            && let Some(k) = self.find_open(&["p"], P_SCOPE)
        {
            self.close_from(k);
        }
        if matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
            && self.open.last().is_some_and(|top| {
                matches!(top.name.as_str(), "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
            })
        {
            self.close_from(self.open.len() - 1);
        }
    }

    fn start(&mut self, tag: &Tag<'_>) {
        let name = tag.name.as_str();
        if IGNORED.contains(&name) {
            return;
        }
        self.close_implied(name);
        if (!CLOSES_P.contains(&name) || name == "xmp") && !NO_REOPEN.contains(&name) {
            self.reopen();
        }
        let within = self.elements < MAX_ELEMENTS;
        if VOID.contains(&name) {
            if within {
                self.out.push_str(&Self::start_tag(tag));
                self.elements += 1;
            }
            return;
        }
        if self.open.len() >= MAX_DEPTH || !within {
            *self.left_out.entry(tag.name.clone()).or_default() += 1;
            return;
        }
        let open = Open {
            name: tag.name.clone(),
            start: Self::start_tag(tag),
            ordinal: self.elements,
        };
        self.push(open);
    }

    fn end(&mut self, name: &str) {
        if let Some(n) = self.left_out.get_mut(name)
            && *n > 0
        {
            *n -= 1;
            return;
        }
        if name == "br" {
            // `</br>` is a line break in HTML.
            let br = Tag {
                end: false,
                name: "br".into(),
                attributes: Vec::new(),
            };
            self.start(&br);
        } else if name == "p" && self.find_open(&["p"], P_SCOPE).is_none() {
            // A `</p>` with no paragraph open is an empty one in HTML.
            if self.open.len() < MAX_DEPTH && self.elements < MAX_ELEMENTS {
                self.out.push_str("<p></p>");
                self.elements += 1;
            }
        } else if let Some(k) = self.open.iter().rposition(|o| o.name == name) {
            self.close_from(k);
        } else if let Some(k) = self.closed_early.iter().rposition(|o| o.name == name) {
            // Its end tag came after all: it is not reopened.
            self.closed_early.remove(k);
        }
    }
}

/// `html` rewritten within the bounds (see the module's documentation).
fn balanced(html: &str) -> String {
    let mut b = Balancer {
        out: String::with_capacity(html.len()),
        ..Balancer::default()
    };
    let mut i = 0;
    while i < html.len() {
        let Some(lt) = html[i..].find('<').map(|k| i + k) else {
            b.text(&html[i..]);
            break;
        };
        b.text(&html[i..lt]);
        let (markup, next) = markup(html, lt);
        i = next;
        match markup {
            Markup::Text => b.text("<"),
            Markup::Skipped => {}
            Markup::Tag(tag) if tag.end => b.end(&tag.name),
            Markup::Tag(tag) => {
                b.start(&tag);
                let name = tag.name;
                if name == "plaintext" {
                    b.raw_text(&html[i..]);
                    break;
                }
                if RAW_TEXT.contains(&name.as_str()) {
                    // Text up to `</name` followed by a space, `/` or `>`.
                    let mut end = html.len();
                    let mut from = i;
                    while let Some(k) = html[from..].find("</").map(|k| from + k) {
                        let after = k + 2 + name.len();
                        if html
                            .get(k + 2..after)
                            .is_some_and(|n| n.eq_ignore_ascii_case(&name))
                            && html
                                .as_bytes()
                                .get(after)
                                .is_none_or(|&c| is_space(c) || c == b'/' || c == b'>')
                        {
                            end = k;
                            break;
                        }
                        from = k + 2;
                    }
                    b.raw_text(&html[i..end]);
                    i = end;
                }
            }
        }
    }
    b.close_from(0);
    b.out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reopened_tags_cannot_multiply_the_readme() {
        // A formatting tag with a long attribute, closed early, then
        // reopened before each of 20 000 little paragraphs.
        let long = "y".repeat(500_000);
        let mut html = format!("<div><b title=\"{long}\"></div>");
        html.push_str(&"<div>x</div>".repeat(20_000));
        let out = balanced(&html);
        assert!(
            out.len() < MAX_OUTPUT_BYTES + html.len(),
            "{} bytes of HTML from {}",
            out.len(),
            html.len()
        );
        assert_eq!(out.matches("x</b>").count(), 20_000, "still bold");
    }

    /// The same rendering without the bounds, for comparison.
    fn unbounded(source: &str) -> String {
        let (events, _) = gfm::rewrite(Parser::new_ext(source, options()).collect(), None);
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, events.into_iter());
        sanitiser(None).clean(&html).to_string()
    }

    #[test]
    fn markdown_renders_and_scripts_and_handlers_are_removed() {
        let html = markdown(
            "# Hello\n\n*world* <script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))",
        );
        assert!(
            html.contains("<h2 id=\"user-content-hello\">Hello</h2>"),
            "{html}"
        );
        assert!(html.contains("<em>world</em>"));
        assert!(!html.contains("<script"));
        assert!(!html.contains("onerror"));
        assert!(!html.contains("javascript:"));
    }

    #[test]
    fn github_flavoured_markdown_renders_as_on_github() {
        let links = LinkBase::of_repository("git+https://github.com/acme/tool.git", None);
        let html = readme(
            "# Tool\n\nSee [usage](#usage), [the guide](docs/guide.md) and ![logo](img/logo.png).\n\n\
             ## Usage\n\n- [x] done\n- [ ] not yet\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n\
             > [!WARNING]\n> Careful.\n\nA note.[^1]\n\n[^1]: The footnote.\n\n\
             ```rust\nfn main() {}\n```\n\n<img src=\"docs/shot.png\"> <a href=\"CHANGELOG.md\">log</a>\n",
            links.as_ref(),
        );
        for expected in [
            "<h2 id=\"user-content-tool\">Tool</h2>",
            "<h3 id=\"user-content-usage\">Usage</h3>",
            "href=\"#user-content-usage\"",
            "href=\"https://github.com/acme/tool/blob/HEAD/docs/guide.md\"",
            "src=\"https://github.com/acme/tool/raw/HEAD/img/logo.png\"",
            "src=\"https://github.com/acme/tool/raw/HEAD/docs/shot.png\"",
            "href=\"https://github.com/acme/tool/blob/HEAD/CHANGELOG.md\"",
            "<input disabled=\"\" checked=\"\" type=\"checkbox\">",
            "<table>",
            "<div class=\"markdown-alert markdown-alert-warning\"><p class=\"markdown-alert-title\">Warning</p>",
            "<sup class=\"footnote-reference\"><a href=\"#user-content-1\"",
            "<div class=\"footnote-definition\" id=\"user-content-1\">",
            "<pre class=\"code\" tabindex=\"0\"><code><span class=\"hl-source hl-rust\">",
        ] {
            assert!(html.contains(expected), "{expected} in {html}");
        }
    }

    #[test]
    fn emails_stay_emails_and_links_in_headings_lead_into_the_repository() {
        let links = LinkBase::of_repository("github:acme/tool", None);
        let html = readme(
            "# Tool [![ci](badge.svg)](ci.md)\n\nWrite to <team@acme.example>.\n",
            links.as_ref(),
        );
        assert!(html.contains("href=\"mailto:team@acme.example\""), "{html}");
        assert!(
            html.contains("href=\"https://github.com/acme/tool/blob/HEAD/ci.md\"")
                && html.contains("src=\"https://github.com/acme/tool/raw/HEAD/badge.svg\""),
            "{html}"
        );
    }

    #[test]
    fn classes_and_relative_urls_are_kept_only_where_known() {
        let html = markdown(
            "<span class=\"hl-keyword evil\">a</span> <div class=\"x\" id=\"top\">b</div> \
             <input type=\"text\" value=\"v\"> <a href=\"other.md\">c</a> <img src=\"x.png\">",
        );
        assert!(
            html.contains("<span class=\"hl-keyword\">a</span>"),
            "{html}"
        );
        assert!(
            html.contains("<div id=\"user-content-top\">b</div>"),
            "{html}"
        );
        assert!(html.contains("<input type=\"checkbox\">"), "{html}");
        assert!(
            !html.contains("other.md") && !html.contains("x.png"),
            "{html}"
        );
    }

    #[test]
    fn ordinary_readmes_render_as_before() {
        for source in [
            "# Title\n\nSome *text* with `code` and a [link](https://example.com).\n",
            "- one\n- two\n  - nested\n    1. deep\n\n> quoted\n> > twice\n",
            "| a | b |\n|---|:-:|\n| 1 | 2 |\n\n- [x] done\n- [ ] not yet\n",
            "```rust\nfn main() { println!(\"<hi> & bye\"); }\n```\n\nTom &amp; Jerry &copy; 5 < 6\n",
            "<div align=\"center\">\n  <img src=\"logo.png\" width=100 alt='a \"logo\"'>\n  <h1>Name</h1>\n</div>\n\ntext\n",
            "<details><summary>More</summary>\n\nHidden *markdown*\n\n</details>\n",
            "<p>one<p>two<ul><li>a<li>b</ul>\n\n<table><tr><td>1<td>2<tr><td>3</table>\n",
            "<a name=\"top\"></a>\n\nline<br>break</br>after <!-- comment --> end\n",
            "<textarea><b>not bold</b></textarea> <style>p { color: red }</style> x\n",
            "<small><small>\n\nsmall print\n\nmore\n\n</small></small>\n\nafter\n",
            "<p align=\"center\"><b>bold\n\n<i>both</b> italic</i></p>\n",
        ] {
            assert_eq!(
                without_empty(&markdown(source)),
                without_empty(&unbounded(source)),
                "{source}"
            );
        }
    }

    /// `html` without empty elements, which HTML's parser sometimes leaves
    /// where a misnested tag closed (nothing a reader sees).
    fn without_empty(html: &str) -> String {
        let mut html = html.to_owned();
        loop {
            let before = html.len();
            for name in ["p", "small", "b", "i", "em", "strong"] {
                html = html.replace(&format!("<{name}></{name}>"), "");
            }
            if html.len() == before {
                return html;
            }
        }
    }

    fn count(haystack: &str, needle: &str) -> usize {
        haystack.matches(needle).count()
    }

    /// How deep the elements of well-formed `html` nest.
    fn depth(html: &str) -> usize {
        let (mut depth, mut deepest) = (0usize, 0);
        for (i, _) in html.match_indices('<') {
            let rest = &html[i + 1..];
            if rest.starts_with('/') {
                depth -= 1;
            } else if rest.starts_with(|c: char| c.is_ascii_alphabetic())
                && !VOID
                    .iter()
                    .any(|v| rest.starts_with(v) && rest[v.len()..].starts_with(['>', ' ']))
            {
                depth += 1;
                deepest = deepest.max(depth);
            }
        }
        deepest
    }

    #[test]
    fn deep_nesting_is_cut_at_the_depth_bound() {
        // 60 kB of nested quotes, the attack that took seconds per view.
        let quotes = "> ".repeat(30_000) + "deep\n";
        let html = markdown(&quotes);
        assert_eq!(count(&html, "<blockquote>"), MAX_DEPTH);
        assert_eq!(count(&html, "</blockquote>"), MAX_DEPTH);
        assert!(html.contains("deep"), "the text is kept");
        assert!(html.len() < 2_000, "{} bytes", html.len());

        for (open, close) in [("<div>", "</div>"), ("<span>", "</span>"), ("<b>", "</b>")] {
            let tags = open.repeat(40_000) + "deep\n";
            let html = balanced(&tags);
            assert_eq!(count(&html, open), MAX_DEPTH, "{open}");
            assert_eq!(count(&html, close), MAX_DEPTH, "{open}");
            let html = markdown(&tags);
            assert!(depth(&html) <= MAX_DEPTH, "{open}: {}", depth(&html));
            assert!(html.len() < 4_000, "{open}: {} bytes", html.len());
            assert!(html.contains("deep"));
        }

        let lists = "- ".repeat(100_000) + "deep\n";
        let html = markdown(&lists);
        assert!(depth(&html) <= MAX_DEPTH);
        assert!(html.contains("deep"));

        // Formatting elements that HTML reopens stay within the bound too.
        let reopened = "<b><p><i><div>".repeat(20_000) + "x</p>y";
        let html = balanced(&reopened);
        assert!(depth(&html) <= MAX_DEPTH);
        assert!(depth(&markdown(&reopened)) <= MAX_DEPTH);

        // Deep nesting, then closed in order: what follows is back at the top.
        let closed = "<div>".repeat(100) + "in" + &"</div>".repeat(100) + "<p>out</p>";
        let html = balanced(&closed);
        assert!(html.ends_with(&format!("{}<p>out</p>", "</div>".repeat(MAX_DEPTH))));
    }

    #[test]
    fn elements_and_attributes_are_bounded() {
        let many = "<i>x</i>".repeat(MAX_ELEMENTS + 1000);
        let html = balanced(&many);
        assert_eq!(count(&html, "<i>"), MAX_ELEMENTS);
        assert_eq!(count(&html, "x"), MAX_ELEMENTS + 1000, "the text is kept");

        let mut wide = String::from("<div");
        for i in 0..100_000 {
            let _ = std::fmt::Write::write_fmt(&mut wide, format_args!(" a{i}=\"{i}\""));
        }
        wide.push_str(" a0=dup>text</div>");
        let html = balanced(&wide);
        assert_eq!(count(&html, "=\""), MAX_ATTRIBUTES);
        assert!(html.ends_with(">text</div>"));
    }

    #[test]
    fn the_rewritten_html_is_well_formed() {
        for (input, expected) in [
            ("a < b > c", "a &lt; b &gt; c"),
            ("<b>bold", "<b>bold</b>"),
            ("</i>stray<i>", "stray<i></i>"),
            ("<b><i>x</b>y</i>", "<b><i>x</i></b><i>y</i>"),
            ("<p><b>x<p>y</b>z", "<p><b>x</b></p><p><b>y</b>z</p>"),
            ("<td><b>x</td>y", "<td><b>x</b></td>y"),
            ("</p>x", "<p></p>x"),
            ("<img src='a\"b'/>", "<img src=\"a&quot;b\">"),
            ("<!-- <div> -->x<!DOCTYPE html><?php ?>", "x"),
            ("<div title=\"a>b\">x</div>", "<div title=\"a>b\">x</div>"),
            ("<div", ""),
            ("<div title='unclosed>x", ""),
            (
                "<script>a</b>c</script >d",
                "<script>a&lt;/b&gt;c</script>d",
            ),
            ("<html><body>x</body></html>", "x"),
            ("<P CLASS=x>y</p>", "<p class=\"x\">y</p>"),
        ] {
            assert_eq!(balanced(input), expected, "{input}");
        }
    }

    #[test]
    fn the_cache_starts_over_when_full() {
        let cache = Rendered::default();
        let big: Arc<str> = "x".repeat(MAX_CACHED_BYTES / 2 + 1).into();
        cache.put([1; 32], big.clone());
        cache.put([1; 32], big.clone());
        assert!(
            cache.get(&[1; 32]).is_some(),
            "replacing an entry evicts nothing"
        );
        cache.put([2; 32], big);
        assert!(cache.get(&[1; 32]).is_none());
        assert!(cache.get(&[2; 32]).is_some());
    }
}
