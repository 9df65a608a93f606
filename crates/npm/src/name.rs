//! npm package names as this registry accepts them: scoped by their
//! owner, `@OWNER/NAME`, lowercase and URL-safe.

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

    /// The file name of a version's tarball, `NAME-VERSION.tgz`.
    pub fn tarball(&self, version: &str) -> String {
        format!("{}-{version}.tgz", self.name)
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

#[cfg(test)]
mod tests {
    use super::NpmName;

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
            "@alice/..",
            "@alice/a/b",
            "@alice/a\0",
            "@../x",
        ] {
            assert!(NpmName::parse(bad).is_err(), "{bad}");
        }
    }
}
