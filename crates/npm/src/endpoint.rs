//! Parses an npm request (method, path, query) into a typed endpoint
//! before any lookup, package names validated. Scoped names arrive both
//! escaped (`@scope%2fname`, for metadata) and plain
//! (`@scope/name/-/name-1.0.0.tgz`, for tarballs).

use axum::http::Method;
use percent_encoding::percent_decode_str;

use crate::name::NpmName;
use crate::search::SearchQuery;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Ping,
    Whoami,
    /// `GET /-/npm/v1/keys`: the keys `dist.signatures` verify with.
    Keys,
    /// `PUT /-/user/org.couchdb.user:NAME`: legacy login and adduser.
    Login {
        user: String,
    },
    /// `DELETE /-/user/token/TOKEN`: logout.
    Logout {
        token: String,
    },
    /// `GET /-/v1/search?text=…&size=…&from=…`.
    Search(SearchQuery),
    DistTags {
        name: NpmName,
    },
    SetDistTag {
        name: NpmName,
        tag: String,
    },
    RemoveDistTag {
        name: NpmName,
        tag: String,
    },
    /// `POST /-/package/NAME/access` (`npm access set status=…`).
    SetAccess {
        name: NpmName,
    },
    /// `GET /-/package/NAME/visibility` (`npm access get status`).
    Visibility {
        name: NpmName,
    },
    /// `GET` or `HEAD /NAME`.
    Packument {
        name: NpmName,
        head: bool,
    },
    /// `GET /NAME/VERSION`, or a dist-tag in place of the version.
    VersionDoc {
        name: NpmName,
        version: String,
    },
    /// `PUT /NAME`: a publish, or a metadata change such as deprecate.
    Publish {
        name: NpmName,
    },
    /// `PUT /NAME/-rev/REV`: the packument minus the versions to unpublish.
    UnpublishVersions {
        name: NpmName,
    },
    /// `DELETE /NAME/-rev/REV`: unpublish the whole package.
    UnpublishAll {
        name: NpmName,
    },
    Tarball {
        name: NpmName,
        file: String,
    },
    /// `DELETE /NAME/-/FILE/-rev/REV`: the tarball of an unpublished
    /// version, already gone with it; answered without a lookup.
    DeleteTarball,
    /// A read of an unscoped package: no local owner has one, so only the
    /// default upstream may (`name` as npm knows it).
    Foreign {
        name: String,
        read: ForeignRead,
    },
    /// `npm audit`'s query, of either kind.
    Audit(Audit),
    /// A package path under a name npm would refuse: a 400 where the client
    /// sends a document under it (`sent`), else a 404; nothing is looked up.
    InvalidName {
        reason: String,
        sent: bool,
    },
    NotFound,
}

/// What is read of a package an upstream serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ForeignRead {
    Packument { head: bool },
    VersionDoc { version: String },
    Tarball { file: String },
}

/// Whether `name` is an unscoped name npm has ever accepted (older
/// packages may have capitals): URL-safe, at most 214 characters, not
/// starting with a dot or an underscore.
pub fn is_legacy_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 214
        && !name.starts_with(['.', '_'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// The two audits npm posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audit {
    /// `POST /-/npm/v1/security/advisories/bulk` (npm 7+): package names
    /// to versions.
    Bulk,
    /// `POST /-/npm/v1/security/audits/quick`: the older audit, a
    /// dependency tree in.
    Quick,
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// Splits off the package name (`@scope%2fname`, `@scope/name` or an
/// unscoped `name`) and returns it with the remaining segments.
fn split_name(segments: &[String]) -> Option<(String, Vec<&str>)> {
    let rest = |from: usize| segments[from..].iter().map(String::as_str).collect();
    let first = segments.first()?;
    if first.contains('/') || !first.starts_with('@') {
        return Some((first.clone(), rest(1)));
    }
    let second = segments.get(1)?;
    Some((format!("{first}/{second}"), rest(2)))
}

impl Endpoint {
    /// `path` is what follows `/npm/`, still percent-encoded; `query` what
    /// follows `?`.
    pub fn parse(method: &Method, path: &str, query: Option<&str>) -> Endpoint {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode)
            .collect();
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let get = method == Method::GET || method == Method::HEAD;
        match s.as_slice() {
            ["-", "ping"] if get => Endpoint::Ping,
            ["-", "whoami"] if get => Endpoint::Whoami,
            ["-", "npm", "v1", "keys"] if get => Endpoint::Keys,
            ["-", "v1", "search"] if get => Endpoint::Search(SearchQuery::parse(query)),
            ["-", "npm", "v1", "security", "advisories", "bulk"] if method == Method::POST => {
                Endpoint::Audit(Audit::Bulk)
            }
            ["-", "npm", "v1", "security", "audits", "quick"] if method == Method::POST => {
                Endpoint::Audit(Audit::Quick)
            }
            ["-", "user", user] if method == Method::PUT => {
                match user.strip_prefix("org.couchdb.user:") {
                    Some(user) => Endpoint::Login {
                        user: user.to_owned(),
                    },
                    None => Endpoint::NotFound,
                }
            }
            ["-", "user", "token", token] if method == Method::DELETE => Endpoint::Logout {
                token: (*token).to_owned(),
            },
            ["-", "package", ..] => match split_name(&segments[2..]) {
                Some((name, rest)) => package_settings(method, &name, &rest),
                None => Endpoint::NotFound,
            },
            ["-", ..] | [] => Endpoint::NotFound,
            _ => match split_name(&segments) {
                Some((name, rest)) => package_document(method, &name, &rest),
                None => Endpoint::NotFound,
            },
        }
    }
}

/// Validates `name` for the endpoint `make` builds from it.
fn named(name: &str, sent: bool, make: impl FnOnce(NpmName) -> Endpoint) -> Endpoint {
    match NpmName::parse(name) {
        Ok(name) => make(name),
        Err(reason) => Endpoint::InvalidName { reason, sent },
    }
}

/// `/-/package/NAME/…`: dist-tags and access.
fn package_settings(method: &Method, name: &str, rest: &[&str]) -> Endpoint {
    let tag = |tag: &str| tag.to_owned();
    match (method.clone(), rest) {
        (Method::GET | Method::HEAD, ["dist-tags"]) => {
            named(name, false, |name| Endpoint::DistTags { name })
        }
        (Method::PUT, ["dist-tags", t]) => named(name, false, |name| Endpoint::SetDistTag {
            name,
            tag: tag(t),
        }),
        (Method::DELETE, ["dist-tags", t]) => named(name, false, |name| Endpoint::RemoveDistTag {
            name,
            tag: tag(t),
        }),
        (Method::POST, ["access"]) => named(name, false, |name| Endpoint::SetAccess { name }),
        (Method::GET | Method::HEAD, ["visibility"]) => {
            named(name, false, |name| Endpoint::Visibility { name })
        }
        _ => Endpoint::NotFound,
    }
}

/// `/NAME/…`: the packument, versions, tarballs, publish and unpublish.
fn package_document(method: &Method, name: &str, rest: &[&str]) -> Endpoint {
    let head = method == Method::HEAD;
    let read = method == Method::GET || head;
    if read && !name.starts_with('@') && is_legacy_name(name) {
        let read = match rest {
            [] => ForeignRead::Packument { head },
            ["-", file] => ForeignRead::Tarball {
                file: (*file).to_owned(),
            },
            [version] => ForeignRead::VersionDoc {
                version: (*version).to_owned(),
            },
            _ => return Endpoint::NotFound,
        };
        return Endpoint::Foreign {
            name: name.to_owned(),
            read,
        };
    }
    match (method.clone(), rest) {
        (Method::GET | Method::HEAD, []) => {
            named(name, false, |name| Endpoint::Packument { name, head })
        }
        (Method::PUT, []) => named(name, true, |name| Endpoint::Publish { name }),
        (Method::PUT, ["-rev", _]) => {
            named(name, true, |name| Endpoint::UnpublishVersions { name })
        }
        (Method::DELETE, ["-rev", _]) => named(name, false, |name| Endpoint::UnpublishAll { name }),
        (Method::GET | Method::HEAD, ["-", file]) => named(name, false, |name| Endpoint::Tarball {
            name,
            file: (*file).to_owned(),
        }),
        (Method::DELETE, ["-", _, "-rev", _]) => Endpoint::DeleteTarball,
        (Method::GET | Method::HEAD, [version]) => {
            named(name, false, |name| Endpoint::VersionDoc {
                name,
                version: (*version).to_owned(),
            })
        }
        _ => Endpoint::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(clippy::needless_pass_by_value, reason = "reads better at call sites")]
    fn parse(method: Method, path: &str) -> Endpoint {
        Endpoint::parse(&method, path, None)
    }

    fn hello() -> NpmName {
        NpmName::parse("@alice/hello").unwrap()
    }

    #[test]
    fn metadata_and_tarball_paths_parse_in_both_encodings() {
        let name = hello;
        let packument = |head| Endpoint::Packument { name: name(), head };
        assert_eq!(parse(Method::GET, "@alice%2fhello"), packument(false));
        assert_eq!(parse(Method::GET, "@alice%2Fhello"), packument(false));
        assert_eq!(parse(Method::HEAD, "@alice/hello"), packument(true));
        assert_eq!(
            parse(Method::PUT, "@alice%2fhello"),
            Endpoint::Publish { name: name() }
        );
        assert_eq!(
            parse(Method::GET, "@alice/hello/-/hello-1.0.0.tgz"),
            Endpoint::Tarball {
                name: name(),
                file: "hello-1.0.0.tgz".into()
            }
        );
        assert_eq!(
            parse(Method::GET, "@alice%2fhello/1.0.0"),
            Endpoint::VersionDoc {
                name: name(),
                version: "1.0.0".into()
            }
        );
        assert_eq!(
            parse(Method::PUT, "@alice%2fhello/-rev/3-abc"),
            Endpoint::UnpublishVersions { name: name() }
        );
        assert_eq!(
            parse(Method::DELETE, "@alice%2fhello/-rev/3-abc"),
            Endpoint::UnpublishAll { name: name() }
        );
        assert_eq!(
            parse(Method::DELETE, "@alice/hello/-/hello-1.0.0.tgz/-rev/3-abc"),
            Endpoint::DeleteTarball
        );
    }

    #[test]
    fn the_dash_endpoints_parse() {
        assert_eq!(parse(Method::GET, "-/ping"), Endpoint::Ping);
        assert_eq!(parse(Method::GET, "-/whoami"), Endpoint::Whoami);
        assert_eq!(parse(Method::GET, "-/npm/v1/keys"), Endpoint::Keys);
        assert_eq!(
            parse(Method::POST, "-/npm/v1/security/advisories/bulk"),
            Endpoint::Audit(Audit::Bulk)
        );
        assert_eq!(
            parse(Method::POST, "-/npm/v1/security/audits/quick"),
            Endpoint::Audit(Audit::Quick)
        );
        assert_eq!(
            parse(Method::GET, "-/npm/v1/security/advisories/bulk"),
            Endpoint::NotFound
        );
        assert_eq!(
            parse(Method::PUT, "-/user/org.couchdb.user:alice"),
            Endpoint::Login {
                user: "alice".into()
            }
        );
        assert_eq!(parse(Method::PUT, "-/user/alice"), Endpoint::NotFound);
        assert_eq!(
            parse(Method::DELETE, "-/user/token/entp_x"),
            Endpoint::Logout {
                token: "entp_x".into()
            }
        );
        assert_eq!(
            parse(Method::GET, "-/package/@alice%2fhello/dist-tags"),
            Endpoint::DistTags { name: hello() }
        );
        assert_eq!(
            parse(Method::PUT, "-/package/@alice/hello/dist-tags/stable"),
            Endpoint::SetDistTag {
                name: hello(),
                tag: "stable".into()
            }
        );
        assert_eq!(
            parse(Method::DELETE, "-/package/@alice%2fhello/dist-tags/stable"),
            Endpoint::RemoveDistTag {
                name: hello(),
                tag: "stable".into()
            }
        );
        assert_eq!(
            parse(Method::POST, "-/package/@alice%2fhello/access"),
            Endpoint::SetAccess { name: hello() }
        );
        assert_eq!(
            parse(Method::GET, "-/package/@alice%2fhello/visibility"),
            Endpoint::Visibility { name: hello() }
        );
        assert_eq!(parse(Method::GET, ""), Endpoint::NotFound);
    }

    #[test]
    fn search_reads_its_query() {
        assert_eq!(
            Endpoint::parse(
                &Method::GET,
                "-/v1/search",
                Some("text=Hello+World%21&size=999&from=3")
            ),
            Endpoint::Search(SearchQuery {
                text: "hello world!".into(),
                size: 250,
                from: 3
            })
        );
    }

    #[test]
    fn names_are_checked_before_any_lookup() {
        let refused =
            |path: &str, sent| match parse(if sent { Method::PUT } else { Method::GET }, path) {
                Endpoint::InvalidName { sent: s, .. } => s == sent,
                _ => false,
            };
        assert!(refused("hello", true), "unscoped, publishing");
        assert!(refused("hello%00", false), "not URL-safe");
        assert!(refused("_hello", false), "a leading underscore");
        assert!(refused(&"a".repeat(215), false), "too long");
        assert!(refused("@Alice%2fhello", false), "uppercase");
        assert!(refused("-/package/hello/dist-tags", false));
        assert!(refused("@alice%2f..", false));
        assert!(refused("@alice%2f..%2f..%2fetc", false));
        assert!(refused("@alice/hello%00", false));
        assert!(refused("@alice%2fhello%2f-%2fx.tgz", false));
        assert!(refused(&format!("@alice%2f{}", "a".repeat(300)), false));
    }

    #[test]
    fn unscoped_names_are_read_from_an_upstream_only() {
        let foreign = |name: &str, read| Endpoint::Foreign {
            name: name.into(),
            read,
        };
        assert_eq!(
            parse(Method::GET, "left-pad"),
            foreign("left-pad", ForeignRead::Packument { head: false })
        );
        assert_eq!(
            parse(Method::HEAD, "JSONStream"),
            foreign("JSONStream", ForeignRead::Packument { head: true })
        );
        assert_eq!(
            parse(Method::GET, "left-pad/-/left-pad-1.3.0.tgz"),
            foreign(
                "left-pad",
                ForeignRead::Tarball {
                    file: "left-pad-1.3.0.tgz".into()
                }
            )
        );
        assert_eq!(
            parse(Method::GET, "left-pad/latest"),
            foreign(
                "left-pad",
                ForeignRead::VersionDoc {
                    version: "latest".into()
                }
            )
        );
        assert_eq!(parse(Method::GET, "left-pad/-/x/y"), Endpoint::NotFound);
        assert!(matches!(
            parse(Method::DELETE, "left-pad/-rev/1"),
            Endpoint::InvalidName { .. }
        ));
    }

    #[test]
    fn hostile_paths_find_nothing() {
        for path in [
            "@alice",
            "-/package/@alice",
            "-/package/@alice%2fhello/dist-tags/a/b",
            "-/../-/ping/..",
            "@alice/hello/-/x.tgz/extra",
            "@alice/hello/1.0.0/more",
            "left-pad/1.0.0/more",
            "-/user/token",
            "%2d/ping/x",
            "//////",
        ] {
            for method in [Method::GET, Method::PUT, Method::POST] {
                assert!(
                    matches!(
                        Endpoint::parse(&method, path, Some("%ff=%ff")),
                        Endpoint::NotFound | Endpoint::InvalidName { .. }
                    ),
                    "{method} {path}"
                );
            }
        }
        // An empty segment is no segment: `//` is `/`.
        assert_eq!(parse(Method::GET, "//-//ping//"), Endpoint::Ping);
        // A dot segment is a name like any other, and not a valid one.
        assert!(matches!(
            parse(Method::GET, "@alice/../-/ping"),
            Endpoint::InvalidName { .. }
        ));
    }
}
