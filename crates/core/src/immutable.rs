//! Immutable tags: an owner's patterns whose tags (container tags, npm
//! dist-tags), once set, are never moved to another version nor removed,
//! and whose versions are never deleted while tagged.

use serde::{Deserialize, Serialize};

use crate::{Id, PackageType, Timestamp};

/// The longest pattern, in characters.
pub const MAX_PATTERN_CHARS: usize = 128;

/// One rule: tags matching `pattern` (a glob, `*` any run of characters)
/// in the owner's packages of `format` (all formats when none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImmutableTag {
    pub id: Id,
    pub owner_id: Id,
    pub format: Option<PackageType>,
    pub pattern: String,
    pub created_at: Timestamp,
}

impl ImmutableTag {
    /// Whether the rule keeps `tag` of a package of `package_type`.
    pub fn protects(&self, package_type: PackageType, tag: &str) -> bool {
        self.format.is_none_or(|f| f == package_type) && crate::names::glob(&self.pattern, tag)
    }
}

/// Why `pattern` cannot be a rule, if it cannot.
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    if pattern.is_empty() || pattern.chars().count() > MAX_PATTERN_CHARS {
        return Err(format!(
            "a tag pattern has 1 to {MAX_PATTERN_CHARS} characters"
        ));
    }
    if pattern.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!("the tag pattern `{pattern}` has a space in it"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_keeps_the_tags_its_glob_matches_in_its_format() {
        let rule = ImmutableTag {
            id: 1,
            owner_id: 1,
            format: Some(PackageType::Container),
            pattern: "v*.*".into(),
            created_at: chrono::Utc::now(),
        };
        assert!(rule.protects(PackageType::Container, "v1.2"));
        assert!(!rule.protects(PackageType::Container, "latest"));
        assert!(!rule.protects(PackageType::Npm, "v1.2"), "another format");
        assert!(check_pattern("release-*").is_ok());
        assert!(check_pattern("").is_err());
        assert!(check_pattern("a b").is_err());
    }
}
