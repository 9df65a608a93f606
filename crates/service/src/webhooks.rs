//! Webhooks as GitHub has them for packages: hooks on an account (every
//! package it owns) or on one package, the events they take, and the
//! delivery log with redelivery. Events are enqueued in the shared store
//! and sent by the delivery worker (`delivery.rs`), so a publish never
//! waits on a receiver and any node may send what another enqueued.
//!
//! Who manages which hooks: a user their own, an organization's owners the
//! organization's, a package's admins the package's. Hooks the caller may
//! not manage answer as missing (401 to anonymous callers).

use std::collections::HashSet;
use std::sync::RwLock;
use std::time::Duration;

use chrono::Utc;
use entrepot_core::webhook::{
    EVENT_PACKAGE, EVENT_PING, EVENT_REGISTRY_PACKAGE, EVENT_SECURITY_ADVISORY, EVENTS, new_guid,
};
use entrepot_core::{
    Account, AccountKind, Action, Actor, Advisory, Delivery, Hook, HookContentType, Id, OrgRole,
    Package, Scope, Scopes, Version, Visibility,
};
use entrepot_store::{NewDelivery, NewHook, NewNotification};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::format::Catalog;
use crate::outbound::Outbound;
use crate::{ServiceError, ServiceResult, Webhooks};

/// How the worker sends: the first retry's delay (doubled after each
/// failure) and how long a receiver may take to answer.
#[derive(Debug, Clone, Copy)]
pub struct HookSettings {
    pub retry_delay: Duration,
    pub timeout: Duration,
}

impl Default for HookSettings {
    fn default() -> Self {
        HookSettings {
            retry_delay: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The webhook machinery a `Registry` carries: settings and the
/// bell that wakes the worker when something is enqueued.
pub struct DeliveryControl {
    wake: Notify,
    settings: RwLock<HookSettings>,
}

impl Default for DeliveryControl {
    fn default() -> Self {
        DeliveryControl {
            wake: Notify::new(),
            settings: RwLock::new(HookSettings::default()),
        }
    }
}

impl DeliveryControl {
    pub fn configure(&self, settings: HookSettings) {
        *self.settings.write().expect("settings lock") = settings;
    }

    pub fn settings(&self) -> HookSettings {
        *self.settings.read().expect("settings lock")
    }

    /// Tells the worker there is something to send.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Waits for `wake`, or `at_most`, whichever comes first.
    pub async fn wait(&self, at_most: Duration) {
        let _ = tokio::time::timeout(at_most, self.wake.notified()).await;
    }
}

/// Whose hooks a request is about.
#[derive(Debug, Clone, Copy)]
pub enum HookScope<'a> {
    /// The caller's own (a user's hooks, on all their packages).
    Mine,
    /// An organization's, by login.
    Org(&'a str),
    /// One package's (the caller has found it readable already).
    Package(&'a Package),
}

/// What a create or an update sets; `None` leaves a field alone (on
/// create: `url` is required, `events` defaults to `["package"]`).
#[derive(Debug, Clone, Default)]
pub struct HookChanges {
    pub url: Option<String>,
    /// `Some(None)` (or an empty secret) removes the secret.
    pub secret: Option<Option<String>>,
    pub content_type: Option<HookContentType>,
    pub events: Option<Vec<String>>,
    pub add_events: Vec<String>,
    pub remove_events: Vec<String>,
    pub active: Option<bool>,
    pub insecure_ssl: Option<bool>,
}

fn invalid(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(message.into())
}

fn missing(actor: &Actor) -> ServiceError {
    match actor {
        Actor::Anonymous => ServiceError::Unauthenticated,
        Actor::User { .. } => ServiceError::not_found("Not Found"),
    }
}

/// The actor a subscriber's reads are checked as: the user, signed in.
pub(crate) fn as_user(account: &Account) -> Actor {
    Actor::User {
        id: account.id,
        login: account.login.clone(),
        site_admin: account.site_admin,
        scopes: Scopes::ALL,
        token_id: None,
        session: None,
        grant: None,
    }
}

fn require_scope(actor: &Actor, scope: Scope) -> ServiceResult<()> {
    match actor {
        Actor::Anonymous => Err(ServiceError::Unauthenticated),
        Actor::User { scopes, .. } if !scopes.contains(scope) => {
            Err(entrepot_core::Denial::MissingScope(scope).into())
        }
        Actor::User { .. } => Ok(()),
    }
}

pub(crate) fn iso(t: &chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// What a payload URL must be, naming the field as the pages do (GitHub's
/// "Payload URL"; `config.url` in the REST API).
const URL_EXPECTED: &str =
    "Payload URL: enter an http:// or https:// URL, such as https://example.com/hook";

/// How an administrator lets hooks reach an address the outbound rules
/// refuse: the setting, as the config file and the command line name it.
pub(crate) const ALLOW_HINT: &str =
    "an administrator may allow it: outbound_allow / --outbound-allow";

/// A payload URL as given, if it is an http(s) URL with a host whose
/// address, when written as one (`10.1.2.3`, `[::1]`), the outbound rules
/// allow. A name is checked when a delivery resolves it: what it resolves
/// to may change.
fn checked_url(outbound: &Outbound, url: &str) -> ServiceResult<String> {
    let url = url.trim();
    let parsed = url::Url::parse(url).map_err(|_| invalid(URL_EXPECTED))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(invalid(URL_EXPECTED));
    }
    outbound
        .check_url(&parsed)
        .map_err(|e| invalid(format!("Payload URL: {e} ({ALLOW_HINT})")))?;
    Ok(url.to_owned())
}

fn checked_events(events: Vec<String>) -> ServiceResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for event in events {
        let event = event.trim().to_owned();
        if !EVENTS.contains(&event.as_str()) {
            return Err(invalid(format!(
                "Events: {event} is not an event a hook takes (one of {})",
                EVENTS.join(", ")
            )));
        }
        if !out.contains(&event) {
            out.push(event);
        }
    }
    if out.is_empty() {
        return Err(invalid("Events: choose at least one event"));
    }
    Ok(out)
}

impl Webhooks<'_> {
    /// The owner and package a scope names, if `actor` may manage its
    /// hooks (`write` for changes, else reads).
    async fn hook_owner(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        write: bool,
    ) -> ServiceResult<(Account, Option<Package>)> {
        let scope_needed = if write {
            Scope::WritePackages
        } else {
            Scope::ReadPackages
        };
        match scope {
            HookScope::Mine => {
                require_scope(actor, scope_needed)?;
                let id = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
                let me = self
                    .meta
                    .account_by_id(id)
                    .await?
                    .ok_or_else(|| missing(actor))?;
                Ok((me, None))
            }
            HookScope::Org(login) => {
                let Some(user) = actor.user_id() else {
                    return Err(ServiceError::Unauthenticated);
                };
                let org = self
                    .meta
                    .account_by_login(login)
                    .await?
                    .filter(|a| a.kind == AccountKind::Organization)
                    .ok_or_else(|| missing(actor))?;
                let site_admin = matches!(
                    actor,
                    Actor::User {
                        site_admin: true,
                        ..
                    }
                );
                if !site_admin && self.meta.org_role(org.id, user).await? != Some(OrgRole::Owner) {
                    return Err(missing(actor));
                }
                require_scope(actor, scope_needed)?;
                // Its hooks carry every package event of the organization.
                self.require_sso(actor, &org).await?;
                Ok((org, None))
            }
            HookScope::Package(package) => {
                self.authorize_package(actor, Action::Manage, package)
                    .await?;
                let owner = self
                    .meta
                    .account_by_id(package.owner_id)
                    .await?
                    .ok_or_else(|| missing(actor))?;
                Ok((owner, Some(package.clone())))
            }
        }
    }

    /// A hook of the scope, or missing.
    async fn scoped_hook(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        id: Id,
        write: bool,
    ) -> ServiceResult<(Account, Option<Package>, Hook)> {
        let (owner, package) = self.hook_owner(actor, scope, write).await?;
        let hook = self
            .meta
            .hook(id)
            .await?
            .filter(|h| h.owner_id == owner.id && h.package_id == package.as_ref().map(|p| p.id))
            .ok_or_else(|| missing(actor))?;
        Ok((owner, package, hook))
    }

    /// The hooks of a scope, oldest first.
    pub async fn list_hooks(self, actor: &Actor, scope: HookScope<'_>) -> ServiceResult<Vec<Hook>> {
        let (owner, package) = self.hook_owner(actor, scope, false).await?;
        Ok(self.meta.hooks(owner.id, package.map(|p| p.id)).await?)
    }

    pub async fn hook(self, actor: &Actor, scope: HookScope<'_>, id: Id) -> ServiceResult<Hook> {
        Ok(self.scoped_hook(actor, scope, id, false).await?.2)
    }

    /// Creates a hook and, as GitHub does, sends it a `ping`.
    pub async fn create_hook(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        changes: HookChanges,
    ) -> ServiceResult<Hook> {
        let (owner, package) = self.hook_owner(actor, scope, true).await?;
        let url = checked_url(
            &self.outbound,
            changes
                .url
                .as_deref()
                .ok_or_else(|| invalid("config.url (the payload URL) is required"))?,
        )?;
        let mut events = changes
            .events
            .unwrap_or_else(|| vec![EVENT_PACKAGE.to_owned()]);
        events.extend(changes.add_events);
        events.retain(|e| !changes.remove_events.contains(e));
        let hook = self
            .meta
            .create_hook(NewHook {
                owner_id: owner.id,
                package_id: package.as_ref().map(|p| p.id),
                url,
                secret: changes.secret.flatten().filter(|s| !s.is_empty()),
                content_type: changes.content_type.unwrap_or(HookContentType::Json),
                events: checked_events(events)?,
                active: changes.active.unwrap_or(true),
                insecure_ssl: changes.insecure_ssl.unwrap_or(false),
                at: Utc::now(),
            })
            .await?;
        self.packages()
            .audit(
                actor,
                "hook.create",
                package.as_ref().map(|p| p.id),
                None,
                Some(format!("hook {} of {}", hook.id, owner.login)),
            )
            .await?;
        if hook.active {
            self.enqueue_ping(&owner, package.as_ref(), &hook).await?;
        }
        Ok(hook)
    }

    pub async fn update_hook(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        id: Id,
        changes: HookChanges,
    ) -> ServiceResult<Hook> {
        let (owner, package, mut hook) = self.scoped_hook(actor, scope, id, true).await?;
        if let Some(url) = changes.url {
            hook.url = checked_url(&self.outbound, &url)?;
        }
        if let Some(secret) = changes.secret {
            hook.secret = secret.filter(|s| !s.is_empty());
        }
        if let Some(content_type) = changes.content_type {
            hook.content_type = content_type;
        }
        let mut events = changes.events.unwrap_or_else(|| hook.events.clone());
        events.extend(changes.add_events);
        events.retain(|e| !changes.remove_events.contains(e));
        hook.events = checked_events(events)?;
        if let Some(active) = changes.active {
            hook.active = active;
        }
        if let Some(insecure) = changes.insecure_ssl {
            hook.insecure_ssl = insecure;
        }
        hook.updated_at = Utc::now();
        let updated = self.meta.update_hook(&hook).await?;
        self.packages()
            .audit(
                actor,
                "hook.update",
                package.map(|p| p.id),
                None,
                Some(format!("hook {} of {}", hook.id, owner.login)),
            )
            .await?;
        Ok(updated)
    }

    pub async fn delete_hook(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        id: Id,
    ) -> ServiceResult<()> {
        let (owner, package, hook) = self.scoped_hook(actor, scope, id, true).await?;
        self.meta.delete_hook(hook.id).await?;
        self.packages()
            .audit(
                actor,
                "hook.delete",
                package.map(|p| p.id),
                None,
                Some(format!("hook {} of {}", hook.id, owner.login)),
            )
            .await
    }

    /// A hook's delivery log, newest first.
    pub async fn hook_deliveries(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        id: Id,
        limit: u64,
    ) -> ServiceResult<Vec<Delivery>> {
        let (_, _, hook) = self.scoped_hook(actor, scope, id, false).await?;
        Ok(self.meta.deliveries(hook.id, limit).await?)
    }

    pub async fn hook_delivery(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        hook_id: Id,
        delivery_id: Id,
    ) -> ServiceResult<Delivery> {
        let (_, _, hook) = self.scoped_hook(actor, scope, hook_id, false).await?;
        self.meta
            .delivery(delivery_id)
            .await?
            .filter(|d| d.hook_id == hook.id)
            .ok_or_else(|| missing(actor))
    }

    /// Sends a logged delivery again: a new delivery with the same payload,
    /// marked as a redelivery.
    pub async fn redeliver(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        hook_id: Id,
        delivery_id: Id,
    ) -> ServiceResult<Delivery> {
        let (_, _, hook) = self.scoped_hook(actor, scope, hook_id, true).await?;
        let old = self
            .meta
            .delivery(delivery_id)
            .await?
            .filter(|d| d.hook_id == hook.id)
            .ok_or_else(|| missing(actor))?;
        let queued = self
            .meta
            .enqueue_deliveries(&[NewDelivery {
                guid: new_guid(),
                hook_id: hook.id,
                event: old.event,
                action: old.action,
                payload: old.payload,
                redelivery: true,
                at: Utc::now(),
            }])
            .await?;
        self.delivery.wake();
        queued
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::Internal("an enqueued delivery vanished".into()))
    }

    /// Sends the hook a `ping` event now.
    pub async fn ping_hook(
        self,
        actor: &Actor,
        scope: HookScope<'_>,
        id: Id,
    ) -> ServiceResult<Delivery> {
        let (owner, package, hook) = self.scoped_hook(actor, scope, id, true).await?;
        self.enqueue_ping(&owner, package.as_ref(), &hook).await
    }

    async fn enqueue_ping(
        self,
        owner: &Account,
        package: Option<&Package>,
        hook: &Hook,
    ) -> ServiceResult<Delivery> {
        let catalog = self.catalog();
        let hook_type = match package {
            Some(_) => "Package",
            None => owner.kind.github_type(),
        };
        let mut payload = json!({
            "zen": "Packages are shipped, not sunk.",
            "hook_id": hook.id,
            "hook": {
                "type": hook_type,
                "id": hook.id,
                "name": "web",
                "active": hook.active,
                "events": hook.events,
                "config": {
                    "content_type": hook.content_type.as_str(),
                    "insecure_ssl": if hook.insecure_ssl { "1" } else { "0" },
                    "url": hook.url,
                },
                "created_at": iso(&hook.created_at),
                "updated_at": iso(&hook.updated_at),
            },
        });
        let key = if owner.kind == AccountKind::Organization {
            "organization"
        } else {
            "sender"
        };
        payload[key] = account_json(catalog, owner);
        let queued = self
            .meta
            .enqueue_deliveries(&[NewDelivery {
                guid: new_guid(),
                hook_id: hook.id,
                event: EVENT_PING.to_owned(),
                action: None,
                payload: payload.to_string(),
                redelivery: false,
                at: Utc::now(),
            }])
            .await?;
        self.delivery.wake();
        queued
            .into_iter()
            .next()
            .ok_or_else(|| ServiceError::Internal("an enqueued delivery vanished".into()))
    }

    /// Enqueues the `package` and `registry_package` events of a publish
    /// (`published`) or of a file added to a version (`updated`) for the
    /// owner's and the package's hooks. Never fails the publish: trouble
    /// is logged.
    pub(crate) async fn emit_package_event(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
        action: &str,
    ) {
        if let Err(e) = self
            .try_emit_package_event(actor, package, version, action)
            .await
        {
            tracing::warn!(error = %e, package = %package.name, version = %version.name, "could not enqueue webhook deliveries");
        }
    }

    async fn try_emit_package_event(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
        action: &str,
    ) -> ServiceResult<()> {
        let mut hooks = self.meta.hooks(package.owner_id, None).await?;
        hooks.extend(self.meta.hooks(package.owner_id, Some(package.id)).await?);
        hooks.retain(|h| h.active && (h.wants(EVENT_PACKAGE) || h.wants(EVENT_REGISTRY_PACKAGE)));
        if hooks.is_empty() {
            return Ok(());
        }
        let body = self.package_payload(actor, package, version).await?;
        let at = Utc::now();
        let mut deliveries = Vec::new();
        for hook in &hooks {
            for (event, key) in [
                (EVENT_PACKAGE, "package"),
                (EVENT_REGISTRY_PACKAGE, "registry_package"),
            ] {
                if !hook.wants(event) {
                    continue;
                }
                let mut payload = json!({"action": action});
                payload[key] = body.package.clone();
                for (k, v) in &body.context {
                    payload[k.as_str()] = v.clone();
                }
                deliveries.push(NewDelivery {
                    guid: new_guid(),
                    hook_id: hook.id,
                    event: event.to_owned(),
                    action: Some(action.to_owned()),
                    payload: payload.to_string(),
                    redelivery: false,
                    at,
                });
            }
        }
        self.meta.enqueue_deliveries(&deliveries).await?;
        self.delivery.wake();
        Ok(())
    }

    /// GitHub's webhook `package` object and the payload's other keys
    /// (`repository`, `organization`, `sender`).
    async fn package_payload(
        self,
        actor: &Actor,
        package: &Package,
        version: &Version,
    ) -> ServiceResult<PackageBody> {
        let catalog = self.catalog();
        let owner = self
            .meta
            .account_by_id(package.owner_id)
            .await?
            .ok_or_else(|| ServiceError::Internal("a package's owner vanished".into()))?;
        let sender = match actor.user_id() {
            Some(id) => self.meta.account_by_id(id).await?,
            None => None,
        };
        let files = self.meta.files(version.id).await?;
        let name = catalog.client_name(package);
        let segment = owner.kind.url_segment();
        let html = catalog.url(&format!(
            "/{segment}/{}/packages/{}/package/{}",
            owner.login, package.package_type, package.name
        ));
        let api = catalog.url(&format!(
            "/api/v3/{segment}/{}/packages/{}/{}",
            owner.login, package.package_type, package.name
        ));
        let version_url = format!("{html}?version={}", version.name);
        let author = sender.as_ref().map(|a| account_json(catalog, a));
        let package_files = files_json(catalog, &files);
        let description = package.description.clone().unwrap_or_default();
        let package_json = json!({
            "id": package.id,
            "name": name,
            "namespace": owner.login,
            "description": package.description,
            "ecosystem": package.package_type.as_str(),
            "package_type": package.package_type.as_str(),
            "html_url": html,
            "created_at": iso(&package.created_at),
            "updated_at": iso(&package.updated_at),
            "owner": account_json(catalog, &owner),
            "package_version": {
                "id": version.id,
                "version": version.name,
                "name": version.name,
                "description": description,
                "summary": description,
                "body": package.readme.clone().unwrap_or_default(),
                "body_html": "",
                "html_url": version_url,
                "target_commitish": "",
                "target_oid": "",
                "created_at": iso(&version.created_at),
                "updated_at": iso(&version.updated_at),
                "metadata": [],
                "package_files": package_files,
                "author": author,
                "installation_command": catalog.installation_command(package, version).unwrap_or_default(),
                "package_url": api,
                "prerelease": version.name.contains('-'),
            },
            "registry": {
                "about_url": catalog.url("/"),
                "name": format!("{} registry", package.package_type),
                "type": package.package_type.as_str(),
                "url": catalog.url(&format!("/{}", package.package_type)),
                "vendor": "Entrepot",
            },
        });
        let mut context = vec![(
            "sender".to_owned(),
            sender
                .as_ref()
                .map_or(Value::Null, |a| account_json(catalog, a)),
        )];
        if owner.kind == AccountKind::Organization {
            context.push(("organization".to_owned(), org_json(catalog, &owner)));
        }
        if let Some(repo) = match package.repository_id {
            Some(id) => self.meta.repository_by_id(id).await?,
            None => None,
        } {
            context.push((
                "repository".to_owned(),
                repository_json(catalog, &repo, &owner),
            ));
        }
        Ok(PackageBody {
            package: package_json,
            context,
        })
    }

    /// Tells everyone subscribed to `package` about an advisory that was
    /// just published or withdrawn: a notification for each user who may
    /// read the package (an organization's: each member who may), and a
    /// `security_advisory` delivery to each subscriber's hooks. Never fails
    /// the review: trouble is logged.
    pub(crate) async fn emit_advisory_event(
        self,
        advisory: &Advisory,
        package: &Package,
        action: &str,
    ) {
        if let Err(e) = self
            .try_emit_advisory_event(advisory, package, action)
            .await
        {
            tracing::warn!(error = %e, ghsa_id = %advisory.ghsa_id, "could not notify subscribers of an advisory");
        }
    }

    /// A security notification of `title`, linking `url`, about
    /// `package` and advisory `ghsa_id`, for each of `users`, and a mail
    /// to those who want one.
    pub(crate) async fn notify_security(
        self,
        users: &[Id],
        (title, url): (&str, &str),
        (package, ghsa_id): (Id, &str),
    ) -> ServiceResult<()> {
        if users.is_empty() {
            return Ok(());
        }
        let at = Utc::now();
        let notifications: Vec<NewNotification> = users
            .iter()
            .map(|&user_id| NewNotification {
                user_id,
                reason: "security_alert".into(),
                title: title.to_owned(),
                url: url.to_owned(),
                package_id: Some(package),
                ghsa_id: Some(ghsa_id.to_owned()),
                at,
            })
            .collect();
        self.meta.create_notifications(&notifications).await?;
        self.mail_notifications(users, title, url).await
    }

    /// Mails a notification to those of `users` who have a verified
    /// address and want mail, in the background: a slow mail server never
    /// holds up the review that caused it.
    async fn mail_notifications(self, users: &[Id], title: &str, url: &str) -> ServiceResult<()> {
        let Some(mailer) = self.mailer.clone() else {
            return Ok(());
        };
        let mut mails = Vec::new();
        for &id in users {
            let Some(user) = self.meta.account_by_id(id).await? else {
                continue;
            };
            if let (Some(to), Some(_), true) =
                (user.email, user.email_verified_at, user.email_notifications)
            {
                mails.push(crate::mail::Mail {
                    to,
                    subject: title.to_owned(),
                    body: format!(
                        "{title}\n\n{url}\n\nYou watch this package. Stop these mails under \
                         \"Notifications by mail\" at {}.\n",
                        self.catalog().url("/settings/profile")
                    ),
                });
            }
        }
        if !mails.is_empty() {
            tokio::spawn(async move {
                for mail in mails {
                    let to = mail.to.clone();
                    if let Err(e) = mailer.send(mail).await {
                        tracing::warn!(error = %e, %to, "could not mail a notification");
                    }
                }
            });
        }
        Ok(())
    }

    async fn try_emit_advisory_event(
        self,
        advisory: &Advisory,
        package: &Package,
        action: &str,
    ) -> ServiceResult<()> {
        let catalog = self.catalog();
        let public = self
            .package_facts(&Actor::Anonymous, package)
            .await?
            .visibility
            == Visibility::Public;
        let mut users: Vec<Id> = Vec::new();
        let mut hook_owners: Vec<Id> = Vec::new();
        for subscription in self.meta.subscriptions_covering(package.id).await? {
            let Some(subscriber) = self.meta.account_by_id(subscription.account_id).await? else {
                continue;
            };
            match subscriber.kind {
                AccountKind::User => {
                    if self.can_read(&as_user(&subscriber), package).await? {
                        users.push(subscriber.id);
                        hook_owners.push(subscriber.id);
                    }
                }
                // An upstream subscribes to nothing; it has no members.
                AccountKind::Organization | AccountKind::Upstream => {
                    if public || package.owner_id == subscriber.id {
                        hook_owners.push(subscriber.id);
                    }
                    for (member, _) in self.meta.org_members(subscriber.id).await? {
                        if let Some(account) = self.meta.account_by_id(member).await?
                            && self.can_read(&as_user(&account), package).await?
                        {
                            users.push(member);
                        }
                    }
                }
            }
        }
        let mut seen = HashSet::new();
        users.retain(|u| seen.insert(*u));
        let mut seen = HashSet::new();
        hook_owners.retain(|o| seen.insert(*o));
        let at = Utc::now();
        let name = catalog.client_name(package);
        let title = match action {
            "withdrawn" => format!("Advisory withdrawn for {name}: {}", advisory.summary),
            _ => format!("Security advisory for {name}: {}", advisory.summary),
        };
        let url = catalog.url(&format!("/advisories/{}", advisory.ghsa_id));
        self.notify_security(&users, (&title, &url), (package.id, &advisory.ghsa_id))
            .await?;
        let payload = json!({
            "action": action,
            "security_advisory": advisory_json(catalog, advisory, &name),
        })
        .to_string();
        let mut deliveries = Vec::new();
        for owner in hook_owners {
            for hook in self.meta.hooks(owner, None).await? {
                if hook.active && hook.wants(EVENT_SECURITY_ADVISORY) {
                    deliveries.push(NewDelivery {
                        guid: new_guid(),
                        hook_id: hook.id,
                        event: EVENT_SECURITY_ADVISORY.to_owned(),
                        action: Some(action.to_owned()),
                        payload: payload.clone(),
                        redelivery: false,
                        at,
                    });
                }
            }
        }
        if !deliveries.is_empty() {
            self.meta.enqueue_deliveries(&deliveries).await?;
            self.delivery.wake();
        }
        Ok(())
    }
}

/// A package payload's parts: the `package` object and the other keys.
struct PackageBody {
    package: Value,
    context: Vec<(String, Value)>,
}

/// The `package_files` of a payload's `package_version`.
fn files_json(catalog: &Catalog, files: &[entrepot_core::PackageFile]) -> Vec<Value> {
    files
        .iter()
        .map(|f| {
            json!({
                "download_url": catalog.url(&format!("/api/v3/package-files/{}", f.id)),
                "id": f.id,
                "name": f.name,
                "sha256": f.sha256,
                "sha1": f.digests.sha1,
                "md5": f.digests.md5,
                "content_type": f.content_type.as_deref().unwrap_or("application/octet-stream"),
                "state": "uploaded",
                "size": f.size,
                "created_at": iso(&f.created_at),
                "updated_at": iso(&f.created_at),
            })
        })
        .collect()
}

/// The connected repository, as a payload's `repository`.
pub(crate) fn repository_json(
    catalog: &Catalog,
    repo: &entrepot_core::Repository,
    owner: &Account,
) -> Value {
    json!({
        "id": repo.id,
        "name": repo.name,
        "full_name": repo.full_name(),
        "private": repo.visibility != Visibility::Public,
        "visibility": repo.visibility.as_str(),
        "owner": account_json(catalog, owner),
        "html_url": catalog.url(&format!("/{}", repo.full_name())),
        "url": catalog.url(&format!("/api/v3/repos/{}", repo.full_name())),
        "description": repo.description,
    })
}

/// GitHub's `simple-user`, as far as payloads need it.
pub(crate) fn account_json(catalog: &Catalog, a: &Account) -> Value {
    let kind = a.kind.github_type();
    json!({
        "login": a.login,
        "id": a.id,
        "node_id": format!("U_{}", a.id),
        "avatar_url": catalog.url(&format!("/avatars/{}", a.login)),
        "gravatar_id": "",
        "url": catalog.url(&format!("/api/v3/users/{}", a.login)),
        "html_url": catalog.url(&format!("/{}", a.login)),
        "type": kind,
        "site_admin": a.site_admin,
    })
}

/// GitHub's `organization-simple`.
pub(crate) fn org_json(catalog: &Catalog, a: &Account) -> Value {
    let api = catalog.url(&format!("/api/v3/orgs/{}", a.login));
    json!({
        "login": a.login,
        "id": a.id,
        "node_id": format!("O_{}", a.id),
        "url": api,
        "repos_url": format!("{api}/repos"),
        "hooks_url": format!("{api}/hooks"),
        "members_url": format!("{api}/members{{/member}}"),
        "avatar_url": catalog.url(&format!("/avatars/{}", a.login)),
        "description": null,
    })
}

/// The `security_advisory` object of GitHub's webhook payload.
pub(crate) fn advisory_json(catalog: &Catalog, a: &Advisory, package_name: &str) -> Value {
    let mut identifiers = vec![json!({"type": "GHSA", "value": a.ghsa_id})];
    if let Some(cve) = &a.cve_id {
        identifiers.push(json!({"type": "CVE", "value": cve}));
    }
    let vulnerabilities: Vec<Value> = a
        .vulnerabilities
        .iter()
        .map(|v| {
            json!({
                "package": {
                    "ecosystem": v.package.ecosystem.as_str(),
                    "name": if v.package.name == a.package_name { package_name } else { v.package.name.as_str() },
                },
                "severity": a.severity.map(entrepot_core::Severity::as_str),
                "vulnerable_version_range": v.vulnerable_version_range,
                "first_patched_version": v.first_patched_version().map(|p| json!({"identifier": p})),
            })
        })
        .collect();
    json!({
        "ghsa_id": a.ghsa_id,
        "cve_id": a.cve_id,
        "summary": a.summary,
        "description": a.description,
        "severity": a.severity.map(entrepot_core::Severity::as_str),
        "identifiers": identifiers,
        "references": [{"url": catalog.url(&format!("/advisories/{}", a.ghsa_id))}],
        "html_url": catalog.url(&format!("/advisories/{}", a.ghsa_id)),
        "published_at": a.published_at.as_ref().map(iso),
        "updated_at": iso(&a.updated_at),
        "withdrawn_at": a.withdrawn_at.as_ref().map(iso),
        "vulnerabilities": vulnerabilities,
        "cvss": {"vector_string": a.cvss_vector, "score": 0.0},
        "cwes": a.cwe_ids.iter().map(|id| json!({"cwe_id": id, "name": id})).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::AllowList;

    fn refusal(outbound: &Outbound, url: &str) -> String {
        match checked_url(outbound, url) {
            Err(ServiceError::Invalid(message)) => message,
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn payload_urls_are_http_with_a_host_and_say_what_is_expected() {
        let outbound = Outbound::default();
        for bad in ["", "not a url", "ftp://127.0.0.1/x", "mailto:a@example.com"] {
            let message = refusal(&outbound, bad);
            assert_eq!(message, URL_EXPECTED, "{bad}");
            assert!(!message.contains('`'), "{message}");
        }
        assert_eq!(
            checked_url(&outbound, " https://example.com/hook ").unwrap(),
            "https://example.com/hook"
        );
    }

    #[test]
    fn refused_address_literals_are_refused_at_once_and_names_later() {
        let outbound = Outbound::default();
        for literal in [
            "http://10.1.2.3/h",
            "http://[::1]:1/h",
            "http://127.0.0.1/h",
        ] {
            let message = refusal(&outbound, literal);
            assert!(
                message.starts_with("Payload URL: ")
                    && message.contains("is not an address this server may send to")
                    && message.contains("outbound_allow / --outbound-allow"),
                "{literal}: {message}"
            );
        }
        // Names are checked when a delivery resolves them.
        assert!(checked_url(&outbound, "http://localhost:9/h").is_ok());
        outbound.allow(AllowList::parse("127.0.0.0/8").unwrap());
        assert!(checked_url(&outbound, "http://127.0.0.1/h").is_ok());
        assert!(checked_url(&outbound, "http://10.1.2.3/h").is_err());
    }
}
