//! Parses an npm request path into a typed endpoint before any lookup.
//! Scoped names arrive both escaped (`@scope%2fname`, for metadata) and
//! plain (`@scope/name/-/name-1.0.0.tgz`, for tarballs).

use axum::http::Method;
use percent_encoding::percent_decode_str;

/// A validated scoped npm package name, `@scope/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpmName {
    /// The owning user or organization.
    pub scope: String,
    /// The name without its scope, as the REST API and the database know it.
    pub name: String,
}

impl NpmName {
    pub fn full(&self) -> String {
        format!("@{}/{}", self.scope, self.name)
    }

    /// Parses `@scope/name`, enforcing npm's and GitHub's rules: scoped,
    /// lowercase, URL-safe, at most 214 characters.
    pub fn parse(full: &str) -> Result<NpmName, String> {
        let Some((scope, name)) = full.strip_prefix('@').and_then(|s| s.split_once('/')) else {
            return Err(format!(
                "package names must be scoped by their owner, as in @OWNER/{full}"
            ));
        };
        if full.len() > 214 {
            return Err("package names are at most 214 characters".into());
        }
        if full.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!("package names must be lowercase: {full}"));
        }
        let name_ok = !name.is_empty()
            && !name.starts_with(['.', '_'])
            && name.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'.' | b'_' | b'~')
            });
        if !entrepot_core::names::is_valid_login(scope) || !name_ok {
            return Err(format!("invalid package name: {full}"));
        }
        Ok(NpmName {
            scope: scope.to_owned(),
            name: name.to_owned(),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Ping,
    Whoami,
    /// `PUT /-/user/org.couchdb.user:NAME`: legacy login and adduser.
    Login {
        user: String,
    },
    /// `DELETE /-/user/token/TOKEN`: logout.
    Logout {
        token: String,
    },
    Search,
    DistTags {
        name: String,
    },
    SetDistTag {
        name: String,
        tag: String,
    },
    RemoveDistTag {
        name: String,
        tag: String,
    },
    /// `POST /-/package/NAME/access` (`npm access set status=…`).
    SetAccess {
        name: String,
    },
    /// `GET /-/package/NAME/visibility` (`npm access get status`).
    Visibility {
        name: String,
    },
    Packument {
        name: String,
    },
    VersionDoc {
        name: String,
        version: String,
    },
    /// `PUT /NAME`: a publish, or a metadata change such as deprecate.
    Publish {
        name: String,
    },
    /// `PUT /NAME/-rev/REV`: the packument minus the versions to unpublish.
    UnpublishVersions {
        name: String,
    },
    /// `DELETE /NAME/-rev/REV`: unpublish the whole package.
    UnpublishAll {
        name: String,
    },
    Tarball {
        name: String,
        file: String,
    },
    /// `DELETE /NAME/-/FILE/-rev/REV`: the tarball of an unpublished version.
    DeleteTarball {
        name: String,
        file: String,
    },
    /// `POST /-/npm/v1/security/advisories/bulk`: `npm audit`'s query.
    AuditBulk,
    /// `POST /-/npm/v1/security/audits/quick`: the older audit, a
    /// dependency tree in.
    AuditQuick,
    NotFound,
}

fn decode(segment: &str) -> String {
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

/// Splits off the package name (`@scope%2fname`, `@scope/name` or an
/// unscoped `name`) and returns it with the remaining segments.
fn split_name(segments: &[String]) -> Option<(String, &[String])> {
    let first = segments.first()?;
    if first.contains('/') || !first.starts_with('@') {
        return Some((first.clone(), &segments[1..]));
    }
    let second = segments.get(1)?;
    Some((format!("{first}/{second}"), &segments[2..]))
}

impl Endpoint {
    /// `path` is what follows `/npm/`, still percent-encoded.
    pub fn parse(method: &Method, path: &str) -> Endpoint {
        let segments: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(decode)
            .collect();
        let s: Vec<&str> = segments.iter().map(String::as_str).collect();
        let get = method == Method::GET || method == Method::HEAD;
        let put = method == Method::PUT;
        let delete = method == Method::DELETE;
        let post = method == Method::POST;
        match s.as_slice() {
            ["-", "ping"] if get => return Endpoint::Ping,
            ["-", "whoami"] if get => return Endpoint::Whoami,
            ["-", "v1", "search"] if get => return Endpoint::Search,
            ["-", "npm", "v1", "security", "advisories", "bulk"] if post => {
                return Endpoint::AuditBulk;
            }
            ["-", "npm", "v1", "security", "audits", "quick"] if post => {
                return Endpoint::AuditQuick;
            }
            ["-", "user", user] if put => {
                if let Some(user) = user.strip_prefix("org.couchdb.user:") {
                    return Endpoint::Login {
                        user: user.to_owned(),
                    };
                }
                return Endpoint::NotFound;
            }
            ["-", "user", "token", token] if delete => {
                return Endpoint::Logout {
                    token: (*token).to_owned(),
                };
            }
            ["-", "package", ..] => {
                let Some((name, rest)) = split_name(&segments[2..]) else {
                    return Endpoint::NotFound;
                };
                let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
                return match rest.as_slice() {
                    ["dist-tags"] if get => Endpoint::DistTags { name },
                    ["dist-tags", tag] if put => Endpoint::SetDistTag {
                        name,
                        tag: (*tag).to_owned(),
                    },
                    ["dist-tags", tag] if delete => Endpoint::RemoveDistTag {
                        name,
                        tag: (*tag).to_owned(),
                    },
                    ["access"] if post => Endpoint::SetAccess { name },
                    ["visibility"] if get => Endpoint::Visibility { name },
                    _ => Endpoint::NotFound,
                };
            }
            ["-", ..] | [] => return Endpoint::NotFound,
            _ => {}
        }
        let Some((name, rest)) = split_name(&segments) else {
            return Endpoint::NotFound;
        };
        let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
        match rest.as_slice() {
            [] if get => Endpoint::Packument { name },
            [] if put => Endpoint::Publish { name },
            ["-rev", _] if put => Endpoint::UnpublishVersions { name },
            ["-rev", _] if delete => Endpoint::UnpublishAll { name },
            ["-", file] if get => Endpoint::Tarball {
                name,
                file: (*file).to_owned(),
            },
            ["-", file, "-rev", _] if delete => Endpoint::DeleteTarball {
                name,
                file: (*file).to_owned(),
            },
            [version] if get => Endpoint::VersionDoc {
                name,
                version: (*version).to_owned(),
            },
            _ => Endpoint::NotFound,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(clippy::needless_pass_by_value, reason = "reads better at call sites")]
    fn parse(method: Method, path: &str) -> Endpoint {
        Endpoint::parse(&method, path)
    }

    #[test]
    fn metadata_and_tarball_paths_parse_in_both_encodings() {
        let name = || "@alice/hello".to_owned();
        assert_eq!(
            parse(Method::GET, "@alice%2fhello"),
            Endpoint::Packument { name: name() }
        );
        assert_eq!(
            parse(Method::GET, "@alice%2Fhello"),
            Endpoint::Packument { name: name() }
        );
        assert_eq!(
            parse(Method::HEAD, "@alice/hello"),
            Endpoint::Packument { name: name() }
        );
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
            Endpoint::DeleteTarball {
                name: name(),
                file: "hello-1.0.0.tgz".into()
            }
        );
    }

    #[test]
    fn the_dash_endpoints_parse() {
        assert_eq!(parse(Method::GET, "-/ping"), Endpoint::Ping);
        assert_eq!(parse(Method::GET, "-/whoami"), Endpoint::Whoami);
        assert_eq!(parse(Method::GET, "-/v1/search"), Endpoint::Search);
        assert_eq!(
            parse(Method::POST, "-/npm/v1/security/advisories/bulk"),
            Endpoint::AuditBulk
        );
        assert_eq!(
            parse(Method::POST, "-/npm/v1/security/audits/quick"),
            Endpoint::AuditQuick
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
        assert_eq!(
            parse(Method::DELETE, "-/user/token/entp_x"),
            Endpoint::Logout {
                token: "entp_x".into()
            }
        );
        assert_eq!(
            parse(Method::GET, "-/package/@alice%2fhello/dist-tags"),
            Endpoint::DistTags {
                name: "@alice/hello".into()
            }
        );
        assert_eq!(
            parse(Method::PUT, "-/package/@alice/hello/dist-tags/stable"),
            Endpoint::SetDistTag {
                name: "@alice/hello".into(),
                tag: "stable".into()
            }
        );
        assert_eq!(
            parse(Method::DELETE, "-/package/@alice%2fhello/dist-tags/stable"),
            Endpoint::RemoveDistTag {
                name: "@alice/hello".into(),
                tag: "stable".into()
            }
        );
        assert_eq!(
            parse(Method::POST, "-/package/@alice%2fhello/access"),
            Endpoint::SetAccess {
                name: "@alice/hello".into()
            }
        );
        assert_eq!(
            parse(Method::GET, "-/package/@alice%2fhello/visibility"),
            Endpoint::Visibility {
                name: "@alice/hello".into()
            }
        );
        assert_eq!(parse(Method::GET, ""), Endpoint::NotFound);
    }

    #[test]
    fn names_are_scoped_lowercase_and_url_safe() {
        assert_eq!(NpmName::parse("@alice/hello.js").unwrap().name, "hello.js");
        for bad in [
            "hello",
            "@Alice/hello",
            "@alice/Hello",
            "@alice/",
            "@alice/.x",
            "@alice/a b",
            "@-x/y",
        ] {
            assert!(NpmName::parse(bad).is_err(), "{bad}");
        }
    }
}
