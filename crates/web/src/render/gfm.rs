//! What GitHub does to a README's Markdown beyond `CommonMark`, done on the
//! parser's events before they become HTML:
//! - headings are one level down (the page's `<h1>` is the package's name)
//!   and carry GitHub's ids, so that `[Usage](#usage)` finds its heading;
//! - `> [!NOTE]` and its kin become alerts;
//! - fenced code is highlighted;
//! - relative links and images lead into the package's repository.

use std::collections::HashMap;

use pulldown_cmark::{
    BlockQuoteKind, CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Tag, TagEnd,
};

use super::highlight::{Budget, highlight};
use super::links::LinkBase;

/// `events` rewritten as above; `links` is where relative URLs lead, if
/// anywhere known. The flag says whether highlighting ran out of time.
pub fn rewrite<'a>(events: Vec<Event<'a>>, links: Option<&LinkBase>) -> (Vec<Event<'a>>, bool) {
    let mut out = Vec::with_capacity(events.len());
    let mut slugs = Slugs::default();
    let mut budget = Budget::new();
    let mut events = events.into_iter();
    while let Some(event) = events.next() {
        match event {
            Event::Start(Tag::Heading {
                level,
                id: _,
                classes,
                attrs,
            }) => {
                let inner: Vec<Event<'a>> = events
                    .by_ref()
                    .take_while(|e| !matches!(e, Event::End(TagEnd::Heading(_))))
                    .map(|e| resolved_event(e, links))
                    .collect();
                let level = demoted(level);
                out.push(Event::Start(Tag::Heading {
                    level,
                    id: Some(slugs.next(&text_of(&inner)).into()),
                    classes,
                    attrs,
                }));
                out.extend(inner);
                out.push(Event::End(TagEnd::Heading(level)));
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let mut code = String::new();
                for e in events.by_ref() {
                    match e {
                        Event::Text(t) => code.push_str(&t),
                        Event::End(TagEnd::CodeBlock) => break,
                        _ => {}
                    }
                }
                out.extend(code_block(&kind, &code, &mut budget));
            }
            Event::Start(Tag::BlockQuote(Some(kind))) => {
                let (class, title) = alert(kind);
                out.push(Event::Html(
                    format!(
                        "<div class=\"markdown-alert markdown-alert-{class}\"><p class=\"markdown-alert-title\">{title}</p>\n"
                    )
                    .into(),
                ));
            }
            Event::End(TagEnd::BlockQuote(Some(_))) => out.push(Event::Html("</div>\n".into())),
            other => out.push(resolved_event(other, links)),
        }
    }
    (out, budget.ran_out())
}

/// A fenced block highlighted when its language is known and it is in
/// bounds, else as it was.
fn code_block<'a>(kind: &CodeBlockKind<'a>, code: &str, budget: &mut Budget) -> Vec<Event<'a>> {
    let language = match kind {
        CodeBlockKind::Fenced(info) => info.split([' ', ',', '{']).next().unwrap_or(""),
        CodeBlockKind::Indented => "",
    };
    // Focusable, since a long line scrolls it: keyboards must reach it.
    let spans = highlight(language, code, budget).unwrap_or_else(|| escaped(code));
    vec![Event::Html(
        format!("<pre class=\"code\" tabindex=\"0\"><code>{spans}</code></pre>\n").into(),
    )]
}

/// `text` safe inside an element.
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// A link's or an image's relative URL resolved against `links`; an email
/// or an autolink is absolute already (`<a@b.c>` carries no scheme).
fn resolved_event<'a>(event: Event<'a>, links: Option<&LinkBase>) -> Event<'a> {
    match event {
        Event::Start(Tag::Link {
            link_type,
            dest_url,
            title,
            id,
        }) if !matches!(link_type, LinkType::Email | LinkType::Autolink) => {
            Event::Start(Tag::Link {
                link_type,
                dest_url: resolved(dest_url, links, LinkBase::link),
                title,
                id,
            })
        }
        Event::Start(Tag::Image {
            link_type,
            dest_url,
            title,
            id,
        }) => Event::Start(Tag::Image {
            link_type,
            dest_url: resolved(dest_url, links, LinkBase::image),
            title,
            id,
        }),
        other => other,
    }
}

fn resolved<'a>(
    url: CowStr<'a>,
    links: Option<&LinkBase>,
    resolve: for<'u> fn(&LinkBase, &'u str) -> std::borrow::Cow<'u, str>,
) -> CowStr<'a> {
    match links {
        Some(base) => match resolve(base, &url) {
            std::borrow::Cow::Owned(absolute) => absolute.into(),
            std::borrow::Cow::Borrowed(_) => url,
        },
        None => url,
    }
}

fn demoted(level: HeadingLevel) -> HeadingLevel {
    match level {
        HeadingLevel::H1 => HeadingLevel::H2,
        HeadingLevel::H2 => HeadingLevel::H3,
        HeadingLevel::H3 => HeadingLevel::H4,
        HeadingLevel::H4 => HeadingLevel::H5,
        HeadingLevel::H5 | HeadingLevel::H6 => HeadingLevel::H6,
    }
}

fn alert(kind: BlockQuoteKind) -> (&'static str, &'static str) {
    match kind {
        BlockQuoteKind::Note => ("note", "Note"),
        BlockQuoteKind::Tip => ("tip", "Tip"),
        BlockQuoteKind::Important => ("important", "Important"),
        BlockQuoteKind::Warning => ("warning", "Warning"),
        BlockQuoteKind::Caution => ("caution", "Caution"),
    }
}

/// The text a reader sees in `events`.
fn text_of(events: &[Event<'_>]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
            _ => None,
        })
        .collect()
}

/// GitHub's heading ids: lower case, spaces as `-`, other punctuation
/// left out; a repeated one gets `-1`, `-2`…
#[derive(Default)]
struct Slugs {
    seen: HashMap<String, usize>,
}

impl Slugs {
    fn next(&mut self, text: &str) -> String {
        let slug: String = text
            .trim()
            .chars()
            .flat_map(char::to_lowercase)
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .take(100)
            .collect();
        let count = self.seen.entry(slug.clone()).or_insert(0);
        *count += 1;
        if *count == 1 {
            slug
        } else {
            format!("{slug}-{}", *count - 1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_githubs() {
        let mut slugs = Slugs::default();
        assert_eq!(slugs.next("Getting Started!"), "getting-started");
        assert_eq!(slugs.next("Getting started"), "getting-started-1");
        assert_eq!(slugs.next("`npm` & yarn"), "npm--yarn");
        assert_eq!(slugs.next("Über uns"), "über-uns");
    }
}
