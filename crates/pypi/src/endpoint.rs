//! Parses a PyPI request under `/pypi/OWNER/` (method, the path after the
//! owner, the query) into a typed endpoint, before any lookup.

use axum::http::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /` or `/legacy`: twine's upload form.
    Upload,
    /// `GET /simple/`: the owner's projects (PEP 503, PEP 691).
    Projects(Listing),
    /// `GET /simple/PROJECT/`: a project's files.
    Project {
        project: String,
        listing: Listing,
    },
    /// `GET /files/PROJECT/VERSION/FILE`: a distribution or its core
    /// metadata (`FILE.metadata`, PEP 658).
    File {
        project: String,
        version: String,
        filename: String,
        head: bool,
    },
    /// `GET /pypi/PROJECT/json`: PyPI's JSON API.
    ProjectJson {
        project: String,
    },
    /// `POST /PROJECT/VERSION/yank` or `…/unyank` (PEP 592).
    Yank {
        project: String,
        version: String,
        yank: bool,
    },
    NotFound,
}

/// How a simple index page was asked for: `?format=` (PEP 691), which
/// wins over `Accept`, and whether only the headers are wanted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Listing {
    pub format: Option<String>,
    pub head: bool,
}

impl Endpoint {
    /// `path` is what follows `/pypi/OWNER/`, already percent-decoded;
    /// `query` what follows `?`.
    pub fn parse(method: &Method, path: &str, query: Option<&str>) -> Endpoint {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let head = method == Method::HEAD;
        let listing = || Listing {
            format: entrepot_http::owner::form_fields(query.unwrap_or("")).remove("format"),
            head,
        };
        let owned = |s: &str| s.to_owned();
        match (method.clone(), segments.as_slice()) {
            (Method::POST, [] | ["legacy"]) => Endpoint::Upload,
            (Method::GET | Method::HEAD, ["simple"]) => Endpoint::Projects(listing()),
            (Method::GET | Method::HEAD, ["simple", project]) => Endpoint::Project {
                project: owned(project),
                listing: listing(),
            },
            (Method::GET | Method::HEAD, ["files", project, version, filename]) => Endpoint::File {
                project: owned(project),
                version: owned(version),
                filename: owned(filename),
                head,
            },
            (Method::GET | Method::HEAD, ["pypi", project, "json"]) => Endpoint::ProjectJson {
                project: owned(project),
            },
            (Method::POST, [project, version, action @ ("yank" | "unyank")]) => Endpoint::Yank {
                project: owned(project),
                version: owned(version),
                yank: *action == "yank",
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
        Endpoint::parse(&method, path, None)
    }

    #[test]
    fn twine_and_pip_paths_parse() {
        assert_eq!(parse(Method::POST, ""), Endpoint::Upload);
        assert_eq!(parse(Method::POST, "legacy/"), Endpoint::Upload);
        assert_eq!(
            parse(Method::GET, "simple/"),
            Endpoint::Projects(Listing::default())
        );
        assert_eq!(
            Endpoint::parse(
                &Method::HEAD,
                "simple/hello-world/",
                Some("format=text%2Fhtml")
            ),
            Endpoint::Project {
                project: "hello-world".into(),
                listing: Listing {
                    format: Some("text/html".into()),
                    head: true
                }
            }
        );
        assert_eq!(
            parse(Method::GET, "files/hello/1.0/hello-1.0.tar.gz"),
            Endpoint::File {
                project: "hello".into(),
                version: "1.0".into(),
                filename: "hello-1.0.tar.gz".into(),
                head: false
            }
        );
        assert_eq!(
            parse(Method::GET, "pypi/hello/json"),
            Endpoint::ProjectJson {
                project: "hello".into()
            }
        );
        assert_eq!(
            parse(Method::POST, "hello/1.0/unyank"),
            Endpoint::Yank {
                project: "hello".into(),
                version: "1.0".into(),
                yank: false
            }
        );
    }

    #[test]
    fn methods_that_do_not_fit_find_nothing() {
        assert_eq!(parse(Method::GET, ""), Endpoint::NotFound);
        assert_eq!(parse(Method::PUT, "legacy"), Endpoint::NotFound);
        assert_eq!(parse(Method::POST, "simple"), Endpoint::NotFound);
        assert_eq!(parse(Method::GET, "hello/1.0/yank"), Endpoint::NotFound);
        assert_eq!(
            parse(Method::DELETE, "files/a/1/a-1.zip"),
            Endpoint::NotFound
        );
    }

    #[test]
    fn hostile_paths_find_nothing_or_stay_one_segment() {
        for path in [
            "simple/a/b",
            "files/a/1.0",
            "files/a/1.0/x/../../etc/passwd",
            "pypi/a/json/more",
            "pypi/a",
            "hello/1.0/delete",
            "simple/a/b/c/d/e/f/g",
        ] {
            for method in [Method::GET, Method::HEAD, Method::POST] {
                assert_eq!(
                    Endpoint::parse(&method, path, Some("format=%ff&format")),
                    Endpoint::NotFound,
                    "{method} {path}"
                );
            }
        }
        // Empty segments are no segments, and a dot segment is only a
        // name: it is looked up like any other, never resolved.
        assert_eq!(
            parse(Method::GET, "//simple//"),
            Endpoint::Projects(Listing::default())
        );
        assert_eq!(
            parse(Method::GET, "files/../../x"),
            Endpoint::File {
                project: "..".into(),
                version: "..".into(),
                filename: "x".into(),
                head: false
            }
        );
        assert_eq!(
            parse(Method::GET, "simple/a\r\nb"),
            Endpoint::Project {
                project: "a\r\nb".into(),
                listing: Listing::default()
            }
        );
    }
}
