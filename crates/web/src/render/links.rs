//! Where a README's relative links and images lead. A README is written
//! to be read in its repository, so `docs/guide.md` and `logo.png` mean
//! files there: links go to the host's file view, images to its raw file,
//! both at `HEAD` (the default branch, which the hosts resolve) and under
//! the package's directory in a monorepo. On a page of ours the same
//! relative URL would lead to a 404.

use std::borrow::Cow;

/// A repository's file view and raw files, for the hosts whose URL shapes
/// are known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkBase {
    /// `https://github.com/o/r`.
    home: String,
    /// `https://github.com/o/r/blob/HEAD/`, ending in `/`.
    blob: String,
    /// `https://github.com/o/r/raw/HEAD/`, ending in `/`.
    raw: String,
    /// The README's folder inside the repository: `""` or `packages/a/`.
    directory: String,
}

impl LinkBase {
    /// The base for a repository at `url` as manifests write it
    /// (`git+https://…/o/r.git`, `git@github.com:o/r.git`, `github:o/r`,
    /// `https://github.com/o/r/tree/main/packages/a`), with the package in
    /// `directory` of it. `None` for a host whose file URLs we do not know.
    #[must_use]
    pub fn of_repository(url: &str, directory: Option<&str>) -> Option<Self> {
        let (host, path) = host_and_path(url.trim())?;
        let host = host.to_ascii_lowercase();
        let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if let Some(last) = segments.last_mut() {
            *last = last.strip_suffix(".git").unwrap_or(last);
        }
        let (project, within) = match host.as_str() {
            "github.com" | "bitbucket.org" | "codeberg.org" => {
                if segments.len() < 2 {
                    return None;
                }
                // `…/tree/BRANCH/dir` names a folder: keep the folder.
                let within = match segments.get(2..) {
                    Some(["tree" | "src" | "blob", _branch, rest @ ..]) => rest.join("/"),
                    _ => String::new(),
                };
                (segments[..2].join("/"), within)
            }
            h if h.starts_with("gitlab.") => {
                // Subgroups nest: everything before GitLab's `/-/`.
                let end = segments
                    .iter()
                    .position(|s| *s == "-")
                    .unwrap_or(segments.len());
                if end < 2 {
                    return None;
                }
                let within = match segments.get(end + 1..) {
                    Some(["tree" | "blob", _branch, rest @ ..]) => rest.join("/"),
                    _ => String::new(),
                };
                (segments[..end].join("/"), within)
            }
            _ => return None,
        };
        if !project
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        {
            return None;
        }
        let root = format!("https://{host}/{project}");
        let (blob, raw) = match host.as_str() {
            "github.com" => (format!("{root}/blob/HEAD/"), format!("{root}/raw/HEAD/")),
            "bitbucket.org" => (format!("{root}/src/HEAD/"), format!("{root}/raw/HEAD/")),
            "codeberg.org" => (
                format!("{root}/src/branch/HEAD/"),
                format!("{root}/raw/branch/HEAD/"),
            ),
            _ => (
                format!("{root}/-/blob/HEAD/"),
                format!("{root}/-/raw/HEAD/"),
            ),
        };
        let directory = directory.map_or(within, str::to_owned);
        Some(LinkBase {
            home: root,
            blob,
            raw,
            directory: folder(&directory),
        })
    }

    /// The base for a package's own files, served under `files` (ending in
    /// `/`): links and images both lead there; `home` is the package's page.
    #[must_use]
    pub fn of_files(home: String, files: String) -> Self {
        LinkBase {
            home,
            blob: files.clone(),
            raw: files,
            directory: String::new(),
        }
    }

    /// The repository's own page.
    #[must_use]
    pub fn home(&self) -> &str {
        &self.home
    }

    /// What the cached rendering depends on.
    pub(crate) fn key(&self) -> String {
        format!("{}\n{}\n{}", self.blob, self.raw, self.directory)
    }

    /// `url` from a link, resolved in the repository's file view.
    #[must_use]
    pub fn link<'u>(&self, url: &'u str) -> Cow<'u, str> {
        self.resolve(url, &self.blob)
    }

    /// `url` from an image, resolved to the repository's raw file.
    #[must_use]
    pub fn image<'u>(&self, url: &'u str) -> Cow<'u, str> {
        self.resolve(url, &self.raw)
    }

    fn resolve<'u>(&self, url: &'u str, base: &str) -> Cow<'u, str> {
        // Rendering resolves, then sanitising sees the result: a package's
        // own files are under a path of this site, which stays as it is.
        if !is_relative_path(url) || url.starts_with(&self.blob) || url.starts_with(&self.raw) {
            return Cow::Borrowed(url);
        }
        let (path, rest) = url
            .find(['?', '#'])
            .map_or((url, ""), |at| url.split_at(at));
        let joined = if let Some(from_root) = path.strip_prefix('/') {
            from_root.to_owned()
        } else {
            format!("{}{path}", self.directory)
        };
        Cow::Owned(format!("{base}{}{rest}", normalised(&joined)))
    }
}

/// A URL that names a file in the same repository: not absolute, not
/// protocol-relative, not only a fragment.
fn is_relative_path(url: &str) -> bool {
    let scheme = url.find(':').is_some_and(|colon| {
        url[..colon]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
            && !url[..colon].contains('/')
    });
    !(url.is_empty() || scheme || url.starts_with("//") || url.starts_with('#'))
}

/// An in-page fragment, renamed as the sanitiser renames the ids it keeps
/// (`user-content-…`, GitHub's prefix), so that `#usage` finds its heading.
#[must_use]
pub fn fragment(url: &str) -> Option<String> {
    url.strip_prefix('#')
        .map(|name| format!("#{}{name}", super::ID_PREFIX))
}

/// The host and path of a repository URL in any of the forms manifests use.
fn host_and_path(url: &str) -> Option<(&str, &str)> {
    if let Some(shorthand) = url.strip_prefix("github:") {
        return Some(("github.com", shorthand));
    }
    if let Some(shorthand) = url.strip_prefix("gitlab:") {
        return Some(("gitlab.com", shorthand));
    }
    if let Some(shorthand) = url.strip_prefix("bitbucket:") {
        return Some(("bitbucket.org", shorthand));
    }
    let url = url.strip_prefix("git+").unwrap_or(url);
    if let Some(scp) = url.strip_prefix("git@") {
        // git@github.com:o/r.git
        return scp.split_once(':');
    }
    let rest = ["https://", "http://", "ssh://", "git://"]
        .iter()
        .find_map(|scheme| url.strip_prefix(scheme))?;
    let rest = rest
        .rsplit_once('@')
        .map_or(rest, |(_, r)| r)
        .split(['?', '#'])
        .next()?;
    let (host, path) = rest.split_once('/')?;
    // ssh://git@host:22/o/r
    Some((host.split(':').next()?, path))
}

/// `dir` as a folder prefix: `""` or `a/b/`, with no `.` or `..` left.
fn folder(dir: &str) -> String {
    let path = normalised(dir);
    if path.is_empty() {
        path
    } else {
        format!("{path}/")
    }
}

/// `path` with `.` and `..` taken out; `..` never climbs above the root.
fn normalised(path: &str) -> String {
    let trailing = path.ends_with('/');
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            s => kept.push(s),
        }
    }
    let mut out = kept.join("/");
    if trailing && !out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_forms_of_a_repository_are_understood() {
        for url in [
            "https://github.com/acme/tool",
            "https://github.com/acme/tool.git",
            "git+https://github.com/acme/tool.git",
            "git+ssh://git@github.com/acme/tool.git",
            "git@github.com:acme/tool.git",
            "github:acme/tool",
            "https://github.com/acme/tool/issues",
        ] {
            let base = LinkBase::of_repository(url, None).expect(url);
            assert_eq!(
                base.link("docs/a.md"),
                "https://github.com/acme/tool/blob/HEAD/docs/a.md",
                "{url}"
            );
            assert_eq!(
                base.image("./logo.png"),
                "https://github.com/acme/tool/raw/HEAD/logo.png",
                "{url}"
            );
        }
        assert_eq!(
            LinkBase::of_repository("https://example.com/a/b", None),
            None
        );
        assert_eq!(
            LinkBase::of_repository("https://github.com/acme", None),
            None
        );
        assert_eq!(
            LinkBase::of_repository("https://github.com/a/b\"><x", None),
            None
        );
    }

    #[test]
    fn a_monorepo_package_resolves_from_its_folder() {
        let base =
            LinkBase::of_repository("https://github.com/acme/mono/tree/main/packages/a", None)
                .unwrap();
        assert_eq!(
            base.link("README.md#usage"),
            "https://github.com/acme/mono/blob/HEAD/packages/a/README.md#usage"
        );
        assert_eq!(
            base.link("../b/x.md"),
            "https://github.com/acme/mono/blob/HEAD/packages/b/x.md"
        );
        assert_eq!(
            base.link("/LICENSE"),
            "https://github.com/acme/mono/blob/HEAD/LICENSE"
        );
        assert_eq!(
            base.link("../../../../etc"),
            "https://github.com/acme/mono/blob/HEAD/etc"
        );
        let npm =
            LinkBase::of_repository("git+https://github.com/acme/mono.git", Some("packages/b"))
                .unwrap();
        assert_eq!(
            npm.image("img/x.svg?raw=1"),
            "https://github.com/acme/mono/raw/HEAD/packages/b/img/x.svg?raw=1"
        );
    }

    #[test]
    fn other_hosts_have_their_own_file_urls() {
        let gitlab =
            LinkBase::of_repository("https://gitlab.com/group/sub/project.git", None).unwrap();
        assert_eq!(
            gitlab.link("a.md"),
            "https://gitlab.com/group/sub/project/-/blob/HEAD/a.md"
        );
        assert_eq!(
            gitlab.image("a.png"),
            "https://gitlab.com/group/sub/project/-/raw/HEAD/a.png"
        );
        let codeberg = LinkBase::of_repository("https://codeberg.org/o/r", None).unwrap();
        assert_eq!(
            codeberg.link("a.md"),
            "https://codeberg.org/o/r/src/branch/HEAD/a.md"
        );
    }

    #[test]
    fn absolute_urls_and_fragments_are_left_as_they_are() {
        let base = LinkBase::of_repository("github:acme/tool", None).unwrap();
        for url in [
            "https://example.com/x",
            "mailto:a@example.com",
            "//cdn.example.com/x.png",
            "#usage",
            "",
        ] {
            assert_eq!(base.link(url), url);
        }
        assert_eq!(fragment("#usage").as_deref(), Some("#user-content-usage"));
    }

    #[test]
    fn a_packages_own_files_resolve_once() {
        let files = "/users/a/packages/npm/package/p/-/files/1.0.0/";
        let base = LinkBase::of_files("/users/a/packages/npm/package/p".into(), files.into());
        let once = base.image("img/logo.png?raw=true").into_owned();
        assert_eq!(once, format!("{files}img/logo.png?raw=true"));
        assert_eq!(base.image(&once), once, "a resolved URL stays as it is");
        assert_eq!(base.link("/docs/a.md"), format!("{files}docs/a.md"));
        assert_eq!(base.link("../../x"), format!("{files}x"));
    }
}
