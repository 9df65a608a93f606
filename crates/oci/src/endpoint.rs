//! Parses `/v2/...` paths, whose repository names hold slashes, into typed
//! endpoints before any lookup.

use axum::http::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /v2/`: the API version check.
    Base,
    Catalog,
    Blob {
        name: String,
        digest: String,
    },
    StartUpload {
        name: String,
    },
    Upload {
        name: String,
        id: String,
    },
    Manifest {
        name: String,
        reference: String,
    },
    Tags {
        name: String,
    },
    Referrers {
        name: String,
        digest: String,
    },
    /// A path this API does not have (or the wrong method on one).
    NotFound,
    MethodNotAllowed,
}

impl Endpoint {
    /// `path` is what follows `/v2/`.
    pub fn parse(method: &Method, path: &str) -> Endpoint {
        let path = path.trim_start_matches('/');
        let get = method == Method::GET || method == Method::HEAD;
        if path.is_empty() {
            return if get {
                Endpoint::Base
            } else {
                Endpoint::MethodNotAllowed
            };
        }
        if path == "_catalog" {
            return if get {
                Endpoint::Catalog
            } else {
                Endpoint::MethodNotAllowed
            };
        }
        let allowed = |ok: bool, e: Endpoint| if ok { e } else { Endpoint::MethodNotAllowed };
        if let Some(name) = path
            .strip_suffix("/blobs/uploads")
            .or_else(|| path.strip_suffix("/blobs/uploads/"))
        {
            return allowed(
                method == Method::POST,
                Endpoint::StartUpload {
                    name: name.to_owned(),
                },
            );
        }
        if let Some((name, id)) = path.rsplit_once("/blobs/uploads/") {
            let ok = get || matches!(*method, Method::PATCH | Method::PUT | Method::DELETE);
            return allowed(
                ok && !id.is_empty() && !id.contains('/'),
                Endpoint::Upload {
                    name: name.to_owned(),
                    id: id.to_owned(),
                },
            );
        }
        if let Some(name) = path.strip_suffix("/tags/list") {
            return allowed(
                get,
                Endpoint::Tags {
                    name: name.to_owned(),
                },
            );
        }
        if let Some((name, rest)) = path.rsplit_once("/blobs/") {
            let ok = get || *method == Method::DELETE;
            return allowed(
                ok && !rest.contains('/'),
                Endpoint::Blob {
                    name: name.to_owned(),
                    digest: rest.to_owned(),
                },
            );
        }
        if let Some((name, rest)) = path.rsplit_once("/manifests/") {
            let ok = get || matches!(*method, Method::PUT | Method::DELETE);
            return allowed(
                ok && !rest.contains('/'),
                Endpoint::Manifest {
                    name: name.to_owned(),
                    reference: rest.to_owned(),
                },
            );
        }
        if let Some((name, rest)) = path.rsplit_once("/referrers/") {
            return allowed(
                get && !rest.contains('/'),
                Endpoint::Referrers {
                    name: name.to_owned(),
                    digest: rest.to_owned(),
                },
            );
        }
        Endpoint::NotFound
    }

    /// The repository the endpoint addresses, if any.
    pub fn name(&self) -> Option<&str> {
        match self {
            Endpoint::Blob { name, .. }
            | Endpoint::StartUpload { name }
            | Endpoint::Upload { name, .. }
            | Endpoint::Manifest { name, .. }
            | Endpoint::Tags { name }
            | Endpoint::Referrers { name, .. } => Some(name),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_names_parse_for_every_endpoint() {
        let n = || "alice/web/app".to_owned();
        let d = || format!("sha256:{}", "a".repeat(64));
        assert_eq!(Endpoint::parse(&Method::GET, ""), Endpoint::Base);
        assert_eq!(Endpoint::parse(&Method::GET, "_catalog"), Endpoint::Catalog);
        assert_eq!(
            Endpoint::parse(&Method::HEAD, &format!("alice/web/app/blobs/{}", d())),
            Endpoint::Blob {
                name: n(),
                digest: d()
            }
        );
        assert_eq!(
            Endpoint::parse(&Method::POST, "alice/web/app/blobs/uploads/"),
            Endpoint::StartUpload { name: n() }
        );
        assert_eq!(
            Endpoint::parse(&Method::PATCH, "alice/web/app/blobs/uploads/abc"),
            Endpoint::Upload {
                name: n(),
                id: "abc".into()
            }
        );
        assert_eq!(
            Endpoint::parse(&Method::PUT, "alice/web/app/manifests/1.0"),
            Endpoint::Manifest {
                name: n(),
                reference: "1.0".into()
            }
        );
        assert_eq!(
            Endpoint::parse(&Method::GET, "alice/web/app/tags/list"),
            Endpoint::Tags { name: n() }
        );
        assert_eq!(
            Endpoint::parse(&Method::GET, &format!("alice/web/app/referrers/{}", d())),
            Endpoint::Referrers {
                name: n(),
                digest: d()
            }
        );
    }

    #[test]
    fn wrong_methods_and_unknown_paths_are_told_apart() {
        assert_eq!(
            Endpoint::parse(&Method::POST, "alice/app/manifests/1.0"),
            Endpoint::MethodNotAllowed
        );
        assert_eq!(
            Endpoint::parse(&Method::GET, "alice/app/blobs/uploads"),
            Endpoint::MethodNotAllowed
        );
        assert_eq!(
            Endpoint::parse(&Method::GET, "alice/app/other"),
            Endpoint::NotFound
        );
        // A repository may itself be called "blobs" or "manifests".
        assert_eq!(
            Endpoint::parse(&Method::GET, "alice/manifests/manifests/latest"),
            Endpoint::Manifest {
                name: "alice/manifests".into(),
                reference: "latest".into()
            }
        );
    }
}
