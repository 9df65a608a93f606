//! Validation of the names users choose, so that no lookup ever runs on a
//! name that could not exist.

/// GitHub's login rule: 1–39 ASCII letters, digits or single hyphens, not
/// starting or ending with a hyphen.
pub fn is_valid_login(login: &str) -> bool {
    !login.is_empty()
        && login.len() <= 39
        && !login.starts_with('-')
        && !login.ends_with('-')
        && !login.contains("--")
        && login
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Logins no account may take, since the site's own paths use them (an
/// owner's page is `/{login}`) or they would read as the server's own.
pub fn is_reserved_login(login: &str) -> bool {
    // `admin` is the first site administrator's own login.
    const RESERVED: [&str; 30] = [
        "advisories",
        "api",
        "avatars",
        "cargo",
        "favicon.ico",
        "generic",
        "healthz",
        "login",
        "logout",
        "maven",
        "metrics",
        "new",
        "notifications",
        "npm",
        "nuget",
        "organizations",
        "orgs",
        "osv",
        "password-reset",
        "pypi",
        "readyz",
        "rubygems",
        "search",
        "settings",
        "signup",
        "static",
        "token",
        "users",
        "v2",
        "verify-email",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(login))
}

/// GitHub's repository name rule: 1–100 of letters, digits, `-`, `_`, `.`,
/// and never `.` or `..`.
pub fn is_valid_repo_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// PEP 503's normalized name, under which PyPI's `Foo.Bar` and `foo-bar`
/// are one project: lowercase, runs of `-`, `_` and `.` as one `-`.
pub fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            separator = true;
        } else {
            if separator && !out.is_empty() {
                out.push('-');
            }
            separator = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// The form under which crates.io's `Foo-Bar`, `foo_bar` and `FOO-BAR` are
/// one crate.
pub fn crate_canonical(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// Whether `name` matches `pattern`, where `*` is any run of characters.
pub fn glob(pattern: &str, name: &str) -> bool {
    let Some((first, rest)) = pattern.split_once('*') else {
        return pattern == name;
    };
    let Some(mut left) = name.strip_prefix(first) else {
        return false;
    };
    let mut parts: Vec<&str> = rest.split('*').collect();
    let last = parts.pop().unwrap_or_default();
    for part in parts {
        match left.find(part) {
            Some(at) => left = &left[at + part.len()..],
            None => return false,
        }
    }
    left.len() >= last.len() && left.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_follow_githubs_rule() {
        for ok in ["alice", "a", "acme-corp", "A1"] {
            assert!(is_valid_login(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "a_b", "a.b", &"x".repeat(40), "é"] {
            assert!(!is_valid_login(bad), "{bad}");
        }
    }

    #[test]
    fn repository_names_exclude_dots_alone_and_slashes() {
        assert!(is_valid_repo_name("hello.js_2-x"));
        for bad in ["", ".", "..", "a/b", "a b"] {
            assert!(!is_valid_repo_name(bad), "{bad}");
        }
    }
}
