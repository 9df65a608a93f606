//! An upstream registry as `/api/v3/admin/upstreams` shows it (an Entrepot
//! extension): never its password, only whether it has one.

use entrepot_core::Upstream as Stored;
use serde::Serialize;

use super::iso;

#[derive(Debug, Serialize)]
pub struct Upstream {
    pub name: String,
    pub format: &'static str,
    pub url: String,
    pub username: Option<String>,
    pub has_password: bool,
    pub metadata_ttl_seconds: i64,
    pub default: bool,
    pub created_at: String,
}

impl From<&Stored> for Upstream {
    fn from(u: &Stored) -> Self {
        Upstream {
            name: u.name.clone(),
            format: u.format.as_str(),
            url: u.url.clone(),
            username: u.username.clone(),
            has_password: u.password.is_some(),
            metadata_ttl_seconds: u.metadata_ttl_seconds,
            default: u.is_default,
            created_at: iso(&u.created_at),
        }
    }
}
