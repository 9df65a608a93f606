//! Crate names: crates.io's rules for what may be published, the
//! canonical form twins are detected by, and the sparse index's layout.

/// The longest name crates.io accepts.
pub const MAX_NAME: usize = 64;

/// Names Windows cannot create files under, which crates.io refuses.
const RESERVED: &[&str] = &[
    "nul", "con", "prn", "aux", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Why a name may not be published, or `None` when it may: 1 to 64 ASCII
/// letters, digits, `-` or `_`, starting with a letter, and not a Windows
/// device name.
pub fn name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the crate name is empty".into());
    }
    if name.len() > MAX_NAME {
        return Some(format!(
            "the crate name `{name}` is longer than {MAX_NAME} characters"
        ));
    }
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return Some(format!(
            "invalid crate name `{name}`: the first character must be an ASCII letter"
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Some(format!(
            "invalid crate name `{name}`: `{c}` is not allowed; use ASCII letters, digits, `-` and `_`"
        ));
    }
    if RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        return Some(format!("the crate name `{name}` is reserved"));
    }
    None
}

/// Whether a dependency's name could name a crate at all (cargo's own,
/// looser rule, since other registries are not bound by crates.io's).
pub fn is_plausible_dependency(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The form under which `Foo-Bar`, `foo_bar` and `FOO-BAR` are one name.
pub fn canonical(name: &str) -> String {
    entrepot_core::names::crate_canonical(name)
}

/// The crate name an index path names, if the path has cargo's layout:
/// `1/N`, `2/N`, `3/C/N` or `AB/CD/N`, all lowercase.
pub fn from_index_path(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    if !is_plausible_dependency(name) || name.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    (index_path(name) == path).then_some(name)
}

/// Where cargo looks for `name` in a sparse index.
pub fn index_path(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    match lower.len() {
        1 => format!("1/{lower}"),
        2 => format!("2/{lower}"),
        3 => format!("3/{}/{lower}", &lower[..1]),
        _ => format!("{}/{}/{lower}", &lower[..2], &lower[2..4]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_crates_io() {
        for ok in ["a", "serde", "Foo_Bar-2", &"x".repeat(64)] {
            assert_eq!(name_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "1abc",
            "-a",
            "_a",
            "a.b",
            "a b",
            "é",
            "nul",
            "COM1",
            &"x".repeat(65),
        ] {
            assert!(name_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn twins_share_a_canonical_name() {
        assert_eq!(canonical("Foo-Bar"), canonical("foo_bar"));
        assert_ne!(canonical("foobar"), canonical("foo_bar"));
    }

    #[test]
    fn index_paths_have_cargos_layout() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("Abc"), "3/a/abc");
        assert_eq!(index_path("Cargo"), "ca/rg/cargo");
        for name in ["a", "ab", "abc", "cargo", "my_crate-2"] {
            assert_eq!(from_index_path(&index_path(name)), Some(name));
        }
        for wrong in [
            "ca/rg/serde",
            "1/ab",
            "3/b/abc",
            "Ca/rg/Cargo",
            "ca/rg/../cargo",
            "cargo",
        ] {
            assert_eq!(from_index_path(wrong), None, "{wrong}");
        }
    }
}
