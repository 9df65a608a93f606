//! The one authorization rule, `authorize(actor, action, resource)`, for every
//! registry, the REST API and the web pages (REFERENCE §2.1–2.4).
//!
//! The store gathers the relationship facts (is the caller the owner, a member
//! of the owning organization, a collaborator on the repository, granted a role
//! on the package?); this module alone turns them into a decision, so the rule
//! is the same everywhere and testable without I/O.

mod read_scope;

pub use read_scope::{ReadScope, UserReads};

use crate::model::{Id, RegistryKind, Role, Visibility};
use crate::scope::{Scope, Scopes};

/// Who is asking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Anonymous,
    User {
        id: Id,
        login: String,
        site_admin: bool,
        /// The scopes of the token the request came with.
        scopes: Scopes,
        /// The token used, if any (web sessions have none).
        token_id: Option<Id>,
        /// The browser session's key (the hash of its secret), for pages.
        session: Option<std::sync::Arc<str>>,
        /// A token minted by trusted publishing: only these packages.
        grant: Option<std::sync::Arc<crate::trusted::Grant>>,
    },
}

impl Actor {
    pub fn user_id(&self) -> Option<Id> {
        match self {
            Actor::Anonymous => None,
            Actor::User { id, .. } => Some(*id),
        }
    }

    pub fn login(&self) -> Option<&str> {
        match self {
            Actor::Anonymous => None,
            Actor::User { login, .. } => Some(login),
        }
    }

    /// Whether the caller administers the site.
    pub fn is_site_admin(&self) -> bool {
        matches!(
            self,
            Actor::User {
                site_admin: true,
                ..
            }
        )
    }

    pub fn scopes(&self) -> Scopes {
        match self {
            Actor::Anonymous => Scopes::NONE,
            Actor::User { scopes, .. } => *scopes,
        }
    }
}

/// What the caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Download, install, read metadata.
    Read,
    /// Create a new package in an owner's namespace (its first publish).
    Create,
    /// Publish a new version of an existing package, move tags, deprecate.
    Publish,
    /// Delete a package or a version.
    Delete,
    /// Restore a deleted package or version.
    Restore,
    /// Change settings: visibility, access, repository link.
    Manage,
}

impl Action {
    fn required_role(self) -> Role {
        match self {
            Action::Read => Role::Read,
            Action::Create | Action::Publish => Role::Write,
            Action::Delete | Action::Restore | Action::Manage => Role::Admin,
        }
    }

    /// The token scopes each action needs, as GitHub states them per operation.
    fn required_scopes(self) -> &'static [Scope] {
        match self {
            Action::Read => &[Scope::ReadPackages],
            Action::Create | Action::Publish | Action::Manage => &[Scope::WritePackages],
            Action::Delete => &[Scope::ReadPackages, Scope::DeletePackages],
            Action::Restore => &[Scope::ReadPackages, Scope::WritePackages],
        }
    }
}

/// How the caller relates to the account that owns the package.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerRelation {
    /// The package belongs to the caller's own user account.
    IsOwner,
    OrgOwner,
    OrgMember,
    None,
}

/// The facts about a package (or, for `Create`, the namespace it would be
/// created in) that the decision needs, as seen from one caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub registry: RegistryKind,
    /// The package's visibility; for repository-scoped registries, the
    /// repository's, which the package takes.
    pub visibility: Visibility,
    pub owner: OwnerRelation,
    /// A role granted on the package itself (granular registries).
    pub package_role: Option<Role>,
    /// The caller's permission on the connected (or, for repository-scoped
    /// registries, owning) repository.
    pub repository_role: Option<Role>,
    /// Whether the package inherits access from its connected repository.
    pub inherit_access: bool,
    /// Where the owning organization enforces single sign-on: whether the
    /// caller, one of its members, came through it.
    pub sso: SsoGate,
    /// The repository it lives in or is connected to is archived: it is
    /// read-only.
    pub archived: bool,
}

/// An organization's single sign-on, as it stands between one member's
/// credential and the organization's packages (GitHub's SAML enforcement).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SsoGate {
    /// No single sign-on applies: the owner is no such organization, or
    /// the caller is not one of its members.
    #[default]
    Open,
    /// The token is authorized for the organization, or the browser
    /// session signed on through it.
    Passed,
    /// A member's credential that has not come through it.
    Closed,
}

/// The same `Facts` name a package or a namespace; kept as an alias so call
/// sites read as the rule does.
pub type Resource = Facts;

/// Instance-wide settings the rule depends on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// When set, even public packages need a signed-in caller.
    pub require_auth_for_reads: bool,
}

/// Why a request is refused; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// 401 with a challenge: the caller must sign in.
    #[error("authentication required")]
    Unauthenticated,
    /// 404: the caller may not know the thing exists.
    #[error("not found")]
    NotFound,
    /// 403: the caller sees the thing but may not do this to it.
    #[error("permission denied: {0}")]
    Forbidden(&'static str),
    /// 403: the role allows it, the token's scopes do not.
    #[error("the token lacks the `{0}` scope needed for this")]
    MissingScope(Scope),
    /// 403: the owning organization enforces single sign-on and the
    /// credential has not come through it.
    #[error("single sign-on required")]
    SsoRequired,
}

pub type Decision = Result<(), Denial>;

/// The caller's effective role on a package, from every source of access.
pub fn effective_role(actor: &Actor, action: Action, facts: &Facts) -> Option<Role> {
    let Actor::User { site_admin, .. } = actor else {
        return None;
    };
    if *site_admin {
        return Some(Role::Admin);
    }
    let from_owner = match facts.owner {
        OwnerRelation::IsOwner | OwnerRelation::OrgOwner => Some(Role::Admin),
        // Members may create packages in their organization's granular
        // registries. In repository-scoped ones (Maven) a package lives in a
        // repository and takes its permissions, creation included: there a
        // member holds the organization's base permission (read, GitHub's
        // default), and creating needs the repository's write role.
        OwnerRelation::OrgMember
            if action == Action::Create && facts.registry == RegistryKind::Granular =>
        {
            Some(Role::Write)
        }
        OwnerRelation::OrgMember if facts.registry == RegistryKind::RepositoryScoped => {
            Some(Role::Read)
        }
        OwnerRelation::OrgMember | OwnerRelation::None => None,
    };
    let from_repository = match facts.registry {
        RegistryKind::RepositoryScoped => facts.repository_role,
        RegistryKind::Granular if facts.inherit_access => facts.repository_role,
        RegistryKind::Granular => None,
    };
    let from_package = match facts.registry {
        RegistryKind::Granular => facts.package_role,
        RegistryKind::RepositoryScoped => None,
    };
    from_owner.max(from_repository).max(from_package)
}

/// Decides whether `actor` may do `action` on the package `facts` describe.
pub fn authorize(policy: &Policy, actor: &Actor, action: Action, facts: &Facts) -> Decision {
    let publicly_readable =
        facts.visibility == Visibility::Public && !policy.require_auth_for_reads;
    let Actor::User { scopes, .. } = actor else {
        return if action == Action::Read && publicly_readable {
            Ok(())
        } else {
            Err(Denial::Unauthenticated)
        };
    };
    let role = effective_role(actor, action, facts);
    // A namespace is public: anyone signed in may learn that an owner exists.
    let visible = (action == Action::Create && facts.registry == RegistryKind::Granular)
        || facts.visibility != Visibility::Private
        || role.is_some();
    if !visible {
        return Err(Denial::NotFound);
    }
    // Single sign-on guards all but what anyone may read; what the caller
    // could not see anyway stays unseen.
    if facts.sso == SsoGate::Closed
        && !(action == Action::Read && facts.visibility == Visibility::Public)
    {
        return Err(Denial::SsoRequired);
    }
    let needs_role = action.required_role();
    let open_read = action == Action::Read && facts.visibility != Visibility::Private;
    if !open_read && role.is_none_or(|r| r < needs_role) {
        return Err(Denial::Forbidden(match action {
            Action::Read => "read access to this package is required",
            Action::Create => {
                "only the owner or members of the owning organization may create packages here"
            }
            Action::Publish => "write access to this package is required",
            Action::Delete | Action::Restore | Action::Manage => {
                "admin access to this package is required"
            }
        }));
    }
    // Public reads need no scope at all, as anonymous ones need none.
    if !(action == Action::Read && facts.visibility == Visibility::Public) {
        for scope in action.required_scopes() {
            if !scopes.contains(*scope) {
                return Err(Denial::MissingScope(*scope));
            }
        }
        if facts.registry == RegistryKind::RepositoryScoped
            && facts.visibility != Visibility::Public
            && !scopes.contains(Scope::Repo)
        {
            return Err(Denial::MissingScope(Scope::Repo));
        }
    }
    if facts.archived && action != Action::Read {
        return Err(Denial::Forbidden(
            "the repository is archived: its packages are read-only until it is unarchived",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
