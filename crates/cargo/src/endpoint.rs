//! Reads a request under `BASE/cargo/OWNER/` (method and the path after
//! the owner) into the endpoint it addresses, before anything is looked
//! up: the sparse index under `index/` and the web API under `api/v1/`.

use axum::http::Method;

use crate::names;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET index/config.json`: where crates download from, where the API
    /// is, and whether cargo must send its token.
    Config { head: bool },
    /// `GET index/PATH`, `PATH` in cargo's layout (`1/a`, `3/s/syn`,
    /// `se/rd/serde`): the index file of the crate `name`, lowercase.
    IndexFile { name: String, head: bool },
    /// `GET index/PATH` for a path outside cargo's layout: no file, once
    /// the owner has been looked up (an unknown owner answers as it does
    /// everywhere else).
    NoIndexFile,
    /// `PUT api/v1/crates/new`: `cargo publish`.
    Publish,
    /// `GET api/v1/crates?q=…`: `cargo search`.
    Search,
    /// `GET api/v1/crates/NAME/VERSION/download`: the `.crate`.
    Download {
        name: String,
        version: String,
        head: bool,
    },
    /// `DELETE api/v1/crates/NAME/VERSION/yank` (`yanked`) and
    /// `PUT …/unyank`: `cargo yank [--undo]`.
    Yank {
        name: String,
        version: String,
        yanked: bool,
    },
    /// `GET api/v1/crates/NAME/owners`: `cargo owner --list`.
    ListOwners { name: String },
    /// `PUT` (`add`) or `DELETE api/v1/crates/NAME/owners`: `cargo owner
    /// --add` and `--remove`.
    ChangeOwners { name: String, add: bool },
    /// `POST api/v1/trusted_publishing/tokens`: a CI token exchanged.
    MintToken,
    /// `DELETE api/v1/trusted_publishing/tokens`: the minted token revoked.
    RevokeToken,
    /// Anything else, including a known path with another method.
    NotFound,
}

impl Endpoint {
    /// `path` is what follows `BASE/cargo/OWNER/`, without a leading slash.
    pub fn parse(method: &Method, path: &str) -> Endpoint {
        let head = method == Method::HEAD;
        let read = method == Method::GET || head;
        let segments: Vec<&str> = path.split('/').collect();
        let owned = |s: &str| s.to_owned();
        match segments.as_slice() {
            ["index", "config.json"] if read => Endpoint::Config { head },
            ["index", ..] if read => {
                match path.strip_prefix("index/").and_then(names::from_index_path) {
                    Some(name) => Endpoint::IndexFile {
                        name: owned(name),
                        head,
                    },
                    None => Endpoint::NoIndexFile,
                }
            }
            ["api", "v1", "crates", "new"] if method == Method::PUT => Endpoint::Publish,
            ["api", "v1", "crates"] if read => Endpoint::Search,
            ["api", "v1", "crates", name, version, "download"] if read => Endpoint::Download {
                name: owned(name),
                version: owned(version),
                head,
            },
            [
                "api",
                "v1",
                "crates",
                name,
                version,
                action @ ("yank" | "unyank"),
            ] if *method == yank_method(action) => Endpoint::Yank {
                name: owned(name),
                version: owned(version),
                yanked: *action == "yank",
            },
            ["api", "v1", "crates", name, "owners"] if method == Method::GET => {
                Endpoint::ListOwners { name: owned(name) }
            }
            ["api", "v1", "crates", name, "owners"]
                if method == Method::PUT || method == Method::DELETE =>
            {
                Endpoint::ChangeOwners {
                    name: owned(name),
                    add: method == Method::PUT,
                }
            }
            ["api", "v1", "trusted_publishing", "tokens"] if method == Method::POST => {
                Endpoint::MintToken
            }
            ["api", "v1", "trusted_publishing", "tokens"] if method == Method::DELETE => {
                Endpoint::RevokeToken
            }
            _ => Endpoint::NotFound,
        }
    }
}

/// Cargo yanks with `DELETE …/yank` and unyanks with `PUT …/unyank`.
fn yank_method(action: &str) -> Method {
    if action == "yank" {
        Method::DELETE
    } else {
        Method::PUT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(method: &Method, path: &str) -> Endpoint {
        Endpoint::parse(method, path)
    }

    #[test]
    fn every_endpoint_cargo_calls_is_read() {
        assert_eq!(
            parse(&Method::GET, "index/config.json"),
            Endpoint::Config { head: false }
        );
        assert_eq!(
            parse(&Method::HEAD, "index/se/rd/serde"),
            Endpoint::IndexFile {
                name: "serde".into(),
                head: true
            }
        );
        assert_eq!(
            parse(&Method::GET, "index/3/s/syn"),
            Endpoint::IndexFile {
                name: "syn".into(),
                head: false
            }
        );
        assert_eq!(parse(&Method::PUT, "api/v1/crates/new"), Endpoint::Publish);
        assert_eq!(parse(&Method::GET, "api/v1/crates"), Endpoint::Search);
        assert_eq!(
            parse(&Method::GET, "api/v1/crates/serde/1.0.0/download"),
            Endpoint::Download {
                name: "serde".into(),
                version: "1.0.0".into(),
                head: false
            }
        );
        assert_eq!(
            parse(&Method::DELETE, "api/v1/crates/serde/1.0.0/yank"),
            Endpoint::Yank {
                name: "serde".into(),
                version: "1.0.0".into(),
                yanked: true
            }
        );
        assert_eq!(
            parse(&Method::PUT, "api/v1/crates/serde/1.0.0/unyank"),
            Endpoint::Yank {
                name: "serde".into(),
                version: "1.0.0".into(),
                yanked: false
            }
        );
        assert_eq!(
            parse(&Method::GET, "api/v1/crates/serde/owners"),
            Endpoint::ListOwners {
                name: "serde".into()
            }
        );
        assert_eq!(
            parse(&Method::DELETE, "api/v1/crates/serde/owners"),
            Endpoint::ChangeOwners {
                name: "serde".into(),
                add: false
            }
        );
    }

    #[test]
    fn wrong_methods_are_not_found() {
        for (method, path) in [
            (Method::POST, "index/config.json"),
            (Method::PUT, "index/se/rd/serde"),
            (Method::GET, "api/v1/crates/new"),
            (Method::POST, "api/v1/crates"),
            (Method::PUT, "api/v1/crates/serde/1.0.0/yank"),
            (Method::DELETE, "api/v1/crates/serde/1.0.0/unyank"),
            (Method::DELETE, "api/v1/crates/serde/1.0.0/download"),
            (Method::POST, "api/v1/crates/serde/owners"),
        ] {
            assert_eq!(parse(&method, path), Endpoint::NotFound, "{method} {path}");
        }
    }

    #[test]
    fn hostile_paths_reach_no_crate() {
        for path in [
            "index",
            "index/",
            "index/se/rd/../serde",
            "index/../../etc/passwd",
            "index/Se/rd/Serde",
            "index/se/rd/serde/",
            "index/se/rd/ser%00de",
            "index/2/abc",
            "index//se/rd/serde",
        ] {
            assert_eq!(parse(&Method::GET, path), Endpoint::NoIndexFile, "{path}");
        }
        for path in [
            "",
            "api",
            "api/v1",
            "api/v1/crates/",
            "api/v1/crates/serde/1.0.0/download/",
            "api/v2/crates",
            "../index/config.json",
            "Index/config.json",
        ] {
            assert_eq!(parse(&Method::GET, path), Endpoint::NotFound, "{path}");
        }
    }
}
