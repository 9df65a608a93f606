//! A RubyGems request as a value: the method, the path under
//! `BASE/rubygems/OWNER/` and, where it matters, the query, read into the
//! endpoint they name before anything is looked up. Paths are matched
//! whole and case-sensitively, as the protocol's are; a gem name or file
//! stem is whatever stands between the path's fixed parts, and is only
//! ever compared with stored names.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use entrepot_http::owner::form_fields;

use crate::respond::{GemError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `api/v1/api_key`, whatever the method: `gem signin`, which sends a
    /// password rather than a token.
    ApiKey,
    /// The source root, which `gem` probes before using the compact index.
    Root,
    /// `POST api/v1/gems`: `gem push`.
    Push,
    /// `POST api/v1/oidc/trusted_publisher/exchange_token`: a CI token
    /// traded for an API key (trusted publishing).
    ExchangeToken,
    /// `DELETE api/v1/gems/yank`: `gem yank`, with the query's fields
    /// (the form body adds its own).
    Yank { fields: HashMap<String, String> },
    /// `versions`: the compact index's list of every version.
    Versions,
    /// `names`: the compact index's list of gems.
    Names,
    /// `info/NAME`: one gem's versions in the compact index.
    Info { name: String },
    /// `specs.4.8.gz`, `latest_specs.4.8.gz` or `prerelease_specs.4.8.gz`.
    Specs(Specs),
    /// `quick/Marshal.4.8/STEM.gemspec.rz`.
    QuickSpec { stem: String },
    /// `gems/STEM.gem`: the gem file.
    Gem { stem: String },
    /// `api/v1/dependencies[.json]?gems=A,B`: the dependency API.
    Dependencies { names: Vec<String>, json: bool },
    /// `api/v1/gems/NAME.json`.
    GemJson { name: String },
    /// `api/v1/versions/NAME/latest.json`.
    LatestVersion { name: String },
    /// `api/v1/versions/NAME.json`.
    VersionsJson { name: String },
}

/// The legacy Marshal indexes of specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Specs {
    /// Every release.
    All,
    /// The newest release per name and platform.
    Latest,
    /// Every prerelease.
    Prerelease,
}

impl Specs {
    /// Where the rendering is kept among an index's renderings.
    pub fn slot(self) -> usize {
        self as usize
    }

    pub fn prerelease(self) -> bool {
        self == Specs::Prerelease
    }

    pub fn latest(self) -> bool {
        self == Specs::Latest
    }
}

/// How many gems one dependency request may name.
const MAX_DEPENDENCY_NAMES: usize = 200;

/// What stands between `prefix` and `suffix` in `path`.
fn between<'p>(path: &'p str, prefix: &str, suffix: &str) -> Option<&'p str> {
    path.strip_prefix(prefix)?.strip_suffix(suffix)
}

impl Endpoint {
    pub fn parse(method: &Method, path: &str, query: Option<&str>) -> Result<Endpoint> {
        let read = *method == Method::GET || *method == Method::HEAD;
        let fields = || form_fields(query.unwrap_or(""));
        Ok(match path {
            "api/v1/api_key" => Endpoint::ApiKey,
            "" if read => Endpoint::Root,
            "api/v1/gems" if *method == Method::POST => Endpoint::Push,
            "api/v1/oidc/trusted_publisher/exchange_token" if *method == Method::POST => {
                Endpoint::ExchangeToken
            }
            "api/v1/gems/yank" if *method == Method::DELETE => Endpoint::Yank { fields: fields() },
            _ if !read => {
                return Err(GemError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method not allowed",
                ));
            }
            "versions" => Endpoint::Versions,
            "names" => Endpoint::Names,
            "specs.4.8.gz" => Endpoint::Specs(Specs::All),
            "latest_specs.4.8.gz" => Endpoint::Specs(Specs::Latest),
            "prerelease_specs.4.8.gz" => Endpoint::Specs(Specs::Prerelease),
            "api/v1/dependencies" | "api/v1/dependencies.json" => Endpoint::Dependencies {
                json: path == "api/v1/dependencies.json",
                names: fields()
                    .get("gems")
                    .map(|g| {
                        g.split(',')
                            .filter(|n| !n.is_empty())
                            .take(MAX_DEPENDENCY_NAMES)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            _ => Self::named(path).ok_or_else(|| GemError::not_found("Not Found"))?,
        })
    }

    /// The reads whose path carries a name.
    fn named(path: &str) -> Option<Endpoint> {
        let name = str::to_owned;
        if let Some(n) = path.strip_prefix("info/") {
            return Some(Endpoint::Info { name: name(n) });
        }
        if let Some(stem) = between(path, "quick/Marshal.4.8/", ".gemspec.rz") {
            return Some(Endpoint::QuickSpec { stem: name(stem) });
        }
        if let Some(stem) = between(path, "gems/", ".gem") {
            return Some(Endpoint::Gem { stem: name(stem) });
        }
        if let Some(n) = between(path, "api/v1/gems/", ".json") {
            return Some(Endpoint::GemJson { name: name(n) });
        }
        let n = between(path, "api/v1/versions/", ".json")?;
        Some(match n.strip_suffix("/latest") {
            Some(n) => Endpoint::LatestVersion { name: name(n) },
            None => Endpoint::VersionsJson { name: name(n) },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(path: &str) -> Result<Endpoint> {
        Endpoint::parse(&Method::GET, path, None)
    }

    fn status(r: Result<Endpoint>) -> StatusCode {
        r.expect_err("refused").status
    }

    fn name(n: &str) -> String {
        n.to_owned()
    }

    #[test]
    fn the_indexes_and_the_api_are_named_by_their_paths() {
        for (path, want) in [
            ("", Endpoint::Root),
            ("versions", Endpoint::Versions),
            ("names", Endpoint::Names),
            (
                "info/tinygem",
                Endpoint::Info {
                    name: name("tinygem"),
                },
            ),
            ("specs.4.8.gz", Endpoint::Specs(Specs::All)),
            ("latest_specs.4.8.gz", Endpoint::Specs(Specs::Latest)),
            (
                "prerelease_specs.4.8.gz",
                Endpoint::Specs(Specs::Prerelease),
            ),
            (
                "quick/Marshal.4.8/tinygem-1.0.0.gemspec.rz",
                Endpoint::QuickSpec {
                    stem: name("tinygem-1.0.0"),
                },
            ),
            (
                "gems/tinygem-1.0.0-x86_64-linux.gem",
                Endpoint::Gem {
                    stem: name("tinygem-1.0.0-x86_64-linux"),
                },
            ),
            (
                "api/v1/gems/tinygem.json",
                Endpoint::GemJson {
                    name: name("tinygem"),
                },
            ),
            (
                "api/v1/versions/tinygem/latest.json",
                Endpoint::LatestVersion {
                    name: name("tinygem"),
                },
            ),
            (
                "api/v1/versions/tinygem.json",
                Endpoint::VersionsJson {
                    name: name("tinygem"),
                },
            ),
        ] {
            assert_eq!(get(path).unwrap(), want, "{path}");
        }
        assert_eq!(
            [Specs::All, Specs::Latest, Specs::Prerelease].map(Specs::slot),
            [0, 1, 2]
        );
    }

    #[test]
    fn the_dependency_api_reads_at_most_so_many_names_from_its_query() {
        let dependencies =
            |path: &str, query: &str| match Endpoint::parse(&Method::GET, path, Some(query)) {
                Ok(Endpoint::Dependencies { names, json }) => (names, json),
                other => panic!("{other:?}"),
            };
        assert_eq!(
            dependencies("api/v1/dependencies.json", "gems=a,,b%2Cc"),
            (vec![name("a"), name("b"), name("c")], true)
        );
        assert_eq!(dependencies("api/v1/dependencies", ""), (vec![], false));
        let many = vec!["g"; 500].join(",");
        let (names, _) = dependencies("api/v1/dependencies", &format!("gems={many}"));
        assert_eq!(names.len(), MAX_DEPENDENCY_NAMES);
    }

    #[test]
    fn writes_are_told_apart_by_method() {
        let at = |m: Method, p: &str, q: Option<&str>| Endpoint::parse(&m, p, q);
        assert_eq!(
            at(Method::POST, "api/v1/gems", None).unwrap(),
            Endpoint::Push
        );
        let Endpoint::Yank { fields } =
            at(Method::DELETE, "api/v1/gems/yank", Some("gem_name=tiny")).unwrap()
        else {
            panic!("a yank")
        };
        assert_eq!(fields["gem_name"], "tiny");
        for method in [Method::GET, Method::POST, Method::DELETE, Method::PUT] {
            assert_eq!(
                at(method, "api/v1/api_key", None).unwrap(),
                Endpoint::ApiKey
            );
        }
        for (method, path) in [
            (Method::PUT, ""),
            (Method::POST, "versions"),
            (Method::DELETE, "gems/x.gem"),
        ] {
            assert_eq!(
                status(at(method, path, None)),
                StatusCode::METHOD_NOT_ALLOWED,
                "{path}"
            );
        }
        assert_eq!(
            status(at(Method::GET, "api/v1/gems/yank", None)),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            at(Method::HEAD, "versions", None).unwrap(),
            Endpoint::Versions
        );
    }

    #[test]
    fn hostile_paths_name_nothing_or_only_a_name_to_compare() {
        for path in [
            "/",
            "Versions",
            "versions/",
            "specs.4.8",
            "gems/tinygem",
            "quick/Marshal.4.8/x.gemspec",
            "api/v1/gems",
            "api/v1/versions.json",
            "../versions",
        ] {
            assert_eq!(status(get(path)), StatusCode::NOT_FOUND, "{path}");
        }
        for (path, want) in [
            (
                "gems/.gem",
                Endpoint::Gem {
                    stem: String::new(),
                },
            ),
            (
                "gems/../../etc/passwd.gem",
                Endpoint::Gem {
                    stem: name("../../etc/passwd"),
                },
            ),
            (
                "info/",
                Endpoint::Info {
                    name: String::new(),
                },
            ),
            (
                "info/a/../../b",
                Endpoint::Info {
                    name: name("a/../../b"),
                },
            ),
            (
                "api/v1/versions//latest.json",
                Endpoint::LatestVersion {
                    name: String::new(),
                },
            ),
        ] {
            assert_eq!(get(path).unwrap(), want, "{path}");
        }
    }
}
