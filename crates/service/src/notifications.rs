//! Package subscriptions and the notifications they bring. A user, or an
//! organization (managed by its owners), subscribes to one package it may
//! read or to every package it may see; a published advisory then lands in
//! each subscribed user's notifications list and is sent to the
//! subscriber's hooks that take `security_advisory` (see `webhooks.rs`).

use chrono::Utc;
use entrepot_core::{
    Account, AccountKind, Actor, Id, Notification, OrgRole, Package, Subscription,
};
use entrepot_store::StoreError;

use crate::{Advisories, ServiceError, ServiceResult};

/// Who subscribes.
#[derive(Debug, Clone, Copy)]
pub enum Subscriber<'a> {
    /// The signed-in user.
    Me,
    /// An organization, by login; its owners manage its subscriptions.
    Org(&'a str),
}

/// Which notifications a list returns.
#[derive(Debug, Clone, Copy)]
pub struct NotificationQuery {
    /// Only the unread ones (else unread first, then the read ones).
    pub unread_only: bool,
    /// At most this many, newest first within each group.
    pub limit: u64,
}

impl Default for NotificationQuery {
    fn default() -> Self {
        NotificationQuery {
            unread_only: false,
            limit: 50,
        }
    }
}

fn missing(actor: &Actor) -> ServiceError {
    match actor {
        Actor::Anonymous => ServiceError::Unauthenticated,
        Actor::User { .. } => ServiceError::not_found("Not Found"),
    }
}

impl Advisories<'_> {
    /// The account whose subscriptions `actor` manages.
    async fn subscriber_account(
        self,
        actor: &Actor,
        subscriber: Subscriber<'_>,
    ) -> ServiceResult<Account> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        match subscriber {
            Subscriber::Me => self
                .meta
                .account_by_id(user)
                .await?
                .ok_or_else(|| missing(actor)),
            Subscriber::Org(login) => {
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
                if site_admin || self.meta.org_role(org.id, user).await? == Some(OrgRole::Owner) {
                    Ok(org)
                } else {
                    Err(missing(actor))
                }
            }
        }
    }

    /// Subscribes to `package` (which the caller may read), or to every
    /// package the subscriber may see when `None`. `Conflict` if already so.
    pub async fn subscribe(
        self,
        actor: &Actor,
        subscriber: Subscriber<'_>,
        package: Option<&Package>,
    ) -> ServiceResult<Subscription> {
        let account = self.subscriber_account(actor, subscriber).await?;
        if let Some(package) = package
            && !self.can_read(actor, package).await?
        {
            return Err(missing(actor));
        }
        match self
            .meta
            .subscribe(account.id, package.map(|p| p.id), Utc::now())
            .await
        {
            Err(StoreError::Conflict(_)) => Err(ServiceError::Conflict(format!(
                "{} is already subscribed to {}",
                account.login,
                package.map_or("every package", |p| p.name.as_str())
            ))),
            other => Ok(other?),
        }
    }

    /// The subscriber's subscriptions, oldest first.
    pub async fn subscriptions(
        self,
        actor: &Actor,
        subscriber: Subscriber<'_>,
    ) -> ServiceResult<Vec<Subscription>> {
        let account = self.subscriber_account(actor, subscriber).await?;
        Ok(self.meta.subscriptions(account.id).await?)
    }

    /// Ends one of the subscriber's subscriptions.
    pub async fn unsubscribe(
        self,
        actor: &Actor,
        subscriber: Subscriber<'_>,
        id: Id,
    ) -> ServiceResult<()> {
        let account = self.subscriber_account(actor, subscriber).await?;
        let found = self
            .meta
            .subscription(id)
            .await?
            .filter(|s| s.account_id == account.id)
            .ok_or_else(|| missing(actor))?;
        self.meta.unsubscribe(found.id).await?;
        Ok(())
    }

    /// The caller's notifications: unread first, then newest first.
    pub async fn notifications(
        self,
        actor: &Actor,
        query: NotificationQuery,
    ) -> ServiceResult<Vec<Notification>> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        Ok(self
            .meta
            .notifications(user, query.unread_only, query.limit.clamp(1, 1000))
            .await?)
    }

    /// Marks one of the caller's notifications read (404 if not theirs).
    pub async fn mark_notification_read(self, actor: &Actor, id: Id) -> ServiceResult<()> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        if self
            .meta
            .mark_notification_read(user, id, Utc::now())
            .await?
        {
            Ok(())
        } else {
            Err(missing(actor))
        }
    }

    /// Marks every notification of the caller read; returns how many were unread.
    pub async fn mark_all_notifications_read(self, actor: &Actor) -> ServiceResult<u64> {
        let user = actor.user_id().ok_or(ServiceError::Unauthenticated)?;
        Ok(self
            .meta
            .mark_all_notifications_read(user, Utc::now())
            .await?)
    }
}
