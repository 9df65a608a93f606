//! A safe YAML loader for gemspecs. Psych would instantiate whatever Ruby
//! class a tag names; this one keeps tags as labels, accepts only the tags
//! `Gem::SafeYAML` permits, and bounds depth and alias expansion so that a
//! crafted document can neither run code nor blow up memory.

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

/// The Ruby classes a gemspec may name (RubyGems' own allow-list).
const ALLOWED_OBJECTS: &[&str] = &[
    "Gem::Specification",
    "Gem::Version",
    "Gem::Version::Requirement",
    "Gem::Requirement",
    "Gem::Dependency",
    "Gem::Platform",
];

/// Nodes built in all, counting every copy an alias makes.
const MAX_NODES: usize = 200_000;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Seq(Vec<Node>),
    /// `class` is the Ruby class a `!ruby/object:` tag named.
    Map {
        class: Option<String>,
        entries: Vec<(Node, Node)>,
    },
}

impl Node {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value under a string key of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map { entries, .. } => entries
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn class(&self) -> Option<&str> {
        match self {
            Node::Map { class, .. } => class.as_deref(),
            _ => None,
        }
    }
}

/// What a tag allows: a Ruby object of a known class, a symbol, or a core
/// YAML type; anything else is refused.
fn check_tag(tag: Option<&Tag>) -> Result<Option<String>, String> {
    let Some(tag) = tag else { return Ok(None) };
    let full = format!("{}{}", tag.handle, tag.suffix);
    if let Some(class) = full.strip_prefix("!ruby/object:")
        && ALLOWED_OBJECTS.contains(&class)
    {
        return Ok(Some(class.to_owned()));
    }
    match full.as_str() {
        "!ruby/sym" | "!ruby/symbol" | "!" => Ok(None),
        f if f.starts_with("tag:yaml.org,2002:") || f.starts_with("!!") => Ok(None),
        _ => Err(format!(
            "the gemspec uses a YAML tag that is not allowed: {full}"
        )),
    }
}

fn scalar(value: String, style: TScalarStyle, tag: Option<&Tag>) -> Node {
    let core = tag.map(|t| t.suffix.as_str());
    if style != TScalarStyle::Plain || matches!(core, Some("str")) {
        return Node::Str(value);
    }
    match value.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Node::Null,
        "true" | "True" | "TRUE" => Node::Bool(true),
        "false" | "False" | "FALSE" => Node::Bool(false),
        v => v.parse().map_or(Node::Str(value), Node::Int),
    }
}

struct Builder {
    anchors: std::collections::HashMap<usize, Node>,
    nodes: usize,
}

impl Builder {
    fn count(&mut self, n: usize) -> Result<(), String> {
        self.nodes += n;
        if self.nodes > MAX_NODES {
            return Err("the gemspec is too large".into());
        }
        Ok(())
    }

    fn anchor(&mut self, id: usize, node: &Node) {
        if id > 0 {
            self.anchors.insert(id, node.clone());
        }
    }

    /// Builds the node that starts with `event`.
    fn node<I: Iterator<Item = Result<Event, String>>>(
        &mut self,
        event: Event,
        events: &mut I,
        depth: usize,
    ) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err("the gemspec is nested too deeply".into());
        }
        let next = |events: &mut I| {
            events
                .next()
                .unwrap_or_else(|| Err("the gemspec YAML ends early".into()))
        };
        self.count(1)?;
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                check_tag(tag.as_ref())?;
                let node = scalar(value, style, tag.as_ref());
                self.anchor(anchor, &node);
                Ok(node)
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or("the gemspec YAML has an unknown alias")?;
                self.count(size(&node))?;
                Ok(node)
            }
            Event::SequenceStart(anchor, tag) => {
                check_tag(tag.as_ref())?;
                let mut items = Vec::new();
                loop {
                    match next(events)? {
                        Event::SequenceEnd => break,
                        e => items.push(self.node(e, events, depth + 1)?),
                    }
                }
                let node = Node::Seq(items);
                self.anchor(anchor, &node);
                Ok(node)
            }
            Event::MappingStart(anchor, tag) => {
                let class = check_tag(tag.as_ref())?;
                let mut entries = Vec::new();
                loop {
                    let key = match next(events)? {
                        Event::MappingEnd => break,
                        e => self.node(e, events, depth + 1)?,
                    };
                    let value = next(events)?;
                    let value = self.node(value, events, depth + 1)?;
                    entries.push((key, value));
                }
                let node = Node::Map { class, entries };
                self.anchor(anchor, &node);
                Ok(node)
            }
            other => Err(format!("unexpected YAML event {other:?}")),
        }
    }
}

fn size(node: &Node) -> usize {
    match node {
        Node::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Node::Map { entries, .. } => {
            1 + entries
                .iter()
                .map(|(k, v)| size(k) + size(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// Loads the first document of `text`.
pub fn load(text: &str) -> Result<Node, String> {
    let mut parser = Parser::new_from_str(text);
    let mut events = std::iter::from_fn(move || match parser.next_token() {
        Ok((Event::StreamEnd, _)) => None,
        Ok((event, _)) => Some(Ok(event)),
        Err(e) => Some(Err(format!("the gemspec is not valid YAML: {e}"))),
    })
    .filter(|e| !matches!(e, Ok(Event::StreamStart | Event::DocumentStart)));
    let mut builder = Builder {
        anchors: std::collections::HashMap::new(),
        nodes: 0,
    };
    let first = events
        .next()
        .unwrap_or_else(|| Err("the gemspec YAML is empty".into()))?;
    builder.node(first, &mut events, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gemspec_tags_are_labels_and_aliases_resolve() {
        let doc = load(
            "--- !ruby/object:Gem::Specification\nname: tiny\nversion: !ruby/object:Gem::Version\n  version: 1.0.0\nreq: &1 !ruby/object:Gem::Requirement\n  requirements:\n  - - \">=\"\n    - !ruby/object:Gem::Version\n      version: '0'\nagain: *1\ntype: :runtime\nn: 4\nempty:\nflag: false\n",
        )
        .unwrap();
        assert_eq!(doc.class(), Some("Gem::Specification"));
        assert_eq!(doc.get("name").and_then(Node::as_str), Some("tiny"));
        assert_eq!(doc.get("req"), doc.get("again"));
        assert_eq!(doc.get("type").and_then(Node::as_str), Some(":runtime"));
        assert_eq!(doc.get("n"), Some(&Node::Int(4)));
        assert_eq!(doc.get("empty"), Some(&Node::Null));
        assert_eq!(doc.get("flag"), Some(&Node::Bool(false)));
    }

    #[test]
    fn ruby_object_tags_outside_the_allow_list_are_refused() {
        for evil in [
            "--- !ruby/object:Gem::Installer\ni: x\n",
            "--- !ruby/hash:ActionController::Routing::RouteSet::NamedRouteCollection\na: b\n",
            "x: !ruby/object:Kernel\n  a: b\n",
            "--- !ruby/regexp /x/\n",
        ] {
            assert!(load(evil).is_err(), "{evil}");
        }
    }

    #[test]
    fn alias_bombs_and_deep_nesting_are_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("b{}", i - 1)
            };
            let refs = vec![format!("*{prev}"); 10].join(", ");
            std::fmt::Write::write_fmt(&mut bomb, format_args!("b{i}: &b{i} [{refs}]\n")).unwrap();
        }
        assert!(load(&bomb).unwrap_err().contains("too large"));
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(load(&deep).is_err());
    }
}
