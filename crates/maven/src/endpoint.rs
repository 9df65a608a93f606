//! Reads a request under `BASE/maven/OWNER/REPOSITORY/` (its method, and
//! the owner, repository and path of its URL) into the endpoint it
//! addresses, before anything is looked up. The path's own grammar is
//! `path::parse`.

use axum::http::Method;

use crate::path::{self, MavenPath, PathError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET` or `HEAD`: a stored file, a generated `maven-metadata.xml`,
    /// or a checksum of either.
    Read { path: MavenPath, head: bool },
    /// `PUT`: a file to deploy. A client's `maven-metadata.xml` and
    /// checksum files are checked against what the server holds, not kept.
    Deploy(MavenPath),
    /// Any other method: refused once the repository has been found, so
    /// that a repository the caller may not see answers alike to every
    /// method.
    Unsupported(MavenPath),
}

impl Endpoint {
    /// `rest` is what follows `BASE/maven/OWNER/REPOSITORY/`.
    pub fn parse(
        method: &Method,
        owner: &str,
        repository: &str,
        rest: &str,
    ) -> Result<Endpoint, PathError> {
        if owner.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(PathError::Invalid(format!(
                "write the owner in lowercase: /maven/{}/{repository}/",
                owner.to_ascii_lowercase()
            )));
        }
        let path = path::parse(rest)?;
        Ok(match *method {
            Method::GET => Endpoint::Read { path, head: false },
            Method::HEAD => Endpoint::Read { path, head: true },
            Method::PUT => Endpoint::Deploy(path),
            _ => Endpoint::Unsupported(path),
        })
    }

    /// The path the request names.
    pub fn path(&self) -> &MavenPath {
        match self {
            Endpoint::Read { path, .. } | Endpoint::Deploy(path) | Endpoint::Unsupported(path) => {
                path
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JAR: &str = "com/example/tiny/1.0.0/tiny-1.0.0.jar";

    fn parse(method: &Method, rest: &str) -> Result<Endpoint, PathError> {
        Endpoint::parse(method, "alice", "lib", rest)
    }

    #[test]
    fn methods_choose_the_endpoint() {
        let jar = path::parse(JAR).unwrap();
        assert_eq!(
            parse(&Method::GET, JAR),
            Ok(Endpoint::Read {
                path: jar.clone(),
                head: false
            })
        );
        assert_eq!(
            parse(&Method::HEAD, JAR),
            Ok(Endpoint::Read {
                path: jar.clone(),
                head: true
            })
        );
        assert_eq!(parse(&Method::PUT, JAR), Ok(Endpoint::Deploy(jar.clone())));
        assert_eq!(
            parse(&Method::DELETE, JAR),
            Ok(Endpoint::Unsupported(jar.clone()))
        );
        assert_eq!(parse(&Method::POST, JAR).unwrap().path(), &jar);
    }

    #[test]
    fn an_uppercase_owner_is_refused_with_the_url_to_use() {
        assert_eq!(
            Endpoint::parse(&Method::GET, "Alice", "lib", JAR),
            Err(PathError::Invalid(
                "write the owner in lowercase: /maven/alice/lib/".into()
            ))
        );
    }

    #[test]
    fn hostile_paths_are_refused_whatever_the_method() {
        for rest in [
            "",
            "/",
            "..",
            "com/example/tiny/1.0.0/../../../../etc/passwd",
            "com/example/tiny/1.0.0/%2e%2e/x.jar",
            "com/example/tiny/1.0.0/tiny-1.0.0.jar/",
            "/com/example/tiny/1.0.0/tiny-1.0.0.jar",
            "com/example/tiny/1.0.0/tiny-1.0.0.jar\0",
            "com/example/tiny/1.0.0/tiny-1.0.0.jar\r\nX: y",
            "com/./tiny/1.0.0/tiny-1.0.0.jar",
            "com/example/tiny/~/tiny-1.0.0.jar",
            "com/exa mple/tiny/1.0.0/tiny-1.0.0.jar",
            "com/example/tiny/1.0.0/tiny-1.0.0.jar.md5.sha1/x",
            "com/example/tiny/maven-metadata.xml/x",
            &"a/".repeat(300),
        ] {
            for method in [Method::GET, Method::PUT, Method::DELETE] {
                assert!(
                    matches!(parse(&method, rest), Err(PathError::Invalid(_))),
                    "{method} {rest:?}: {:?}",
                    parse(&method, rest)
                );
            }
        }
    }
}
