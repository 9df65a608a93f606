//! Organizations' single sign-on, GitHub's model: an owner makes the
//! organization enforce one of the configured OpenID Connect providers;
//! from then on its members reach its packages (all but public reads) in
//! the browser only after signing on through that provider (for
//! `SSO_SESSION_LIFETIME`), and with a token only once they authorized
//! the token for the organization, from a browser that signed on. The gate
//! itself is `Registry::sso_gate`; revoking a member's identity takes
//! their sessions' sign-ons and their tokens' authorizations with it.

use chrono::{TimeDelta, Utc};
use entrepot_core::{Account, Actor, Id, Timestamp, TokenRecord};
use entrepot_store::{OrgSso, OrgSsoIdentity, SamlKept, StoreError};

use crate::identity::{Intent, Outcome};
use crate::oidc::Started;
use crate::sessions::SignInError;
use crate::{Accounts, Identity, ServiceError, ServiceResult};

/// How long a browser's sign-on to an organization lasts (GitHub's 24
/// hours).
pub const SSO_SESSION_LIFETIME: TimeDelta = TimeDelta::hours(24);

/// An organization that enforces single sign-on, as one member stands
/// with it.
#[derive(Debug, Clone)]
pub struct MemberSso {
    pub org: Account,
    pub provider: String,
    /// Whether this browser session signed on (and has not expired).
    pub signed_on: bool,
}

/// Who signs on to which organization, from which browser session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignOn<'a> {
    pub org: Id,
    pub user: Id,
    pub session: &'a str,
}

/// The browser's session key, for what only a signed-in browser may do.
fn session_of(actor: &Actor) -> ServiceResult<&str> {
    match actor {
        Actor::User {
            session: Some(s), ..
        } => Ok(s),
        Actor::User { .. } => Err(ServiceError::Forbidden(
            "only a signed-in browser does this".into(),
        )),
        Actor::Anonymous => Err(ServiceError::Unauthenticated),
    }
}

impl Identity<'_> {
    /// Begins signing the caller's browser on to `org` through its
    /// provider.
    pub async fn begin_org_sso(
        self,
        actor: &Actor,
        org: &str,
        return_to: &str,
    ) -> ServiceResult<Started> {
        let session = session_of(actor)?;
        let accounts = self.accounts();
        let org = accounts.organization(org).await?;
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        if self.meta.org_role(org.id, user).await?.is_none() {
            return Err(ServiceError::not_found("Not Found"));
        }
        let sso = self.meta.org_sso(org.id).await?.ok_or_else(|| {
            ServiceError::not_found(format!("`{}` has no single sign-on", org.login))
        })?;
        if let Some(idp) = &sso.saml {
            let on = SignOn {
                org: org.id,
                user,
                session,
            };
            return self.begin_saml(&org, idp, on, return_to).await;
        }
        let intent = Intent::SignOn {
            org: org.id,
            user,
            session: session.into(),
        };
        self.begin_oidc(&sso.provider, return_to, intent).await
    }

    /// Concludes a sign-on: the identity is linked to the member in the
    /// organization (the first time; another one is refused) and the
    /// browser session is signed on.
    pub(crate) async fn sign_on(
        self,
        provider: &str,
        subject: &str,
        on: SignOn<'_>,
        until: Timestamp,
    ) -> Result<Outcome, SignInError> {
        let SignOn { org, user, session } = on;
        let refused = |m: &str| SignInError::External(m.to_owned());
        let enforced = self.meta.org_sso(org).await?;
        if enforced.is_none_or(|s| s.provider != provider) {
            return Err(refused(
                "The organization no longer signs on through this provider. Please try again.",
            ));
        }
        if self.meta.org_role(org, user).await?.is_none() {
            return Err(refused("You are not a member of this organization."));
        }
        let now = Utc::now();
        self.meta
            .link_org_sso_identity(org, user, subject, now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => refused(
                    "This identity is another member's in the organization, or you signed on \
                     with another one before. Ask an owner of the organization to revoke the \
                     old link.",
                ),
                other => ServiceError::from(other).into(),
            })?;
        let until = until.min(now + SSO_SESSION_LIFETIME);
        self.meta.open_org_sso_session(session, org, until).await?;
        Ok(Outcome::SignedOn)
    }
}

impl Accounts<'_> {
    /// The provider `org` enforces, for its members (and site
    /// administrators).
    pub async fn org_sso_as(self, actor: &Actor, org: &str) -> ServiceResult<Option<OrgSso>> {
        let (org, _) = self.org_role_as(actor, org).await?;
        Ok(self.meta.org_sso(org.id).await?)
    }

    /// Makes `org` enforce `provider` (a configured OpenID Connect
    /// provider's name), or nothing; its owners. A change forgets every
    /// sign-on, identity and token authorization made through the former
    /// provider.
    pub async fn set_org_sso_as(
        self,
        actor: &Actor,
        org: &str,
        provider: Option<&str>,
    ) -> ServiceResult<()> {
        let org = self.organization(org).await?;
        self.require_org_owner(actor, &org).await?;
        if let Some(name) = provider
            && !self
                .identity()
                .oidc_providers()
                .await?
                .iter()
                .any(|p| p.rules.name == name)
        {
            return Err(ServiceError::Invalid(format!(
                "no OpenID Connect provider `{name}` is configured"
            )));
        }
        let current = self.meta.org_sso(org.id).await?;
        if current.as_ref().map(|s| s.provider.as_str()) == provider {
            return Ok(());
        }
        self.meta.set_org_sso(org.id, provider, Utc::now()).await?;
        Ok(())
    }

    /// Makes `org` sign on through its own SAML identity provider (its
    /// owners): where to send browsers, its entity ID and its
    /// certificates (PEM, or the bare base64 of the provider's metadata; two while it
    /// rolls its key over). Members' identities are kept while the entity
    /// ID stays; their sign-ons and token authorizations only while the
    /// certificates stay too.
    pub async fn set_org_saml_as(
        self,
        actor: &Actor,
        org: &str,
        sso_url: &str,
        issuer: &str,
        certificates: &str,
    ) -> ServiceResult<()> {
        let org = self.organization(org).await?;
        self.require_org_owner(actor, &org).await?;
        let idp = crate::saml::identity_provider(sso_url, issuer, certificates)?;
        if !crate::saml::xmlsec::available().await {
            return Err(ServiceError::Invalid(
                "SAML needs xmlsec1 on the server (Debian: apt-get install xmlsec1)".into(),
            ));
        }
        let kept = match self.meta.org_sso(org.id).await?.and_then(|s| s.saml) {
            Some(old) if old.issuer == idp.issuer && old.certificates == idp.certificates => {
                SamlKept::Everything
            }
            Some(old) if old.issuer == idp.issuer => SamlKept::Identities,
            _ => SamlKept::Nothing,
        };
        self.meta
            .set_org_saml(org.id, &idp, kept, Utc::now())
            .await?;
        Ok(())
    }

    /// The members' identities at `org`'s provider, for its owners.
    pub async fn sso_identities_as(
        self,
        actor: &Actor,
        org: &str,
    ) -> ServiceResult<Vec<(Account, OrgSsoIdentity)>> {
        let org = self.organization(org).await?;
        self.require_org_owner(actor, &org).await?;
        let mut out = Vec::new();
        for identity in self.meta.org_sso_identities(org.id).await? {
            if let Some(account) = self.meta.account_by_id(identity.user_id).await? {
                out.push((account, identity));
            }
        }
        Ok(out)
    }

    /// Revokes `login`'s identity in `org` (its owners): their browser
    /// sign-ons and their tokens' authorizations go with it.
    pub async fn revoke_sso_identity_as(
        self,
        actor: &Actor,
        org: &str,
        login: &str,
    ) -> ServiceResult<()> {
        let org = self.organization(org).await?;
        self.require_org_owner(actor, &org).await?;
        let user = self.user(login).await?;
        if self.meta.revoke_org_sso_identity(org.id, user.id).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found(format!(
                "`{login}` has no identity linked in `{}`",
                org.login
            )))
        }
    }

    /// The organizations the caller belongs to that enforce single
    /// sign-on, and whether this browser signed on to each.
    pub async fn my_sso_orgs(self, actor: &Actor) -> ServiceResult<Vec<MemberSso>> {
        let Some(me) = actor.user_id() else {
            return Err(ServiceError::Unauthenticated);
        };
        let session = session_of(actor).ok();
        let now = Utc::now();
        let mut out = Vec::new();
        for sso in self.meta.member_sso_orgs(me).await? {
            let Some(org) = self.meta.account_by_id(sso.org_id).await? else {
                continue;
            };
            let signed_on = match session {
                Some(s) => self.meta.org_sso_session_active(s, org.id, now).await?,
                None => false,
            };
            out.push(MemberSso {
                org,
                provider: sso.provider,
                signed_on,
            });
        }
        Ok(out)
    }

    /// One of the caller's own tokens, live.
    async fn own_token(self, actor: &Actor, token: Id) -> ServiceResult<TokenRecord> {
        let me = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        self.meta
            .token_by_id(token)
            .await?
            .filter(|t| t.user_id == me && t.is_usable_at(Utc::now()))
            .ok_or_else(|| ServiceError::not_found("no such token"))
    }

    /// Authorizes the caller's `token` for `org`: only from a browser that
    /// signed on to it.
    pub async fn authorize_token_as(
        self,
        actor: &Actor,
        token: Id,
        org: &str,
    ) -> ServiceResult<()> {
        let session = session_of(actor)?;
        let token = self.own_token(actor, token).await?;
        let org = self.organization(org).await?;
        if self.member_role(actor, &org).await?.is_none() {
            return Err(ServiceError::not_found("Not Found"));
        }
        if self.meta.org_sso(org.id).await?.is_none() {
            return Err(ServiceError::Invalid(format!(
                "`{}` does not use single sign-on",
                org.login
            )));
        }
        if !self
            .meta
            .org_sso_session_active(session, org.id, Utc::now())
            .await?
        {
            return Err(ServiceError::Forbidden(format!(
                "sign on to `{}` first",
                org.login
            )));
        }
        self.meta
            .authorize_token_for_org(token.id, org.id, Utc::now())
            .await?;
        Ok(())
    }

    /// Takes back the caller's `token`'s authorization for `org`.
    pub async fn deauthorize_token_as(
        self,
        actor: &Actor,
        token: Id,
        org: &str,
    ) -> ServiceResult<()> {
        let token = self.own_token(actor, token).await?;
        let org = self.organization(org).await?;
        self.meta
            .deauthorize_token_for_org(token.id, org.id)
            .await?;
        Ok(())
    }

    /// The organizations the caller's `token` is authorized for.
    pub async fn token_sso_orgs_as(self, actor: &Actor, token: Id) -> ServiceResult<Vec<Id>> {
        let token = self.own_token(actor, token).await?;
        Ok(self
            .meta
            .token_sso_orgs(token.id)
            .await?
            .into_iter()
            .map(|(org, _)| org)
            .collect())
    }

    /// The tokens authorized for `org`, with their owners and when, for
    /// its owners (GitHub's credential authorizations).
    pub async fn credential_authorizations_as(
        self,
        actor: &Actor,
        org: &str,
    ) -> ServiceResult<Vec<(TokenRecord, Account, Timestamp)>> {
        let org = self.organization(org).await?;
        self.require_org_owner(actor, &org).await?;
        let mut out = Vec::new();
        for (token, at) in self.meta.org_sso_tokens(org.id).await? {
            let Some(record) = self
                .meta
                .token_by_id(token)
                .await?
                .filter(|t| t.is_usable_at(Utc::now()))
            else {
                continue;
            };
            if let Some(owner) = self.meta.account_by_id(record.user_id).await? {
                out.push((record, owner, at));
            }
        }
        Ok(out)
    }

    /// Takes back one token's authorization for `org` (its owners).
    pub async fn revoke_credential_authorization_as(
        self,
        actor: &Actor,
        org: &str,
        token: Id,
    ) -> ServiceResult<()> {
        let org = self.organization(org).await?;
        self.require_org_owner(actor, &org).await?;
        if self.meta.deauthorize_token_for_org(token, org.id).await? {
            Ok(())
        } else {
            Err(ServiceError::not_found("Not Found"))
        }
    }
}
