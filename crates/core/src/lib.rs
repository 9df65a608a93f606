//! Entrepot's domain core: the nouns of a package registry and the one rule
//! that decides who may do what. No I/O lives here, so every rule is testable
//! in isolation and shared by every wire protocol.

pub mod advisory;
pub mod alert;
pub mod authz;
pub mod cleanup;
pub mod dependency;
pub mod identity;
pub mod image_signing;
pub mod immutable;
pub mod lifecycle;
pub mod limits;
pub mod model;
pub mod names;
pub mod osv;
pub mod quota;
pub mod ranges;
pub mod sbom;
pub mod scope;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod token;
pub mod trusted;
pub mod webhook;

pub use advisory::{Advisory, AdvisoryPackage, Credit, Vulnerability};
pub use authz::{
    Action, Actor, Decision, Denial, Facts, Policy, ReadScope, Resource, SsoGate, UserReads,
    authorize,
};
pub use lifecycle::Lifecycle;
pub use model::*;
pub use scope::{Scope, Scopes};
pub use webhook::{Delivery, Hook, Notification, Subscription};
