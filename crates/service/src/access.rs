//! Gathers the relationship facts `authorize` needs from the store, so that
//! every protocol asks the same question the same way.

use entrepot_core::authz::OwnerRelation;
use entrepot_core::{
    Account, AccountKind, Action, Actor, Denial, Facts, OrgRole, Package, PackageType,
    RegistryKind, Repository, Role, SsoGate, Visibility, authorize,
};

use entrepot_core::trusted::Target;

use crate::{Registry, ServiceError, ServiceResult};

impl Registry {
    /// Whether `actor` may see (`change` false) or change `owner`'s
    /// settings of `what` (its fall-through, its cleanup rules): the user
    /// themself, an organization's owners and site administrators may
    /// change them, an organization's members see them.
    pub(crate) async fn may_manage_owner(
        &self,
        actor: &Actor,
        owner: &entrepot_core::Account,
        change: bool,
        what: &str,
    ) -> ServiceResult<()> {
        let Actor::User {
            site_admin,
            scopes,
            grant,
            ..
        } = actor
        else {
            return Err(ServiceError::Unauthenticated);
        };
        if grant.is_some() {
            return Err(ServiceError::Forbidden(
                "a token minted by trusted publishing may only publish its packages".into(),
            ));
        }
        let scope = if change {
            entrepot_core::Scope::WritePackages
        } else {
            entrepot_core::Scope::ReadPackages
        };
        if !scopes.contains(scope) {
            return Err(entrepot_core::Denial::MissingScope(scope).into());
        }
        self.require_sso(actor, owner).await?;
        let relation = self.owner_relation(actor, owner.id, owner.kind).await?;
        let allowed = *site_admin
            || matches!(relation, OwnerRelation::IsOwner | OwnerRelation::OrgOwner)
            || (!change && relation == OwnerRelation::OrgMember);
        if allowed {
            Ok(())
        } else {
            Err(ServiceError::Forbidden(format!(
                "only {} itself, its owners or a site administrator may {} its {what}",
                owner.login,
                if change { "change" } else { "see" }
            )))
        }
    }

    pub(crate) async fn owner_relation(
        &self,
        actor: &Actor,
        owner_id: i64,
        owner_kind: AccountKind,
    ) -> ServiceResult<OwnerRelation> {
        let Some(user) = actor.user_id() else {
            return Ok(OwnerRelation::None);
        };
        Ok(match owner_kind {
            // An organization acts as itself only through a token minted
            // for its packages by trusted publishing.
            AccountKind::User | AccountKind::Organization if user == owner_id => {
                OwnerRelation::IsOwner
            }
            AccountKind::User | AccountKind::Upstream => OwnerRelation::None,
            AccountKind::Organization => match self.meta.org_role(owner_id, user).await? {
                Some(OrgRole::Owner) => OwnerRelation::OrgOwner,
                Some(OrgRole::Member) => OwnerRelation::OrgMember,
                None => OwnerRelation::None,
            },
        })
    }

    /// Whether `owner`'s single sign-on stands between its member `actor`
    /// and its packages: the token must be authorized for it, or the
    /// browser session must have signed on; a password (or nothing of
    /// the kind) never passes.
    pub(crate) async fn sso_gate(
        &self,
        actor: &Actor,
        owner_id: i64,
        relation: OwnerRelation,
    ) -> ServiceResult<SsoGate> {
        let member = matches!(relation, OwnerRelation::OrgOwner | OwnerRelation::OrgMember);
        if !member || self.meta.org_sso(owner_id).await?.is_none() {
            return Ok(SsoGate::Open);
        }
        let Actor::User {
            token_id, session, ..
        } = actor
        else {
            return Ok(SsoGate::Open);
        };
        let passed = match (token_id, session) {
            (Some(token), _) => self.meta.token_authorized_for_org(*token, owner_id).await?,
            (None, Some(session)) => {
                self.meta
                    .org_sso_session_active(session, owner_id, chrono::Utc::now())
                    .await?
            }
            (None, None) => false,
        };
        Ok(if passed {
            SsoGate::Passed
        } else {
            SsoGate::Closed
        })
    }

    /// Refuses, with where to sign on, a member of `owner` (an
    /// organization that requires single sign-on) whose credential has not
    /// come through it: for what the organization owns outside its
    /// packages (repositories, hooks, listings).
    pub async fn require_sso(&self, actor: &Actor, owner: &Account) -> ServiceResult<()> {
        if owner.kind != AccountKind::Organization {
            return Ok(());
        }
        let relation = self.owner_relation(actor, owner.id, owner.kind).await?;
        if self.sso_gate(actor, owner.id, relation).await? == SsoGate::Closed {
            return Err(self.refusal(Denial::SsoRequired, owner.id).await);
        }
        Ok(())
    }

    /// A refusal as the caller is told it; single sign-on names the
    /// organization and where to pass it.
    async fn refusal(&self, denial: Denial, owner_id: i64) -> ServiceError {
        if denial != Denial::SsoRequired {
            return denial.into();
        }
        match self.meta.account_by_id(owner_id).await {
            Ok(Some(org)) => ServiceError::SsoRequired {
                url: self.catalog().url(&format!("/orgs/{}/sso", org.login)),
                org: org.login,
            },
            Ok(None) => denial.into(),
            Err(e) => e.into(),
        }
    }

    async fn owner_kind(&self, owner_id: i64) -> ServiceResult<AccountKind> {
        Ok(self
            .meta
            .account_by_id(owner_id)
            .await?
            .ok_or_else(|| ServiceError::Internal(format!("account {owner_id} vanished")))?
            .kind)
    }

    /// The caller's permission on a repository: site administrators,
    /// owners and organization owners are admins, members hold the base permission (read),
    /// collaborators their granted role.
    pub async fn repository_role(
        &self,
        actor: &Actor,
        repo: &Repository,
    ) -> ServiceResult<Option<Role>> {
        let Some(user) = actor.user_id() else {
            return Ok(None);
        };
        // Site administrators administer every repository, as they do
        // every package.
        if actor.is_site_admin() {
            return Ok(Some(Role::Admin));
        }
        let relation = self
            .owner_relation(actor, repo.owner_id, self.owner_kind(repo.owner_id).await?)
            .await?;
        let from_owner = match relation {
            OwnerRelation::IsOwner | OwnerRelation::OrgOwner => Some(Role::Admin),
            OwnerRelation::OrgMember => Some(Role::Read),
            OwnerRelation::None => None,
        };
        Ok(from_owner.max(self.meta.collaborator_role(repo.id, user).await?))
    }

    /// The facts about an existing package, as seen by `actor`.
    pub async fn package_facts(&self, actor: &Actor, package: &Package) -> ServiceResult<Facts> {
        let owner_kind = self.owner_kind(package.owner_id).await?;
        self.facts_with_owner(actor, package, owner_kind).await
    }

    async fn facts_with_owner(
        &self,
        actor: &Actor,
        package: &Package,
        owner_kind: AccountKind,
    ) -> ServiceResult<Facts> {
        let registry = package.package_type.registry_kind();
        let repository = match package.repository_id {
            Some(id) => self.meta.repository_by_id(id).await?,
            None => None,
        };
        let repository_role = match &repository {
            Some(repo) => self.repository_role(actor, repo).await?,
            None => None,
        };
        let visibility = match (&repository, registry) {
            (Some(repo), RegistryKind::RepositoryScoped) => repo.visibility,
            _ => package.visibility,
        };
        let package_role = match actor.user_id() {
            Some(user) if registry == RegistryKind::Granular => {
                self.meta.package_role(package.id, user).await?
            }
            _ => None,
        };
        let owner = self
            .owner_relation(actor, package.owner_id, owner_kind)
            .await?;
        Ok(Facts {
            registry,
            visibility,
            owner,
            package_role,
            repository_role,
            inherit_access: package.inherit_access,
            sso: self.sso_gate(actor, package.owner_id, owner).await?,
            archived: repository.as_ref().is_some_and(|r| r.archived_at.is_some()),
        })
    }

    /// The facts about creating a package of `package_type` under `owner`
    /// (in `repository`, for repository-scoped registries).
    pub async fn namespace_facts(
        &self,
        actor: &Actor,
        owner: &Account,
        package_type: PackageType,
        repository: Option<&Repository>,
    ) -> ServiceResult<Facts> {
        let repository_role = match repository {
            Some(repo) => self.repository_role(actor, repo).await?,
            None => None,
        };
        let relation = self.owner_relation(actor, owner.id, owner.kind).await?;
        Ok(Facts {
            registry: package_type.registry_kind(),
            visibility: repository.map_or(Visibility::Private, |r| r.visibility),
            owner: relation,
            package_role: None,
            repository_role,
            inherit_access: true,
            sso: self.sso_gate(actor, owner.id, relation).await?,
            archived: repository.is_some_and(|r| r.archived_at.is_some()),
        })
    }

    /// Decides, or explains in a `ServiceError`, whether `actor` may do
    /// `action` on `package`.
    pub async fn authorize_package(
        &self,
        actor: &Actor,
        action: Action,
        package: &Package,
    ) -> ServiceResult<()> {
        let owner_kind = self.owner_kind(package.owner_id).await?;
        let facts = self.facts_with_owner(actor, package, owner_kind).await?;
        let target = Target {
            owner_id: package.owner_id,
            package_type: package.package_type,
            name: &package.name,
            repository_id: package.repository_id,
        };
        if !self.within_grant(actor, action, &target) {
            return outside_grant(self.policy, action, &facts, false);
        }
        if owner_kind == AccountKind::Upstream && action != Action::Read {
            // Whoever may see a cached package is told it is read-only.
            authorize(&self.policy, actor, Action::Read, &facts)?;
            return Err(read_only());
        }
        match authorize(&self.policy, actor, action, &facts) {
            Ok(()) => Ok(()),
            Err(denial) => Err(self.refusal(denial, package.owner_id).await),
        }
    }

    /// Whether `actor` may read `package`, without saying why not.
    pub async fn can_read(&self, actor: &Actor, package: &Package) -> ServiceResult<bool> {
        match self.authorize_package(actor, Action::Read, package).await {
            Ok(()) => Ok(true),
            Err(ServiceError::Internal(e)) => Err(ServiceError::Internal(e)),
            Err(_) => Ok(false),
        }
    }

    /// Whether `actor` may do `action` in `owner`'s namespace of
    /// `package_type` (and `repository`'s, for formats scoped to one),
    /// where no package of that name exists yet: publishing there creates
    /// one, so `Publish` is checked as `Create`.
    pub async fn authorize_namespace(
        &self,
        actor: &Actor,
        owner: &Account,
        (package_type, name): (PackageType, &str),
        repository: Option<&Repository>,
        action: Action,
    ) -> ServiceResult<()> {
        let facts = self
            .namespace_facts(actor, owner, package_type, repository)
            .await?;
        let target = Target {
            owner_id: owner.id,
            package_type,
            name,
            repository_id: repository.map(|r| r.id),
        };
        if !self.within_grant(actor, action, &target) {
            return outside_grant(self.policy, action, &facts, true);
        }
        if owner.kind == AccountKind::Upstream && action != Action::Read {
            return Err(read_only());
        }
        let action = if action == Action::Publish {
            Action::Create
        } else {
            action
        };
        match authorize(&self.policy, actor, action, &facts) {
            Ok(()) => Ok(()),
            Err(denial) => Err(self.refusal(denial, owner.id).await),
        }
    }

    /// Whether a bounded token (a narrow one, a robot's, or one minted by
    /// trusted publishing; any other credential is unbounded here) may do
    /// `action` to `target`, whose name is compared in its format's
    /// canonical form.
    fn within_grant(&self, actor: &Actor, action: Action, target: &Target<'_>) -> bool {
        let Actor::User {
            grant: Some(grant), ..
        } = actor
        else {
            return true;
        };
        let name = self
            .catalog()
            .canonical_name(target.package_type, target.name);
        grant.permits(
            action,
            &Target {
                name: &name,
                ..*target
            },
        )
    }

    /// Where a publication of `name` by `actor` would land: an existing
    /// package they may publish to, a new one they may create, or a name
    /// taken by a package they may not see (while they may create names
    /// here). Refusals come as errors, with the answer a caller who may
    /// not see the namespace gets.
    pub async fn publish_target(
        &self,
        actor: &Actor,
        owner: &Account,
        package_type: PackageType,
        name: &str,
        repository: Option<&Repository>,
    ) -> ServiceResult<PublishTarget> {
        let Some(existing) = self
            .meta
            .package(owner.id, package_type, name, false)
            .await?
        else {
            self.authorize_namespace(
                actor,
                owner,
                (package_type, name),
                repository,
                Action::Create,
            )
            .await?;
            return Ok(PublishTarget::New);
        };
        match self
            .authorize_package(actor, Action::Publish, &existing)
            .await
        {
            Ok(()) => Ok(PublishTarget::Existing(existing)),
            Err(ServiceError::NotFound(_)) => {
                self.authorize_namespace(
                    actor,
                    owner,
                    (package_type, name),
                    repository,
                    Action::Create,
                )
                .await?;
                Ok(PublishTarget::Hidden)
            }
            Err(e) => Err(e),
        }
    }
}

/// The answer to a bounded token outside its grant: what anyone may do, it
/// may; what it could see (a public package, a namespace), it is refused;
/// the rest it is not shown.
fn outside_grant(
    policy: entrepot_core::Policy,
    action: Action,
    facts: &Facts,
    namespace: bool,
) -> ServiceResult<()> {
    match authorize(&policy, &Actor::Anonymous, action, facts) {
        Ok(()) => Ok(()),
        // A namespace is known to all, but a private repository's only
        // to those who may see it.
        Err(_)
            if facts.visibility == Visibility::Public
                || (namespace
                    && (facts.registry == RegistryKind::Granular
                        || facts.visibility != Visibility::Private)) =>
        {
            Err(ServiceError::Forbidden(
                "this token is restricted to other packages (a token minted by trusted publishing may only publish its own)".into(),
            ))
        }
        Err(_) => Err(Denial::NotFound.into()),
    }
}

/// The refusal of any change under an upstream's name: what is there is
/// cached from the upstream, and only the proxy writes it.
fn read_only() -> ServiceError {
    ServiceError::Forbidden(
        "this owner is an upstream registry: its packages are cached from it and read-only".into(),
    )
}

/// Where a publication would land (`Registry::publish_target`).
#[derive(Debug, Clone)]
pub enum PublishTarget {
    /// A package the caller may publish to.
    Existing(Package),
    /// No package has the name; the caller may create it.
    New,
    /// The name belongs to a package the caller may not see. Publishing
    /// answers as if the name were new and refused, so that the package's
    /// existence is not confirmed; a format whose names are global may
    /// say the name is taken.
    Hidden,
}
