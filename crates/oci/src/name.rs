//! Repository names, references and digests, validated before any lookup.

/// `OWNER/IMAGE[/more]` split into the owning account and the package name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoName {
    pub owner: String,
    /// The image path below the owner, as the REST API names the package.
    pub image: String,
}

impl RepoName {
    pub fn full(&self) -> String {
        format!("{}/{}", self.owner, self.image)
    }

    /// Parses a repository name by the distribution spec's grammar, with the
    /// first component naming the owner (as GitHub's container registry does).
    pub fn parse(name: &str) -> Option<RepoName> {
        if name.len() > 255 || !name.split('/').all(is_component) {
            return None;
        }
        let (owner, image) = name.split_once('/')?;
        entrepot_core::names::is_valid_login(owner).then(|| RepoName {
            owner: owner.to_owned(),
            image: image.to_owned(),
        })
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn is_component(c: &str) -> bool {
    let b = c.as_bytes();
    if b.is_empty() || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < b.len() {
        if is_alnum(b[i]) {
            i += 1;
            continue;
        }
        // A separator run: ".", "_", "__" or one or more "-".
        let start = i;
        while i < b.len() && !is_alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit()
}

/// `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`
pub fn is_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    !b.is_empty()
        && b.len() <= 128
        && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|x| x.is_ascii_alphanumeric() || matches!(x, b'.' | b'_' | b'-'))
}

/// What a manifest is named by in a path: a tag, or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
}

/// A reference that is neither: a digest's shape with an unsupported or
/// malformed digest, or an invalid tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BadReference {
    Digest(String),
    Tag(String),
}

impl Reference {
    /// Anything shaped like a digest (`alg:encoded`) must be one this
    /// registry verifies; anything else must be a valid tag.
    pub fn parse(text: &str) -> Result<Reference, BadReference> {
        if Digest::looks_like(text) {
            Digest::parse(text)
                .map(Reference::Digest)
                .ok_or_else(|| BadReference::Digest(text.to_owned()))
        } else if is_tag(text) {
            Ok(Reference::Tag(text.to_owned()))
        } else {
            Err(BadReference::Tag(text.to_owned()))
        }
    }
}

/// A content digest this registry can verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Digest {
    Sha256(String),
    Sha512(String),
}

impl Digest {
    /// Parses `sha256:<64 hex>` or `sha512:<128 hex>` (lowercase).
    pub fn parse(text: &str) -> Option<Digest> {
        let (alg, hex) = text.split_once(':')?;
        let hex_ok = |len: usize| {
            hex.len() == len && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        };
        match alg {
            "sha256" if hex_ok(64) => Some(Digest::Sha256(hex.to_owned())),
            "sha512" if hex_ok(128) => Some(Digest::Sha512(hex.to_owned())),
            _ => None,
        }
    }

    /// Whether `text` has a digest's shape (`alg:encoded`), supported or not.
    pub fn looks_like(text: &str) -> bool {
        text.contains(':')
    }

    pub fn to_text(&self) -> String {
        match self {
            Digest::Sha256(h) => format!("sha256:{h}"),
            Digest::Sha512(h) => format!("sha512:{h}"),
        }
    }

    /// What the blob store must verify for content with this digest.
    pub fn expected(&self) -> entrepot_store::Expected {
        match self {
            Digest::Sha256(h) => entrepot_store::Expected {
                sha256: Some(h.clone()),
                ..entrepot_store::Expected::default()
            },
            Digest::Sha512(h) => entrepot_store::Expected {
                sha512: Some(h.clone()),
                ..entrepot_store::Expected::default()
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_distribution_grammar_with_an_owner_first() {
        let n = RepoName::parse("alice/hello-world/web.ui").unwrap();
        assert_eq!(
            (n.owner.as_str(), n.image.as_str()),
            ("alice", "hello-world/web.ui")
        );
        for ok in ["alice/a", "acme/a__b", "acme/a---b", "acme/a.b_c"] {
            assert!(RepoName::parse(ok).is_some(), "{ok}");
        }
        for bad in [
            "alice",
            "Alice/x",
            "alice/X",
            "alice/-x",
            "alice/x-",
            "alice/a..b",
            "alice/a___b",
            "alice//x",
            "-a/x",
        ] {
            assert!(RepoName::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn tags_and_digests_are_checked() {
        assert!(is_tag("1.0") && is_tag("_x") && is_tag("Latest-2"));
        assert!(!is_tag(".x") && !is_tag("") && !is_tag(&"a".repeat(129)) && !is_tag("a:b"));
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(Digest::parse(&d), Some(Digest::Sha256("a".repeat(64))));
        assert!(Digest::parse(&format!("sha512:{}", "b".repeat(128))).is_some());
        assert!(Digest::parse("sha256:abc").is_none());
        assert!(Digest::parse(&format!("sha256:{}", "A".repeat(64))).is_none());
        assert!(Digest::parse(&format!("md5:{}", "a".repeat(32))).is_none());
    }

    #[test]
    fn a_reference_is_a_digest_if_it_has_the_shape_else_a_tag() {
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            Reference::parse(&d),
            Ok(Reference::Digest(Digest::Sha256("a".repeat(64))))
        );
        assert_eq!(Reference::parse("v1"), Ok(Reference::Tag("v1".into())));
        assert_eq!(
            Reference::parse("md5:abc"),
            Err(BadReference::Digest("md5:abc".into()))
        );
        assert_eq!(
            Reference::parse(".hidden"),
            Err(BadReference::Tag(".hidden".into()))
        );
    }
}
