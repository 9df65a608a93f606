//! Parses a `/v2/...` request (its method and path, whose repository names
//! hold slashes) into the one typed endpoint it addresses, before any
//! lookup: the repository name is checked here; digests, references and
//! upload ids are checked by their handlers, after the caller's access.

use axum::http::Method;

use crate::name::RepoName;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /v2/`: the API version check.
    Base,
    /// `GET /v2/_catalog`.
    Catalog,
    /// `GET`/`HEAD /v2/<name>/blobs/<digest>`.
    GetBlob {
        repo: RepoName,
        digest: String,
        head: bool,
    },
    /// `DELETE /v2/<name>/blobs/<digest>`.
    DeleteBlob { repo: RepoName, digest: String },
    /// `POST /v2/<name>/blobs/uploads/`: a mount, a monolithic upload, or
    /// a session.
    StartUpload { repo: RepoName },
    /// `GET`/`HEAD /v2/<name>/blobs/uploads/<id>`.
    UploadStatus { repo: RepoName, id: String },
    /// `PATCH /v2/<name>/blobs/uploads/<id>`: the next chunk.
    AppendUpload { repo: RepoName, id: String },
    /// `PUT /v2/<name>/blobs/uploads/<id>?digest=`: the last chunk.
    FinishUpload { repo: RepoName, id: String },
    /// `DELETE /v2/<name>/blobs/uploads/<id>`.
    CancelUpload { repo: RepoName, id: String },
    /// `GET`/`HEAD /v2/<name>/manifests/<reference>`.
    GetManifest {
        repo: RepoName,
        reference: String,
        head: bool,
    },
    /// `PUT /v2/<name>/manifests/<reference>`.
    PutManifest { repo: RepoName, reference: String },
    /// `DELETE /v2/<name>/manifests/<reference>`.
    DeleteManifest { repo: RepoName, reference: String },
    /// `GET /v2/<name>/tags/list`.
    Tags { repo: RepoName },
    /// `GET /v2/<name>/referrers/<digest>`.
    Referrers { repo: RepoName, digest: String },
    /// An endpoint of a repository whose name breaks the grammar.
    InvalidName(String),
    /// A path this API does not have.
    NotFound,
    /// A path it has, with a method it does not take there.
    MethodNotAllowed,
}

/// What a path below a repository name addresses.
#[derive(Debug, Clone, Copy)]
enum Resource<'a> {
    Uploads,
    Upload(&'a str),
    Tags,
    Blob(&'a str),
    Manifest(&'a str),
    Referrers(&'a str),
}

impl<'a> Resource<'a> {
    /// Splits `NAME/RESOURCE`, reading the resource from the end (a name
    /// may itself hold `blobs` or `manifests`); `None` for no resource.
    fn split(path: &'a str) -> Option<(&'a str, Resource<'a>)> {
        if let Some(name) = path
            .strip_suffix("/blobs/uploads")
            .or_else(|| path.strip_suffix("/blobs/uploads/"))
        {
            return Some((name, Resource::Uploads));
        }
        if let Some((name, id)) = path.rsplit_once("/blobs/uploads/") {
            return Some((name, Resource::Upload(id)));
        }
        if let Some(name) = path.strip_suffix("/tags/list") {
            return Some((name, Resource::Tags));
        }
        if let Some((name, rest)) = path.rsplit_once("/blobs/") {
            return Some((name, Resource::Blob(rest)));
        }
        if let Some((name, rest)) = path.rsplit_once("/manifests/") {
            return Some((name, Resource::Manifest(rest)));
        }
        let (name, rest) = path.rsplit_once("/referrers/")?;
        Some((name, Resource::Referrers(rest)))
    }

    /// Whether the resource takes `method` (and, for the last path
    /// segment, that it is one segment).
    fn allows(self, method: &Method) -> bool {
        let get = *method == Method::GET || *method == Method::HEAD;
        match self {
            Resource::Uploads => *method == Method::POST,
            Resource::Upload(id) => {
                let ok = get || matches!(*method, Method::PATCH | Method::PUT | Method::DELETE);
                ok && !id.is_empty() && !id.contains('/')
            }
            Resource::Tags => get,
            Resource::Blob(rest) => (get || *method == Method::DELETE) && !rest.contains('/'),
            Resource::Manifest(rest) => {
                let ok = get || matches!(*method, Method::PUT | Method::DELETE);
                ok && !rest.contains('/')
            }
            Resource::Referrers(rest) => get && !rest.contains('/'),
        }
    }

    /// The endpoint, for a method the resource allows.
    fn endpoint(self, method: &Method, repo: RepoName) -> Endpoint {
        let head = *method == Method::HEAD;
        match self {
            Resource::Uploads => Endpoint::StartUpload { repo },
            Resource::Tags => Endpoint::Tags { repo },
            Resource::Upload(id) => {
                let id = id.to_owned();
                match *method {
                    Method::PATCH => Endpoint::AppendUpload { repo, id },
                    Method::PUT => Endpoint::FinishUpload { repo, id },
                    Method::DELETE => Endpoint::CancelUpload { repo, id },
                    _ => Endpoint::UploadStatus { repo, id },
                }
            }
            Resource::Blob(digest) => {
                let digest = digest.to_owned();
                match *method {
                    Method::DELETE => Endpoint::DeleteBlob { repo, digest },
                    _ => Endpoint::GetBlob { repo, digest, head },
                }
            }
            Resource::Manifest(reference) => {
                let reference = reference.to_owned();
                match *method {
                    Method::PUT => Endpoint::PutManifest { repo, reference },
                    Method::DELETE => Endpoint::DeleteManifest { repo, reference },
                    _ => Endpoint::GetManifest {
                        repo,
                        reference,
                        head,
                    },
                }
            }
            Resource::Referrers(digest) => Endpoint::Referrers {
                repo,
                digest: digest.to_owned(),
            },
        }
    }
}

impl Endpoint {
    /// The repository the endpoint addresses, if it addresses one.
    pub fn repo(&self) -> Option<&RepoName> {
        match self {
            Endpoint::GetBlob { repo, .. }
            | Endpoint::DeleteBlob { repo, .. }
            | Endpoint::StartUpload { repo }
            | Endpoint::UploadStatus { repo, .. }
            | Endpoint::AppendUpload { repo, .. }
            | Endpoint::FinishUpload { repo, .. }
            | Endpoint::CancelUpload { repo, .. }
            | Endpoint::GetManifest { repo, .. }
            | Endpoint::PutManifest { repo, .. }
            | Endpoint::DeleteManifest { repo, .. }
            | Endpoint::Tags { repo }
            | Endpoint::Referrers { repo, .. } => Some(repo),
            Endpoint::Base
            | Endpoint::Catalog
            | Endpoint::InvalidName(_)
            | Endpoint::NotFound
            | Endpoint::MethodNotAllowed => None,
        }
    }

    /// `path` is what follows `/v2/`. A wrong method is told before an
    /// invalid name, an invalid name before anything else.
    pub fn parse(method: &Method, path: &str) -> Endpoint {
        let path = path.trim_start_matches('/');
        let get = *method == Method::GET || *method == Method::HEAD;
        let fixed = match path {
            "" => Some(Endpoint::Base),
            "_catalog" => Some(Endpoint::Catalog),
            _ => None,
        };
        if let Some(endpoint) = fixed {
            return if get {
                endpoint
            } else {
                Endpoint::MethodNotAllowed
            };
        }
        let Some((name, resource)) = Resource::split(path) else {
            return Endpoint::NotFound;
        };
        if !resource.allows(method) {
            return Endpoint::MethodNotAllowed;
        }
        match RepoName::parse(name) {
            Some(repo) => resource.endpoint(method, repo),
            None => Endpoint::InvalidName(name.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str) -> RepoName {
        RepoName::parse(name).unwrap()
    }

    fn digest() -> String {
        format!("sha256:{}", "a".repeat(64))
    }

    #[test]
    fn nested_names_parse_for_every_endpoint() {
        let n = || repo("alice/web/app");
        let d = digest;
        let parse = |method: Method, path: &str| Endpoint::parse(&method, path);
        assert_eq!(parse(Method::GET, ""), Endpoint::Base);
        assert_eq!(parse(Method::HEAD, "/"), Endpoint::Base);
        assert_eq!(parse(Method::GET, "_catalog"), Endpoint::Catalog);
        let blob = format!("alice/web/app/blobs/{}", d());
        assert_eq!(
            parse(Method::HEAD, &blob),
            Endpoint::GetBlob {
                repo: n(),
                digest: d(),
                head: true
            }
        );
        assert_eq!(
            parse(Method::DELETE, &blob),
            Endpoint::DeleteBlob {
                repo: n(),
                digest: d()
            }
        );
        for path in [
            "alice/web/app/blobs/uploads/",
            "alice/web/app/blobs/uploads",
        ] {
            assert_eq!(
                parse(Method::POST, path),
                Endpoint::StartUpload { repo: n() }
            );
        }
        let upload = "alice/web/app/blobs/uploads/abc";
        let id = || "abc".to_owned();
        assert_eq!(
            parse(Method::PATCH, upload),
            Endpoint::AppendUpload {
                repo: n(),
                id: id()
            }
        );
        assert_eq!(
            parse(Method::PUT, upload),
            Endpoint::FinishUpload {
                repo: n(),
                id: id()
            }
        );
        assert_eq!(
            parse(Method::DELETE, upload),
            Endpoint::CancelUpload {
                repo: n(),
                id: id()
            }
        );
        assert_eq!(
            parse(Method::HEAD, upload),
            Endpoint::UploadStatus {
                repo: n(),
                id: id()
            }
        );
        let reference = || "1.0".to_owned();
        assert_eq!(
            parse(Method::GET, "alice/web/app/manifests/1.0"),
            Endpoint::GetManifest {
                repo: n(),
                reference: reference(),
                head: false
            }
        );
        assert_eq!(
            parse(Method::PUT, "alice/web/app/manifests/1.0"),
            Endpoint::PutManifest {
                repo: n(),
                reference: reference()
            }
        );
        assert_eq!(
            parse(Method::DELETE, "alice/web/app/manifests/1.0"),
            Endpoint::DeleteManifest {
                repo: n(),
                reference: reference()
            }
        );
        assert_eq!(
            parse(Method::GET, "alice/web/app/tags/list"),
            Endpoint::Tags { repo: n() }
        );
        assert_eq!(
            parse(Method::GET, &format!("alice/web/app/referrers/{}", d())),
            Endpoint::Referrers {
                repo: n(),
                digest: d()
            }
        );
    }

    #[test]
    fn wrong_methods_and_unknown_paths_are_told_apart() {
        let parse = |method: Method, path: &str| Endpoint::parse(&method, path);
        for (method, path) in [
            (Method::POST, "alice/app/manifests/1.0"),
            (Method::GET, "alice/app/blobs/uploads"),
            (Method::POST, ""),
            (Method::DELETE, "_catalog"),
            (Method::PUT, "alice/app/tags/list"),
            (Method::PATCH, "alice/app/blobs/x"),
            (Method::POST, "alice/app/referrers/x"),
        ] {
            assert_eq!(parse(method, path), Endpoint::MethodNotAllowed, "{path}");
        }
        assert_eq!(parse(Method::GET, "alice/app/other"), Endpoint::NotFound);
        assert_eq!(parse(Method::GET, "alice"), Endpoint::NotFound);
        // A repository may itself be called "blobs" or "manifests".
        assert_eq!(
            parse(Method::GET, "alice/manifests/manifests/latest"),
            Endpoint::GetManifest {
                repo: repo("alice/manifests"),
                reference: "latest".into(),
                head: false
            }
        );
        assert_eq!(
            parse(Method::GET, "alice/blobs/tags/list"),
            Endpoint::Tags {
                repo: repo("alice/blobs")
            }
        );
    }

    #[test]
    fn hostile_paths_never_reach_a_repository() {
        let parse = |method: Method, path: &str| Endpoint::parse(&method, path);
        for name in [
            "../alice/app",
            "alice/../bob",
            "alice/./app",
            "alice//app",
            "ALICE/app",
            "alice/app%2Fother",
            "alice/app\0",
            "alice/app\r\nx-injected: 1",
            "alice/ápp",
            "alice",
        ] {
            assert_eq!(
                parse(Method::GET, &format!("{name}/tags/list")),
                Endpoint::InvalidName(name.to_owned()),
                "{name:?}"
            );
        }
        let long = format!("alice/{}", "a".repeat(300));
        assert_eq!(
            parse(Method::GET, &format!("{long}/tags/list")),
            Endpoint::InvalidName(long)
        );
        assert_eq!(parse(Method::GET, "/tags/list"), Endpoint::NotFound);
        // Segments after the last separator never smuggle a path.
        assert_eq!(
            parse(Method::GET, "alice/app/blobs/sha256:a/../../x"),
            Endpoint::MethodNotAllowed
        );
        assert_eq!(
            parse(Method::PATCH, "alice/app/blobs/uploads/a/b"),
            Endpoint::MethodNotAllowed
        );
        assert_eq!(
            parse(Method::GET, "alice/app/manifests/v1/extra"),
            Endpoint::MethodNotAllowed
        );
        // A method the API does not know is refused wherever it goes.
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(
            parse(odd, "alice/app/manifests/v1"),
            Endpoint::MethodNotAllowed
        );
        // The name check comes after the method check.
        assert_eq!(
            parse(Method::POST, "../x/manifests/v1"),
            Endpoint::MethodNotAllowed
        );
    }
}
