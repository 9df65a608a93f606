//! What a request under `BASE/generic/OWNER/` asks for, read from its
//! method and path alone: `NAME/VERSION/FILE` to upload (PUT), download
//! (GET, HEAD) or nothing else, `NAME/VERSION` to delete a version. Names
//! are checked here, so no handler sees a path that could escape its place.

use axum::http::Method;

/// The longest package name, version or file name.
pub const MAX_PART_BYTES: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Upload(FilePath),
    Download {
        file: FilePath,
        head: bool,
    },
    DeleteVersion {
        name: String,
        version: String,
    },
    /// A path this format does not serve (404).
    Unknown,
    /// A method a known path does not take (405).
    NotAllowed,
    /// A name, version or file name that breaks the rules: why (400).
    Invalid(String),
}

/// One file of one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePath {
    pub name: String,
    pub version: String,
    pub file: String,
}

impl Endpoint {
    /// Reads `path` (what follows `OWNER/`, percent-decoded by the router).
    pub fn parse(method: &Method, path: &str) -> Endpoint {
        let parts: Vec<&str> = path.split('/').collect();
        match parts.as_slice() {
            [name, version] | [name, version, ""] => {
                if let Err(why) = check("package name", name).and_then(|()| check_version(version))
                {
                    return Endpoint::Invalid(why);
                }
                if *method == Method::DELETE {
                    Endpoint::DeleteVersion {
                        name: (*name).to_owned(),
                        version: (*version).to_owned(),
                    }
                } else {
                    Endpoint::NotAllowed
                }
            }
            [name, version, file] => {
                let checked = check("package name", name)
                    .and_then(|()| check_version(version))
                    .and_then(|()| check_file(file));
                if let Err(why) = checked {
                    return Endpoint::Invalid(why);
                }
                let file = FilePath {
                    name: (*name).to_owned(),
                    version: (*version).to_owned(),
                    file: (*file).to_owned(),
                };
                match *method {
                    Method::PUT => Endpoint::Upload(file),
                    Method::GET => Endpoint::Download { file, head: false },
                    Method::HEAD => Endpoint::Download { file, head: true },
                    _ => Endpoint::NotAllowed,
                }
            }
            _ => Endpoint::Unknown,
        }
    }
}

/// A package name: letters, digits, `.`, `_`, `-` and `+`, starting with a
/// letter or digit (GitLab's and Gitea's rule, which keeps URLs and file
/// systems plain).
fn check(what: &str, text: &str) -> Result<(), String> {
    let ok = !text.is_empty()
        && text.len() <= MAX_PART_BYTES
        && text.starts_with(|c: char| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid {what} `{}`: use letters, digits, `.`, `_`, `-` and `+`, \
             starting with a letter or a digit, at most {MAX_PART_BYTES} bytes",
            shown(text)
        ))
    }
}

fn check_version(version: &str) -> Result<(), String> {
    check("version", version)
}

/// A file name: as a package name, and `~` too; never `.` or `..`.
fn check_file(file: &str) -> Result<(), String> {
    let ok = !file.is_empty()
        && file.len() <= MAX_PART_BYTES
        && file.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
        && file
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '~'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "invalid file name `{}`: use letters, digits, `.`, `_`, `-`, `+` and `~`, \
             starting with a letter, a digit or `_`, at most {MAX_PART_BYTES} bytes",
            shown(file)
        ))
    }
}

/// A name as an error repeats it: cut, control characters escaped.
fn shown(text: &str) -> String {
    text.chars().take(64).flat_map(char::escape_debug).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(name: &str, version: &str, file: &str) -> FilePath {
        FilePath {
            name: name.into(),
            version: version.into(),
            file: file.into(),
        }
    }

    #[test]
    fn files_are_put_got_and_versions_deleted() {
        assert_eq!(
            Endpoint::parse(&Method::PUT, "tool/1.2.3/tool-linux-amd64.tar.gz"),
            Endpoint::Upload(file("tool", "1.2.3", "tool-linux-amd64.tar.gz"))
        );
        assert_eq!(
            Endpoint::parse(&Method::HEAD, "tool/v1.2.3+build.5/SHA256SUMS"),
            Endpoint::Download {
                file: file("tool", "v1.2.3+build.5", "SHA256SUMS"),
                head: true
            }
        );
        assert_eq!(
            Endpoint::parse(&Method::DELETE, "tool/1.2.3"),
            Endpoint::DeleteVersion {
                name: "tool".into(),
                version: "1.2.3".into()
            }
        );
        assert_eq!(
            Endpoint::parse(&Method::POST, "tool/1.2.3/a.txt"),
            Endpoint::NotAllowed
        );
        assert_eq!(
            Endpoint::parse(&Method::GET, "tool/1.2.3"),
            Endpoint::NotAllowed
        );
    }

    #[test]
    fn hostile_paths_go_nowhere() {
        for path in [
            "tool/1.0/../../etc/passwd",
            "tool/1.0/a/b",
            "",
            "tool",
            "tool/1.0/x/",
            "../tool/1.0/x",
        ] {
            assert!(
                matches!(
                    Endpoint::parse(&Method::GET, path),
                    Endpoint::Unknown | Endpoint::NotAllowed
                ),
                "{path:?}"
            );
        }
        for path in [
            "tool/1.0/..",
            "tool/1.0/.hidden",
            "tool/../x",
            "tool/1.0/a%2Fb",
            "tool/1.0/a\nb",
            "tool/1.0/a b",
            "-tool/1.0/x",
            "tool/1.0/é",
        ] {
            assert!(
                matches!(Endpoint::parse(&Method::GET, path), Endpoint::Invalid(_)),
                "{path:?}"
            );
        }
        let long = "a".repeat(256);
        assert!(matches!(
            Endpoint::parse(&Method::PUT, &format!("tool/1.0/{long}")),
            Endpoint::Invalid(_)
        ));
        let Endpoint::Invalid(why) = Endpoint::parse(&Method::PUT, "tool/1.0/a\u{7}b") else {
            panic!("invalid");
        };
        assert!(why.contains("a\\u{7}b"), "{why}");
    }
}
