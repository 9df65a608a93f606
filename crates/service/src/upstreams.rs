//! Upstream registries Entrepot proxies and caches. Only site
//! administrators register them, and the address they give is trusted as
//! given (loopback included); each upstream's name becomes a reserved,
//! read-only owner of what is cached from it.

use entrepot_core::{Account, AccountKind, Actor, PackageType, Scope, Secret, Upstream, names};
use entrepot_store::{Fallthrough, NewUpstream, StoreError};

use crate::accounts::parse_lifetime;
use crate::{ServiceError, ServiceResult, Upstreams};

/// How long fetched metadata is served before it is revalidated, unless
/// the administrator says otherwise.
pub const DEFAULT_METADATA_TTL_SECONDS: i64 = 600;

/// What an administrator asks for when registering an upstream.
#[derive(Debug, Clone)]
pub struct UpstreamRequest {
    pub name: String,
    pub format: String,
    pub url: String,
    pub username: Option<String>,
    pub password: Option<String>,
    /// Such as `10m`, `30s` or `0` (revalidate every time).
    pub metadata_ttl: Option<String>,
    pub is_default: bool,
}

/// Parses a metadata lifetime: `0`, seconds (`30s`), or a lifetime such as
/// `10m`, `2h`, `1d`.
pub fn parse_ttl(text: &str) -> ServiceResult<i64> {
    let text = text.trim();
    if text == "0" {
        return Ok(0);
    }
    if let Some(seconds) = text.strip_suffix('s')
        && let Ok(n) = seconds.parse::<i64>()
        && n >= 0
    {
        return Ok(n);
    }
    parse_lifetime(text)
        .map(|d| d.num_seconds())
        .map_err(|_| invalid(format!("`{text}` is not a lifetime such as 30s, 10m or 1h")))
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(message.into())
}

/// Where an owner's index falls through to, and the names it keeps.
#[derive(Debug, Clone)]
pub struct OwnerFallthrough {
    pub upstream: Upstream,
    /// Patterns (PEP 503-normalised globs) of names that never come from
    /// the upstream, whether the owner has them or not.
    pub reserved: Vec<String>,
}

impl OwnerFallthrough {
    /// Whether the owner keeps `name` (PEP 503-normalised) for itself.
    pub fn reserves(&self, name: &str) -> bool {
        self.reserved.iter().any(|p| glob(p, name))
    }
}

pub use entrepot_core::names::glob;

/// Reserved-name patterns as typed: names with `*`, normalised as PEP 503
/// normalises project names.
fn checked_patterns(patterns: &[String]) -> ServiceResult<Vec<String>> {
    if patterns.len() > 100 {
        return Err(invalid("at most 100 reserved patterns"));
    }
    patterns
        .iter()
        .map(|p| {
            let ok = !p.is_empty()
                && p.len() <= 100
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*'));
            if ok {
                Ok(names::pep503(p))
            } else {
                Err(invalid(format!(
                    "`{p}` is not a name pattern (letters, digits, `-`, `_`, `.` and `*`)"
                )))
            }
        })
        .collect()
}

/// Checks what an administrator typed, before anything is stored.
fn checked(request: UpstreamRequest, proxied: &[PackageType]) -> ServiceResult<NewUpstream> {
    if !names::is_valid_login(&request.name) {
        return Err(invalid(format!(
            "`{}` is not a valid owner name (letters, digits and single hyphens)",
            request.name
        )));
    }
    let format: PackageType = request
        .format
        .parse()
        .map_err(|_| invalid(format!("unknown format `{}`", request.format)))?;
    if !proxied.contains(&format) {
        let known: Vec<_> = proxied.iter().map(|f| f.as_str()).collect();
        return Err(invalid(format!(
            "{format} upstreams are not supported yet (supported: {})",
            known.join(", ")
        )));
    }
    let mut url = url::Url::parse(request.url.trim())
        .map_err(|e| invalid(format!("`{}` is not a URL: {e}", request.url)))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(
            "an upstream's URL is http:// or https:// with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "give an upstream's credentials with --username and --password-stdin, not in its URL",
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid("an upstream's URL has no query or fragment"));
    }
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    let username = request.username.filter(|u| !u.is_empty());
    let password = request.password.filter(|p| !p.is_empty());
    if username.is_some() != password.is_some() {
        return Err(invalid("an upstream's username and password go together"));
    }
    let metadata_ttl_seconds = match request.metadata_ttl.as_deref() {
        None => DEFAULT_METADATA_TTL_SECONDS,
        Some(text) => parse_ttl(text)?,
    };
    Ok(NewUpstream {
        name: request.name,
        format,
        url: url.to_string(),
        username,
        password: password.map(Secret::new),
        metadata_ttl_seconds,
        is_default: request.is_default,
    })
}

/// Upstreams are the site administrators' business: anyone else is told
/// there is nothing here, and changes need a token that may write.
pub(crate) fn site_admin(actor: &Actor, change: bool) -> ServiceResult<()> {
    match actor {
        Actor::Anonymous => Err(ServiceError::Unauthenticated),
        Actor::User {
            site_admin: false, ..
        } => Err(ServiceError::not_found("Not Found")),
        Actor::User { scopes, .. } if change && !scopes.contains(Scope::WritePackages) => {
            Err(entrepot_core::Denial::MissingScope(Scope::WritePackages).into())
        }
        Actor::User { .. } => Ok(()),
    }
}

impl Upstreams<'_> {
    /// Registers an upstream (`admin upstream add`, which needs no token).
    pub async fn add_upstream(self, request: UpstreamRequest) -> ServiceResult<Upstream> {
        let new = checked(request, &self.catalog.proxied_formats())?;
        match self.meta.create_upstream(new.clone()).await {
            Err(StoreError::Conflict(_)) => Err(ServiceError::Conflict(format!(
                "the name `{}` is taken by a user, an organization or an upstream",
                new.name
            ))),
            created => {
                let upstream = created?;
                self.flights.forget_upstreams();
                tracing::info!(
                    name = %upstream.name,
                    format = %upstream.format,
                    url = %upstream.url,
                    "upstream registered"
                );
                Ok(upstream)
            }
        }
    }

    /// Every upstream, by name.
    pub async fn upstreams(self) -> ServiceResult<Vec<Upstream>> {
        Ok(self.meta.upstreams().await?)
    }

    /// Every upstream, as this node last read them: the proxy asks on
    /// every request, and they change rarely. A change made here is seen
    /// at once; one made on another node within `UPSTREAMS_FRESH`.
    pub(crate) async fn known_upstreams(self) -> ServiceResult<std::sync::Arc<Vec<Upstream>>> {
        if let Some(known) = self.flights.known_upstreams() {
            return Ok(known);
        }
        let read = std::sync::Arc::new(self.meta.upstreams().await?);
        self.flights.keep_upstreams(read.clone());
        Ok(read)
    }

    /// The upstream named `name`, if there is one.
    pub async fn upstream(self, name: &str) -> ServiceResult<Option<Upstream>> {
        Ok(self.meta.upstream(name).await?)
    }

    /// Removes an upstream and everything cached from it.
    pub async fn remove_upstream(self, name: &str) -> ServiceResult<Upstream> {
        let upstream = self
            .meta
            .upstream(name)
            .await?
            .ok_or_else(|| ServiceError::not_found(format!("no upstream is named `{name}`")))?;
        self.meta.remove_upstream(upstream.account_id).await?;
        self.flights.forget_upstreams();
        tracing::info!(name = %upstream.name, "upstream removed with its cache");
        Ok(upstream)
    }

    /// The upstream whose reserved owner `account` is, if it is one.
    pub async fn upstream_of(self, account: &Account) -> ServiceResult<Option<Upstream>> {
        if account.kind != AccountKind::Upstream {
            return Ok(None);
        }
        Ok(self
            .known_upstreams()
            .await?
            .iter()
            .find(|u| u.account_id == account.id)
            .cloned())
    }

    /// Makes `owner`'s index of `format` serve, for names `owner` does not
    /// have, the upstream `upstream`'s (`None` turns it off): `admin owner
    /// fallthrough`.
    pub async fn set_fallthrough(
        self,
        owner: &str,
        format: &str,
        upstream: Option<&str>,
        reserved: &[String],
    ) -> ServiceResult<()> {
        let format: PackageType = format
            .parse()
            .map_err(|_| invalid(format!("unknown format `{format}`")))?;
        if !self.catalog.proxying(format).owner_fallthrough {
            let hint = if self.catalog.proxying(format).default_upstream {
                format!(
                    " ({format} serves every name no local owner has from its --default upstream)"
                )
            } else {
                String::new()
            };
            return Err(invalid(format!(
                "an owner's {format} index does not fall through to an upstream{hint}"
            )));
        }
        let account = self
            .meta
            .account_by_login(owner)
            .await?
            .filter(|a| a.kind != AccountKind::Upstream)
            .ok_or_else(|| ServiceError::not_found(format!("no user or organization `{owner}`")))?;
        let upstream = match upstream {
            None => None,
            Some(name) => {
                let upstream = self.upstream(name).await?.ok_or_else(|| {
                    ServiceError::not_found(format!("no upstream is named `{name}`"))
                })?;
                if upstream.format != format {
                    return Err(invalid(format!(
                        "`{name}` is a {} upstream, not a {format} one",
                        upstream.format
                    )));
                }
                Some(Fallthrough {
                    upstream: upstream.account_id,
                    reserved: checked_patterns(reserved)?,
                })
            }
        };
        self.meta
            .set_fallthrough(account.id, format, upstream.as_ref())
            .await?;
        Ok(())
    }

    /// Where `owner`'s index of `format` falls through to, if anywhere.
    pub async fn fallthrough_of(
        self,
        owner: &Account,
        format: PackageType,
    ) -> ServiceResult<Option<OwnerFallthrough>> {
        let Some(fallthrough) = self.meta.fallthrough(owner.id, format).await? else {
            return Ok(None);
        };
        Ok(self
            .known_upstreams()
            .await?
            .iter()
            .find(|u| u.account_id == fallthrough.upstream)
            .map(|upstream| OwnerFallthrough {
                upstream: upstream.clone(),
                reserved: fallthrough.reserved,
            }))
    }

    /// `add_upstream` for a site administrator's request (REST, web).
    pub async fn add_as(self, actor: &Actor, request: UpstreamRequest) -> ServiceResult<Upstream> {
        site_admin(actor, true)?;
        self.add_upstream(request).await
    }

    /// `upstreams` for a site administrator.
    pub async fn list_as(self, actor: &Actor) -> ServiceResult<Vec<Upstream>> {
        site_admin(actor, false)?;
        self.upstreams().await
    }

    /// One upstream, for a site administrator; anyone else learns nothing.
    pub async fn get_as(self, actor: &Actor, name: &str) -> ServiceResult<Upstream> {
        site_admin(actor, false)?;
        self.upstream(name)
            .await?
            .ok_or_else(|| ServiceError::not_found("Not Found"))
    }

    /// `remove_upstream` for a site administrator.
    pub async fn remove_as(self, actor: &Actor, name: &str) -> ServiceResult<Upstream> {
        site_admin(actor, true)?;
        self.remove_upstream(name).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROXIED: &[PackageType] = &[PackageType::Npm, PackageType::Pypi];

    fn request(url: &str) -> UpstreamRequest {
        UpstreamRequest {
            name: "npmjs".into(),
            format: "npm".into(),
            url: url.into(),
            username: None,
            password: None,
            metadata_ttl: None,
            is_default: false,
        }
    }

    #[test]
    fn urls_are_checked_and_end_with_a_slash() {
        let new = checked(request("http://127.0.0.1:4873"), PROXIED).unwrap();
        assert_eq!(new.url, "http://127.0.0.1:4873/");
        assert_eq!(new.metadata_ttl_seconds, DEFAULT_METADATA_TTL_SECONDS);
        for bad in [
            "ftp://example.com/",
            "not a url",
            "https://user:pw@example.com/",
            "https://example.com/?x=1",
            "file:///etc/passwd",
        ] {
            assert!(checked(request(bad), PROXIED).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_formats_and_credentials_are_checked() {
        let bad_name = UpstreamRequest {
            name: "-npm".into(),
            ..request("https://registry.npmjs.org/")
        };
        assert!(checked(bad_name, PROXIED).is_err());
        let unsupported = UpstreamRequest {
            format: "maven".into(),
            ..request("https://repo1.maven.org/maven2/")
        };
        let error = checked(unsupported, PROXIED).unwrap_err().to_string();
        assert!(error.contains("not supported yet"), "{error}");
        let half = UpstreamRequest {
            username: Some("reader".into()),
            ..request("https://registry.npmjs.org/")
        };
        assert!(checked(half, PROXIED).is_err());
    }

    #[test]
    fn patterns_match_with_stars() {
        assert!(glob("acme-*", "acme-utils"));
        assert!(glob("acme-*", "acme-"));
        assert!(!glob("acme-*", "acm"));
        assert!(glob("*-internal", "billing-internal"));
        assert!(glob("a*b*c", "a-x-b-y-c"));
        assert!(!glob("a*b*c", "a-x-c"));
        assert!(glob("exact", "exact") && !glob("exact", "exactly"));
        assert!(glob("*", "anything"));
        assert_eq!(
            checked_patterns(&["Acme_*".into()]).unwrap(),
            ["acme-*".to_owned()]
        );
        assert!(checked_patterns(&["../x".into()]).is_err());
    }

    #[test]
    fn ttls_parse_in_seconds() {
        assert_eq!(parse_ttl("0").unwrap(), 0);
        assert_eq!(parse_ttl("30s").unwrap(), 30);
        assert_eq!(parse_ttl("10m").unwrap(), 600);
        assert_eq!(parse_ttl("2h").unwrap(), 7200);
        assert!(parse_ttl("-5s").is_err());
        assert!(parse_ttl("soon").is_err());
    }
}
