//! The caller's notifications (GitHub's `thread`, in a simpler shape:
//! Entrepot's notifications are about advisories, not threads).

use entrepot_core::Notification as Stored;
use serde::Serialize;

use super::time::iso;

/// One notification.
#[derive(Debug, Serialize)]
pub struct Notification {
    /// A string, as GitHub's thread ids are.
    pub id: String,
    pub unread: bool,
    pub reason: String,
    pub updated_at: String,
    pub last_read_at: Option<String>,
    pub subject: Subject,
    pub ghsa_id: Option<String>,
    pub package_id: Option<i64>,
}

/// What a notification is about.
#[derive(Debug, Serialize)]
pub struct Subject {
    pub title: String,
    pub url: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
}

impl Notification {
    pub fn new(n: &Stored) -> Self {
        Notification {
            id: n.id.to_string(),
            unread: n.unread,
            reason: n.reason.clone(),
            updated_at: iso(&n.updated_at),
            last_read_at: if n.unread {
                None
            } else {
                Some(iso(&n.updated_at))
            },
            subject: Subject {
                title: n.title.clone(),
                url: n.url.clone(),
                kind: "SecurityAdvisory",
            },
            ghsa_id: n.ghsa_id.clone(),
            package_id: n.package_id,
        }
    }
}
