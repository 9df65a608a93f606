//! Dependency alerts: a package here whose newest version depends, through
//! a range that admits an affected version, on a package an advisory
//! names. What becomes of an alert when the facts change is decided here,
//! without I/O; the service finds the facts and keeps the alerts.

use serde::{Deserialize, Serialize};

use crate::dependency::Dependency;
use crate::model::{AlertState, DismissedReason, Id, Timestamp};

/// The longest dismissal comment, as GitHub bounds it.
pub const MAX_COMMENT_CHARS: usize = 280;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependencyAlert {
    pub id: Id,
    pub advisory_id: Id,
    /// The package that depends on the vulnerable one.
    pub package_id: Id,
    pub dependency: Dependency,
    pub state: AlertState,
    /// Whether the range admits a patched version: a fresh install fixes
    /// it. Otherwise the range must change.
    pub admits_patched: bool,
    pub dismissed_reason: Option<DismissedReason>,
    pub dismissed_comment: Option<String>,
    pub dismissed_by: Option<Id>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub dismissed_at: Option<Timestamp>,
    pub fixed_at: Option<Timestamp>,
    pub auto_dismissed_at: Option<Timestamp>,
}

/// What is now known of one dependent and one advisory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The dependency's range admits an affected version.
    Exposed {
        dependency: Dependency,
        admits_patched: bool,
    },
    /// It no longer does (or no longer depends on the package).
    Clear,
    /// The advisory was withdrawn.
    Withdrawn,
}

impl Finding {
    /// Of two findings on one dependent and one advisory (a name declared
    /// twice, as a peer and a dev dependency; two versions an image holds),
    /// the one its alert follows: exposed over clear, and a range that must
    /// change over one a fresh install fixes.
    #[must_use]
    pub fn worse(self, other: Finding) -> Finding {
        let rank = |f: &Finding| match f {
            Finding::Exposed {
                admits_patched: false,
                ..
            } => 2,
            Finding::Exposed { .. } => 1,
            Finding::Clear | Finding::Withdrawn => 0,
        };
        if rank(&other) > rank(&self) {
            other
        } else {
            self
        }
    }
}

/// What happened to an alert, as GitHub's `dependabot_alert` actions name
/// it; `None` for a change nobody is told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub alert: DependencyAlert,
    /// `created`, `fixed`, `reintroduced`, `auto_dismissed`, or none.
    pub action: Option<&'static str>,
}

/// The alert `existing` (if any) becomes, for `finding`; `None` when there
/// is nothing to keep or change. A dismissed alert stays dismissed.
pub fn next(
    existing: Option<&DependencyAlert>,
    finding: Finding,
    (advisory_id, package_id): (Id, Id),
    now: Timestamp,
) -> Option<Outcome> {
    match (existing, finding) {
        (
            None,
            Finding::Exposed {
                dependency,
                admits_patched,
            },
        ) => Some(Outcome {
            alert: DependencyAlert {
                id: 0,
                advisory_id,
                package_id,
                dependency,
                state: AlertState::Open,
                admits_patched,
                dismissed_reason: None,
                dismissed_comment: None,
                dismissed_by: None,
                created_at: now,
                updated_at: now,
                dismissed_at: None,
                fixed_at: None,
                auto_dismissed_at: None,
            },
            action: Some("created"),
        }),
        (
            Some(alert),
            Finding::Exposed {
                dependency,
                admits_patched,
            },
        ) => {
            let mut changed = alert.clone();
            changed.dependency = dependency;
            changed.admits_patched = admits_patched;
            let action = if alert.state == AlertState::Fixed {
                changed.state = AlertState::Open;
                changed.fixed_at = None;
                Some("reintroduced")
            } else {
                None
            };
            (changed != *alert).then_some(Outcome {
                alert: DependencyAlert {
                    updated_at: now,
                    ..changed
                },
                action,
            })
        }
        (Some(alert), Finding::Clear) if alert.state == AlertState::Open => Some(Outcome {
            alert: DependencyAlert {
                state: AlertState::Fixed,
                fixed_at: Some(now),
                updated_at: now,
                ..alert.clone()
            },
            action: Some("fixed"),
        }),
        (Some(alert), Finding::Withdrawn)
            if matches!(alert.state, AlertState::Open | AlertState::Fixed) =>
        {
            Some(Outcome {
                alert: DependencyAlert {
                    state: AlertState::AutoDismissed,
                    auto_dismissed_at: Some(now),
                    updated_at: now,
                    ..alert.clone()
                },
                action: Some("auto_dismissed"),
            })
        }
        (None | Some(_), _) => None,
    }
}

/// A person's dismissal (`reason` and `comment`) or reopening (`None`) of
/// `alert`: only an open alert is dismissed, only a dismissed one reopened.
pub fn dismiss(
    alert: &DependencyAlert,
    dismissal: Option<(DismissedReason, Option<String>)>,
    by: Id,
    now: Timestamp,
) -> Result<DependencyAlert, String> {
    match (alert.state, dismissal) {
        (AlertState::Open, Some((reason, comment))) => {
            if comment
                .as_deref()
                .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
            {
                return Err(format!(
                    "dismissed_comment is at most {MAX_COMMENT_CHARS} characters"
                ));
            }
            Ok(DependencyAlert {
                state: AlertState::Dismissed,
                dismissed_reason: Some(reason),
                dismissed_comment: comment,
                dismissed_by: Some(by),
                dismissed_at: Some(now),
                updated_at: now,
                ..alert.clone()
            })
        }
        (AlertState::Dismissed, None) => Ok(DependencyAlert {
            state: AlertState::Open,
            dismissed_reason: None,
            dismissed_comment: None,
            dismissed_by: None,
            dismissed_at: None,
            updated_at: now,
            ..alert.clone()
        }),
        (state, Some(_)) => Err(format!("a {state} alert cannot be dismissed")),
        (state, None) => Err(format!("a {state} alert cannot be reopened")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependency::DependencyKind;
    use crate::model::Ecosystem;

    fn dep(range: &str) -> Dependency {
        Dependency::new(
            Ecosystem::Npm,
            "@alice/lib",
            range,
            DependencyKind::Runtime,
            None,
        )
        .unwrap()
    }

    fn exposed(range: &str, admits_patched: bool) -> Finding {
        Finding::Exposed {
            dependency: dep(range),
            admits_patched,
        }
    }

    #[test]
    fn a_name_declared_twice_is_judged_by_its_worst_declaration() {
        let must_change = exposed("1.0.0", false);
        let fresh_install = exposed("^1.0.0", true);
        assert_eq!(Finding::Clear.worse(fresh_install.clone()), fresh_install);
        assert_eq!(
            fresh_install.clone().worse(must_change.clone()),
            must_change
        );
        assert_eq!(
            must_change.clone().worse(fresh_install.clone()),
            must_change
        );
        assert_eq!(fresh_install.clone().worse(Finding::Clear), fresh_install);
        assert_eq!(Finding::Clear.worse(Finding::Clear), Finding::Clear);
    }

    #[test]
    fn an_alert_opens_is_fixed_comes_back_and_is_withdrawn() {
        let now = chrono::Utc::now();
        let ids = (7, 9);
        assert_eq!(next(None, Finding::Clear, ids, now), None);
        let created = next(None, exposed("^1.0.0", true), ids, now).unwrap();
        assert_eq!(created.action, Some("created"));
        assert_eq!(created.alert.state, AlertState::Open);
        assert!(created.alert.admits_patched);
        // The same facts again change nothing.
        assert_eq!(
            next(Some(&created.alert), exposed("^1.0.0", true), ids, now),
            None
        );
        // A new range that must still change: updated quietly.
        let pinned = next(Some(&created.alert), exposed("=1.0.0", false), ids, now).unwrap();
        assert_eq!(pinned.action, None);
        assert!(!pinned.alert.admits_patched);
        let fixed = next(Some(&pinned.alert), Finding::Clear, ids, now).unwrap();
        assert_eq!(fixed.action, Some("fixed"));
        assert_eq!(fixed.alert.fixed_at, Some(now));
        assert_eq!(next(Some(&fixed.alert), Finding::Clear, ids, now), None);
        let back = next(Some(&fixed.alert), exposed("=1.0.0", false), ids, now).unwrap();
        assert_eq!(back.action, Some("reintroduced"));
        assert_eq!(back.alert.state, AlertState::Open);
        assert_eq!(back.alert.fixed_at, None);
        let gone = next(Some(&back.alert), Finding::Withdrawn, ids, now).unwrap();
        assert_eq!(gone.action, Some("auto_dismissed"));
        assert_eq!(
            next(Some(&gone.alert), exposed("=1.0.0", false), ids, now),
            None
        );
    }

    #[test]
    fn a_dismissed_alert_stays_dismissed_until_reopened() {
        let now = chrono::Utc::now();
        let open = next(None, exposed("^1.0.0", true), (1, 2), now)
            .unwrap()
            .alert;
        let long = "x".repeat(MAX_COMMENT_CHARS + 1);
        assert!(dismiss(&open, Some((DismissedReason::NotUsed, Some(long))), 3, now).is_err());
        let dismissed = dismiss(
            &open,
            Some((DismissedReason::TolerableRisk, Some("dev only".into()))),
            3,
            now,
        )
        .unwrap();
        assert_eq!(dismissed.state, AlertState::Dismissed);
        assert_eq!(dismissed.dismissed_by, Some(3));
        assert_eq!(next(Some(&dismissed), Finding::Clear, (1, 2), now), None);
        assert!(dismiss(&dismissed, Some((DismissedReason::NotUsed, None)), 3, now).is_err());
        let reopened = dismiss(&dismissed, None, 3, now).unwrap();
        assert_eq!(reopened.state, AlertState::Open);
        assert_eq!(reopened.dismissed_reason, None);
        assert!(dismiss(&reopened, None, 3, now).is_err());
    }
}
