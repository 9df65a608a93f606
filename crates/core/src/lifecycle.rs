//! Where a version stands for a client: plainly available, or set aside
//! in one of the ways the ecosystems know (npm's deprecation, a yank,
//! NuGet's unlisting), each with the publisher's reason.

/// One shared reading of every format's "not plainly available": the web
/// pages, the REST API and advisories read this, never a format's own
/// metadata.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Lifecycle {
    #[default]
    Available,
    /// Still installable, with a warning (npm `deprecated`).
    Deprecated { reason: Option<String> },
    /// Kept for lockfiles that name it, left out of resolution (PyPI,
    /// Cargo, RubyGems).
    Yanked { reason: Option<String> },
    /// Installable by exact version, hidden from search (NuGet).
    Unlisted { reason: Option<String> },
}

impl Lifecycle {
    /// A word for the badge on the package page, or `None` when available.
    #[must_use]
    pub fn label(&self) -> Option<&'static str> {
        match self {
            Lifecycle::Available => None,
            Lifecycle::Deprecated { .. } => Some("deprecated"),
            Lifecycle::Yanked { .. } => Some("yanked"),
            Lifecycle::Unlisted { .. } => Some("unlisted"),
        }
    }

    /// The publisher's reason, when one was given.
    #[must_use]
    pub fn reason(&self) -> Option<&str> {
        match self {
            Lifecycle::Available => None,
            Lifecycle::Deprecated { reason }
            | Lifecycle::Yanked { reason }
            | Lifecycle::Unlisted { reason } => reason.as_deref().filter(|r| !r.is_empty()),
        }
    }

    #[must_use]
    pub fn is_available(&self) -> bool {
        matches!(self, Lifecycle::Available)
    }
}

#[cfg(test)]
mod tests {
    use super::Lifecycle;

    #[test]
    fn an_empty_reason_is_no_reason() {
        let yanked = Lifecycle::Yanked {
            reason: Some(String::new()),
        };
        assert_eq!(yanked.label(), Some("yanked"));
        assert_eq!(yanked.reason(), None);
        assert_eq!(Lifecycle::Available.label(), None);
    }
}
