//! What PyPI keeps in a version's metadata: the core metadata twine sends
//! with the first file of a release (PEP 345/566 fields, in twine's form
//! names), as the index, the JSON API and the package page read them, and
//! whether the release is yanked (PEP 592).

use entrepot_core::{Lifecycle, Version};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A release's core metadata. Absent text fields are stored as `null` and
/// lists as `[]`, as they always were.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CoreMetadata {
    /// The project's name as its publisher spells it (the stored package
    /// name is the PEP 503 normalised one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The normalised PEP 440 version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub summary: Option<String>,
    pub description_content_type: Option<String>,
    pub author: Option<String>,
    pub author_email: Option<String>,
    pub license: Option<String>,
    pub keywords: Option<String>,
    pub home_page: Option<String>,
    /// PEP 345's `Requires-Python`, which pip reads from the index.
    pub requires_python: Option<String>,
    pub requires_dist: Vec<String>,
    /// `Label, URL` lines.
    pub project_urls: Vec<String>,
    pub classifiers: Vec<String>,
    pub yanked: Yank,
    /// Any other field, kept as stored.
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// PEP 592's yank as stored: `false`, `true`, or the reason the yank gave
/// (which may be empty, and is then still a yank).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Yank {
    Flag(bool),
    Reason(String),
}

impl Default for Yank {
    fn default() -> Self {
        Yank::Flag(false)
    }
}

impl Yank {
    pub fn is_yanked(&self) -> bool {
        *self != Yank::Flag(false)
    }

    /// The reason as the index gives it (`data-yanked`): empty when the
    /// yank gave none, `None` when not yanked.
    pub fn reason(&self) -> Option<&str> {
        match self {
            Yank::Flag(false) => None,
            Yank::Flag(true) => Some(""),
            Yank::Reason(reason) => Some(reason),
        }
    }

    pub fn lifecycle(&self) -> Lifecycle {
        match self {
            Yank::Flag(false) => Lifecycle::Available,
            Yank::Flag(true) => Lifecycle::Yanked { reason: None },
            Yank::Reason(reason) => Lifecycle::Yanked {
                reason: Some(reason.clone()),
            },
        }
    }
}

impl CoreMetadata {
    /// What `version` stores, as far as it reads as core metadata; empty
    /// where it does not.
    pub fn of(version: &Version) -> CoreMetadata {
        CoreMetadata::read(version).unwrap_or_default()
    }

    /// What `version` stores, or why it is not core metadata: for a change,
    /// which must not write back less than was there.
    pub fn read(version: &Version) -> Result<CoreMetadata, serde_json::Error> {
        serde_json::from_value(version.metadata.clone())
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("core metadata renders as JSON")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stored(yanked: &Value) -> Value {
        json!({
            "name": "Hello_World", "version": "1.0", "summary": "Hi",
            "description_content_type": null, "author": null, "author_email": null,
            "license": "MIT", "keywords": null, "home_page": null,
            "requires_python": ">=3.8", "requires_dist": ["requests"],
            "project_urls": ["Source, https://example.test/x"], "classifiers": [],
            "yanked": yanked,
        })
    }

    fn read(value: Value) -> CoreMetadata {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn stored_metadata_reads_and_writes_back_unchanged() {
        for yanked in [json!(false), json!(true), json!(""), json!("broken")] {
            let value = stored(&yanked);
            let metadata = read(value.clone());
            assert_eq!(metadata.to_value(), value);
        }
        let mut extra = stored(&json!(false));
        extra["future"] = json!({"kept": true});
        assert_eq!(read(extra.clone()).to_value(), extra);
    }

    #[test]
    fn the_yank_reads_as_a_flag_or_a_reason() {
        let metadata = read(stored(&json!("broken")));
        assert_eq!(metadata.requires_python.as_deref(), Some(">=3.8"));
        assert_eq!(metadata.yanked.reason(), Some("broken"));
        assert_eq!(
            metadata.yanked.lifecycle(),
            Lifecycle::Yanked {
                reason: Some("broken".into())
            }
        );
        let flagged = read(stored(&json!(true))).yanked;
        assert!(flagged.is_yanked());
        assert_eq!(flagged.reason(), Some(""));
        assert_eq!(flagged.lifecycle(), Lifecycle::Yanked { reason: None });
        let unyanked = read(stored(&json!(false))).yanked;
        assert!(!unyanked.is_yanked());
        assert_eq!(unyanked.reason(), None);
        assert_eq!(unyanked.lifecycle(), Lifecycle::Available);
        assert!(read(stored(&json!(""))).yanked.is_yanked());
    }
}
