//! Entrepot's package subscriptions (beyond GitHub): one account's wish to
//! hear about one package's advisories, or about every package (`all`).

use serde::Serialize;

/// A subscription; `package` is `null` for `all`.
#[derive(Debug, Serialize)]
pub struct Subscription {
    pub id: i64,
    pub all: bool,
    pub package: Option<SubscribedPackage>,
    pub created_at: String,
}

/// The package a subscription is for, by the name its clients know.
#[derive(Debug, Serialize)]
pub struct SubscribedPackage {
    pub id: i64,
    pub name: String,
    pub package_type: &'static str,
    /// The owner's login.
    pub owner: String,
}
