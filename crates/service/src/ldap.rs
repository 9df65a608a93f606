//! Signing in against an LDAP directory, as Gitea and Nexus do: the sign-in
//! form's password is checked by finding the person's entry (with the
//! service account, or anonymously) and binding as it, and their groups are
//! read from the directory. What the directory says then goes through the
//! same rules as any provider's (`identity.rs`): linked by the entry's
//! unique identifier (`entryUUID`, or Active Directory's binary
//! `objectGUID`; never its DN, which a newcomer may be given again),
//! provisioned where allowed, groups kept as organization membership.
//!
//! The server's address must be one the outbound allow list permits, as
//! every other request this server sends; answers are bounded in entries
//! and in time.

use std::time::Duration;

use entrepot_core::Secret;
use entrepot_core::identity::ProviderRules;
use ldap3::{
    Ldap, LdapConnAsync, LdapConnSettings, Scope, SearchEntry, SearchOptions, ldap_escape,
};

use std::net::IpAddr;

use entrepot_core::Actor;

use crate::identity::{Intent, ProviderButton, Vouched};
use crate::sessions::SignInError;
use crate::{Identity, ServiceError, ServiceResult};

/// An LDAP directory, as the operator configured it.
#[derive(Debug, Clone)]
pub struct LdapProvider {
    pub rules: ProviderRules,
    /// `ldap://HOST[:PORT]` or `ldaps://…`.
    pub url: url::Url,
    /// Upgrade an `ldap://` connection with StartTLS.
    pub starttls: bool,
    /// The service account that searches, if not anonymous.
    pub bind_dn: Option<String>,
    pub bind_password: Option<Secret>,
    /// Where people's entries are, and the filter that finds one (`{login}`
    /// stands for the escaped user name).
    pub user_base: String,
    pub user_filter: String,
    pub login_attribute: String,
    pub name_attribute: String,
    pub email_attribute: String,
    /// The attribute that identifies an entry for good (`entryUUID`;
    /// `objectGUID` on Active Directory, read as hex).
    pub unique_attribute: String,
    /// Where groups are, and the filter that finds a person's (`{dn}` and
    /// `{login}` escaped); none: groups are not read.
    pub group_base: Option<String>,
    pub group_filter: String,
    /// The attribute that names a group.
    pub group_attribute: String,
}

/// How long one sign-in may wait for the directory, in all.
const DEADLINE: Duration = Duration::from_secs(20);
/// The most groups one person's search returns.
const MAX_GROUPS: i32 = 1000;

fn directory_error(provider: &LdapProvider, e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Upstream(format!(
        "{} did not answer: {e}",
        provider.rules.display_name
    ))
}

impl Identity<'_> {
    /// Checks `login` and `password` against each directory in turn; the
    /// first that knows them says who they are. `None`: none does.
    pub(crate) async fn directory_sign_in(
        self,
        login: &str,
        password: &str,
    ) -> ServiceResult<Option<(ProviderRules, Vouched)>> {
        // An empty password is an "unauthenticated bind", which succeeds
        // for any DN: never a sign-in.
        if password.is_empty() || login.is_empty() {
            return Ok(None);
        }
        for provider in &self.identity_providers.ldap {
            let found =
                tokio::time::timeout(DEADLINE, self.authenticate(provider, login, password))
                    .await
                    .map_err(|_| directory_error(provider, "no answer in time"));
            match found {
                Ok(Ok(Some(vouched))) => return Ok(Some((provider.rules.clone(), vouched))),
                Ok(Ok(None)) => {}
                // One directory down must not lock everyone out of the
                // others, nor out of local passwords: logged, skipped.
                Ok(Err(e)) | Err(e) => {
                    tracing::warn!(provider = %provider.rules.name, error = %e, "LDAP sign-in failed");
                }
            }
        }
        Ok(None)
    }

    /// A connection to the directory, bound as the service account if
    /// there is one.
    async fn connect(self, provider: &LdapProvider) -> ServiceResult<Ldap> {
        let host = provider.url.host_str().unwrap_or_default();
        let default_port = if provider.url.scheme() == "ldaps" {
            636
        } else {
            389
        };
        let port = provider.url.port().unwrap_or(default_port);
        self.outbound
            .check_host(host, port)
            .await
            .map_err(|e| directory_error(provider, e))?;
        let settings = LdapConnSettings::new()
            .set_conn_timeout(Duration::from_secs(10))
            .set_starttls(provider.starttls);
        let (conn, mut ldap) = LdapConnAsync::from_url_with_settings(settings, &provider.url)
            .await
            .map_err(|e| directory_error(provider, e))?;
        ldap3::drive!(conn);
        service_bind(&mut ldap, provider).await?;
        Ok(ldap)
    }

    /// The directories one may connect on the profile page.
    #[must_use]
    pub fn directory_providers(&self) -> Vec<ProviderButton> {
        self.identity_providers
            .ldap
            .iter()
            .map(|p| ProviderButton {
                name: p.rules.name.clone(),
                display_name: p.rules.display_name.clone(),
                path: String::new(),
            })
            .collect()
    }

    /// Links the caller's entry in directory `provider` to their account,
    /// proven by its user name and password (counted by the throttle as
    /// any password is).
    pub async fn connect_directory_as(
        self,
        actor: &Actor,
        provider: &str,
        login: &str,
        password: &str,
        from: Option<IpAddr>,
    ) -> Result<(), SignInError> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        let directory = self
            .identity_providers
            .ldap
            .iter()
            .find(|p| p.rules.name == provider)
            .ok_or_else(|| ServiceError::not_found(format!("no directory `{provider}`")))?;
        match self.sessions().count_password_attempt(login, from).await {
            Err(ServiceError::Throttled(m)) => return Err(SignInError::Throttled(m)),
            other => other?,
        }
        if password.is_empty() || login.is_empty() {
            return Err(SignInError::Refused);
        }
        let vouched = tokio::time::timeout(DEADLINE, self.authenticate(directory, login, password))
            .await
            .map_err(|_| directory_error(directory, "no answer in time"))??
            .ok_or(SignInError::Refused)?;
        self.conclude(&directory.rules, vouched, Intent::Link(user))
            .await?;
        self.sessions()
            .forgive_password_attempt(login, from)
            .await?;
        Ok(())
    }

    async fn authenticate(
        self,
        provider: &LdapProvider,
        login: &str,
        password: &str,
    ) -> ServiceResult<Option<Vouched>> {
        let mut ldap = self.connect(provider).await?;
        let fail = |e: ldap3::LdapError| directory_error(provider, e);
        let escaped = ldap_escape(login);
        let filter = provider.user_filter.replace("{login}", &escaped);
        let attributes = [
            provider.login_attribute.as_str(),
            provider.name_attribute.as_str(),
            provider.email_attribute.as_str(),
            provider.unique_attribute.as_str(),
        ];
        let ldap3::SearchResult(mut entries, result) = ldap
            .with_search_options(SearchOptions::new().sizelimit(2))
            .search(&provider.user_base, Scope::Subtree, &filter, attributes)
            .await
            .map_err(fail)?;
        // None, or more than one (sizeLimitExceeded: a filter too loose to
        // trust): no one. So is a refused bind (invalidCredentials…).
        let found = result.rc == 0 && entries.len() == 1;
        if !matches!(result.rc, 0 | 4 | 32) {
            tracing::warn!(provider = %provider.rules.name, rc = result.rc, text = %result.text, "LDAP user search failed");
        }
        let entry = found.then(|| SearchEntry::construct(entries.remove(0)));
        let bound = match &entry {
            Some(entry) => {
                ldap.simple_bind(&entry.dn, password)
                    .await
                    .map_err(fail)?
                    .rc
                    == 0
            }
            None => false,
        };
        let (Some(entry), true) = (entry, bound) else {
            let _ = ldap.unbind().await;
            return Ok(None);
        };
        // Groups that cannot be read leave memberships as they are: a
        // missing base must not read as "in no group".
        // The entry's own spelling of the name (memberUid compares exactly).
        let entry_login = entry
            .attrs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(&provider.login_attribute))
            .and_then(|(_, v)| v.first())
            .map_or(escaped.clone(), |l| ldap_escape(l.clone()));
        let groups = match &provider.group_base {
            Some(base) => match groups_of(&mut ldap, provider, base, &entry.dn, &entry_login).await
            {
                Ok(groups) => Some(groups),
                Err(e) => {
                    tracing::warn!(provider = %provider.rules.name, error = %e, "LDAP group search failed; memberships left as they are");
                    None
                }
            },
            None => None,
        };
        let _ = ldap.unbind().await;
        let first = |name: &str| {
            entry
                .attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .and_then(|(_, v)| v.first().cloned())
        };
        let unique = first(&provider.unique_attribute).or_else(|| {
            entry
                .bin_attrs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&provider.unique_attribute))
                .and_then(|(_, v)| v.first())
                .map(hex::encode)
        });
        let Some(unique) = unique else {
            return Err(directory_error(
                provider,
                format!(
                    "the entry {} has no {}",
                    entry.dn, provider.unique_attribute
                ),
            ));
        };
        Ok(Some(Vouched {
            subject: unique,
            login: first(&provider.login_attribute).or_else(|| Some(login.to_owned())),
            name: first(&provider.name_attribute),
            email: first(&provider.email_attribute),
            groups,
        }))
    }
}

async fn service_bind(ldap: &mut Ldap, provider: &LdapProvider) -> ServiceResult<()> {
    if let (Some(dn), Some(pw)) = (&provider.bind_dn, &provider.bind_password) {
        ldap.simple_bind(dn, pw.expose())
            .await
            .and_then(ldap3::LdapResult::success)
            .map_err(|e| directory_error(provider, e))?;
    }
    Ok(())
}

/// The names of the groups whose entries `group_filter` finds for `dn`,
/// searched as the service account (a person may not read groups); past
/// the limit, the groups found so far.
async fn groups_of(
    ldap: &mut Ldap,
    provider: &LdapProvider,
    base: &str,
    dn: &str,
    escaped_login: &str,
) -> ServiceResult<Vec<String>> {
    service_bind(ldap, provider).await?;
    let filter = provider
        .group_filter
        .replace("{dn}", &ldap_escape(dn))
        .replace("{login}", escaped_login);
    let ldap3::SearchResult(found, result) = ldap
        .with_search_options(SearchOptions::new().sizelimit(MAX_GROUPS))
        .search(
            base,
            Scope::Subtree,
            &filter,
            [provider.group_attribute.as_str()],
        )
        .await
        .map_err(|e| directory_error(provider, e))?;
    if !matches!(result.rc, 0 | 4) {
        return Err(directory_error(provider, result));
    }
    Ok(found
        .into_iter()
        .map(SearchEntry::construct)
        .filter_map(|g| {
            g.attrs
                .into_iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&provider.group_attribute))
                .and_then(|(_, v)| v.into_iter().next())
        })
        .collect())
}
