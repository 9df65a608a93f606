//! Trusted publishing: owners declare which CI identity may publish a
//! package; a CI job then exchanges its provider's OpenID Connect token
//! for a registry token that lives minutes and may publish only the
//! packages whose publishers its claims match (`entrepot_core::trusted`).

use chrono::{TimeDelta, Utc};
use entrepot_core::trusted::{Grant, GrantedPackage, Publisher, PublisherSpec};
use entrepot_core::{Account, AccountKind, Action, Actor, PackageType, Scope, Scopes, token};
use entrepot_store::NewTokenRecord;

use crate::{ServiceError, ServiceResult, TrustedPublishing};

/// What a version's publish entry says before the CI run it came from.
pub const PUBLISHED_VIA: &str = " by trusted publishing from ";

/// How long a minted token works (crates.io: 30 minutes, PyPI: 15).
pub const MINTED_LIFETIME: TimeDelta = TimeDelta::minutes(15);

/// Which packages an exchange asks for.
#[derive(Debug, Clone, Copy)]
pub enum Wanted<'a> {
    /// One package, as npm's exchange names it.
    One {
        owner: &'a str,
        package_type: PackageType,
        name: &'a str,
    },
    /// Every package of the format (of `owner`, if given) whose publisher
    /// the token matches, as PyPI's and crates.io's exchanges mint.
    Matching {
        owner: Option<&'a str>,
        package_type: PackageType,
    },
}

/// A token minted by an exchange: shown once.
#[derive(Debug, Clone)]
pub struct Minted {
    pub secret: String,
    pub token_id: entrepot_core::Id,
    pub expires_at: chrono::DateTime<Utc>,
    pub grant: Grant,
}

impl TrustedPublishing<'_> {
    /// The audience a client asks its CI provider to mint a token for:
    /// `prefix` and this registry's host name (npm: `npm:HOST`).
    #[must_use]
    pub fn audience(self, prefix: &str) -> String {
        let host = url::Url::parse(&self.catalog().url("/"))
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        format!("{prefix}{host}")
    }

    /// The issuers of CI tokens a publisher may name.
    #[must_use]
    pub fn issuers(self) -> Vec<String> {
        self.trusted_issuers.to_vec()
    }

    /// Declares that `spec`'s CI identity may publish `owner`'s package
    /// `name` (existing or not yet). `actor` is `None` for the operator on
    /// the command line, who may do anything.
    pub async fn add(
        self,
        actor: Option<&Actor>,
        owner: &str,
        package_type: PackageType,
        name: &str,
        spec: PublisherSpec,
    ) -> ServiceResult<Publisher> {
        let owner = self
            .may_manage_publishers(actor, owner, package_type, name)
            .await?;
        spec.check().map_err(ServiceError::Invalid)?;
        if !self.trusted_issuers.contains(&spec.issuer) {
            return Err(ServiceError::Invalid(format!(
                "`{}` is not an issuer this registry trusts; a site administrator allows issuers with --trusted-issuers (now: {})",
                spec.issuer,
                self.trusted_issuers.join(", ")
            )));
        }
        let name = self.catalog().canonical_name(package_type, name);
        let publisher = self
            .meta
            .add_publisher(
                owner.id,
                package_type,
                &name,
                &spec,
                actor.and_then(Actor::user_id),
                Utc::now(),
            )
            .await?;
        self.audit_publisher(actor, &owner, "trusted_publisher.add", &publisher)
            .await?;
        Ok(publisher)
    }

    /// The publishers of `owner`'s package `name`.
    pub async fn list(
        self,
        actor: Option<&Actor>,
        owner: &str,
        package_type: PackageType,
        name: &str,
    ) -> ServiceResult<Vec<Publisher>> {
        let owner = self
            .may_manage_publishers(actor, owner, package_type, name)
            .await?;
        Ok(self
            .meta
            .publishers_of(
                owner.id,
                package_type,
                &self.catalog().canonical_name(package_type, name),
            )
            .await?)
    }

    /// Removes publisher `id` of `owner`'s package `name`.
    pub async fn remove(
        self,
        actor: Option<&Actor>,
        owner: &str,
        package_type: PackageType,
        name: &str,
        id: entrepot_core::Id,
    ) -> ServiceResult<()> {
        let owner = self
            .may_manage_publishers(actor, owner, package_type, name)
            .await?;
        let publisher = self
            .meta
            .publisher(id)
            .await?
            .filter(|p| {
                p.owner_id == owner.id
                    && p.package_type == package_type
                    && p.name == self.catalog().canonical_name(package_type, name)
            })
            .ok_or_else(|| ServiceError::not_found(format!("no trusted publisher {id}")))?;
        self.meta.remove_publisher(id).await?;
        self.audit_publisher(actor, &owner, "trusted_publisher.remove", &publisher)
            .await
    }

    /// The owner, if `actor` may manage the publishers of its package
    /// `name`: the package's administrators, or before it exists, those
    /// who manage the owner's settings.
    async fn may_manage_publishers(
        self,
        actor: Option<&Actor>,
        owner: &str,
        package_type: PackageType,
        name: &str,
    ) -> ServiceResult<Account> {
        let what = format!("package {owner}/{name}");
        let account = self
            .meta
            .account_by_login(owner)
            .await?
            .filter(|a| a.kind != AccountKind::Upstream)
            .ok_or_else(|| match actor {
                Some(actor) => ServiceError::unseen(actor, what.clone()),
                None => ServiceError::not_found(format!("no owner `{owner}`")),
            })?;
        let Some(actor) = actor else {
            return Ok(account);
        };
        // The package as written, else in its canonical spelling (NuGet's
        // ids are kept lowercase).
        let mut existing = self
            .meta
            .package(account.id, package_type, name, false)
            .await?;
        if existing.is_none() {
            let canonical = self.catalog().canonical_name(package_type, name);
            existing = self
                .meta
                .package(account.id, package_type, &canonical, false)
                .await?;
        }
        match existing {
            Some(package) => {
                self.authorize_package(actor, Action::Manage, &package)
                    .await?;
            }
            None => {
                self.may_manage_owner(actor, &account, true, "trusted publishers")
                    .await?;
            }
        }
        Ok(account)
    }

    async fn audit_publisher(
        self,
        actor: Option<&Actor>,
        owner: &Account,
        action: &str,
        publisher: &Publisher,
    ) -> ServiceResult<()> {
        let package = self
            .meta
            .package(owner.id, publisher.package_type, &publisher.name, false)
            .await?;
        let detail = format!(
            "{} {}: {} {}",
            publisher.package_type,
            publisher.name,
            publisher.spec.issuer,
            publisher.spec.repository
        );
        self.packages()
            .audit(
                actor.unwrap_or(&Actor::Anonymous),
                action,
                package.map(|p| p.id),
                None,
                Some(detail),
            )
            .await
    }

    /// Exchanges a CI provider's token, sent for `audience`, for a registry
    /// token bound to the `wanted` packages its claims may publish.
    pub async fn exchange(
        self,
        jwt: &str,
        audience: &str,
        wanted: Wanted<'_>,
    ) -> ServiceResult<Minted> {
        let token = self.verify_ci_token(jwt, audience).await?;
        let (package_type, candidates) = match wanted {
            Wanted::One {
                owner,
                package_type,
                name,
            } => {
                let account = self.publishing_owner(owner).await?;
                let found = self
                    .meta
                    .publishers_of(
                        account.id,
                        package_type,
                        &self.catalog().canonical_name(package_type, name),
                    )
                    .await?;
                if found.is_empty() {
                    return Err(ServiceError::Forbidden(format!(
                        "no trusted publisher is configured for {package_type} package {owner}/{name}"
                    )));
                }
                (package_type, found)
            }
            Wanted::Matching {
                owner,
                package_type,
            } => {
                let mut found = self
                    .meta
                    .publishers_by_issuer(&token.issuer, package_type)
                    .await?;
                if let Some(owner) = owner {
                    let account = self.publishing_owner(owner).await?;
                    found.retain(|p| p.owner_id == account.id);
                }
                (package_type, found)
            }
        };
        let mut matched = Vec::new();
        let mut mismatches = Vec::new();
        for publisher in candidates {
            if publisher.spec.issuer != token.issuer {
                mismatches.push(format!(
                    "{}: the token's issuer is `{}`, the trusted publisher expects `{}`",
                    publisher.name, token.issuer, publisher.spec.issuer
                ));
                continue;
            }
            match publisher.spec.matches(&token.claims) {
                Ok(()) => matched.push(publisher),
                Err(mismatch) => mismatches.push(format!("{}: {mismatch}", publisher.name)),
            }
        }
        let Some(first) = matched.first() else {
            return Err(ServiceError::Forbidden(if mismatches.is_empty() {
                format!(
                    "no trusted publisher of a {package_type} package names this token's issuer `{}`",
                    token.issuer
                )
            } else {
                format!(
                    "no trusted publisher matches the token: {}",
                    mismatches.join("; ")
                )
            }));
        };
        let owner_id = first.owner_id;
        if matched.iter().any(|p| p.owner_id != owner_id) {
            return Err(ServiceError::Forbidden(
                "the token matches trusted publishers of several owners; a token is minted for one owner's packages: give each owner's publisher its own workflow or environment".into(),
            ));
        }
        let via = entrepot_core::trusted::describe_run(&token.issuer, &token.claims);
        let grant = Grant {
            packages: matched
                .iter()
                .map(|p| GrantedPackage {
                    owner_id,
                    package_type: p.package_type,
                    name: p.name.clone(),
                })
                .collect(),
            owners: Vec::new(),
            repositories: Vec::new(),
            via,
        };
        self.mint(owner_id, grant).await
    }

    /// The exchange of Cargo, RubyGems and NuGet: a token for `owner`'s
    /// packages of `package_type` whose publishers the CI token (for this
    /// registry's host name) matches.
    pub async fn exchange_for_owner(
        self,
        jwt: &str,
        owner: &str,
        package_type: PackageType,
    ) -> ServiceResult<Minted> {
        let wanted = Wanted::Matching {
            owner: Some(owner),
            package_type,
        };
        self.exchange(jwt, &self.audience(""), wanted).await
    }

    /// The container registry's exchange, at its token endpoint: the CI
    /// token a client logged in with (its password) for a token bound to
    /// `owner`'s images whose publishers it matches. Container clients
    /// send that password again for every registry token: the very same
    /// CI token gets the registry token it was first traded for, while
    /// that lives, where any other reuse of its `jti` is refused.
    pub async fn registry_login(self, jwt: &str, owner: &str) -> ServiceResult<Actor> {
        use sha2::Digest as _;
        let jwt = jwt.trim();
        let issuer = crate::trusted_token::stated_claim(jwt, "iss")?;
        let jti = crate::trusted_token::stated_claim(jwt, "jti")?;
        let digest = hex::encode(sha2::Sha256::digest(jwt.as_bytes()));
        if let Some(id) = self.meta.exchanged_for(&issuer, &jti, &digest).await? {
            return self.sessions().token_actor(id).await;
        }
        let minted = self
            .exchange_for_owner(jwt, owner, PackageType::Container)
            .await?;
        self.meta
            .remember_exchange(&issuer, &jti, &digest, minted.token_id)
            .await?;
        self.sessions().token_actor(minted.token_id).await
    }

    /// The account packages are published under; upstreams publish nothing.
    async fn publishing_owner(self, login: &str) -> ServiceResult<Account> {
        self.meta
            .account_by_login(login)
            .await?
            .filter(|a| a.kind != AccountKind::Upstream)
            .ok_or_else(|| ServiceError::not_found(format!("no owner `{login}`")))
    }

    async fn mint(self, owner_id: entrepot_core::Id, grant: Grant) -> ServiceResult<Minted> {
        let new = token::generate();
        let expires_at = Utc::now() + MINTED_LIFETIME;
        let names: Vec<&str> = grant.packages.iter().map(|p| p.name.as_str()).collect();
        let record = self
            .meta
            .create_token(NewTokenRecord {
                user_id: owner_id,
                hash: new.hash,
                prefix: new.prefix,
                scopes: Scopes::from_iter([Scope::ReadPackages, Scope::WritePackages]),
                note: Some(format!(
                    "trusted publishing of {}: {}",
                    names.join(", "),
                    grant.via
                )),
                expires_at: Some(expires_at),
                bound_to: Some(grant.clone()),
            })
            .await?;
        let actor = Actor::User {
            id: owner_id,
            login: String::new(),
            site_admin: false,
            scopes: record.scopes,
            token_id: Some(record.id),
            session: None,
            grant: Some(std::sync::Arc::new(grant.clone())),
        };
        self.packages()
            .audit(
                &actor,
                "trusted_publisher.exchange",
                None,
                None,
                Some(format!("{}: {}", names.join(", "), grant.via)),
            )
            .await?;
        Ok(Minted {
            secret: new.secret,
            token_id: record.id,
            expires_at,
            grant,
        })
    }

    /// The CI run that published `version` by trusted publishing, if one
    /// did, as its audit entry names it.
    pub async fn published_via(self, version: entrepot_core::Id) -> ServiceResult<Option<String>> {
        let entries = self.meta.version_audit(version, "version.publish").await?;
        Ok(entries.iter().find_map(|e| {
            e.detail
                .as_deref()
                .and_then(|d| d.split_once(PUBLISHED_VIA))
                .map(|(_, via)| via.to_owned())
        }))
    }

    /// Revokes a minted token, as crates.io's action does when its job
    /// ends; any other token is refused.
    pub async fn revoke(self, actor: &Actor) -> ServiceResult<()> {
        let Actor::User {
            token_id: Some(id),
            grant: Some(_),
            ..
        } = actor
        else {
            return Err(ServiceError::Forbidden(
                "only a token minted by trusted publishing is revoked here".into(),
            ));
        };
        self.meta.revoke_token(*id, Utc::now()).await?;
        Ok(())
    }
}
