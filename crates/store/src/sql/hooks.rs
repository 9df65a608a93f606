//! Webhooks, their delivery log, subscriptions and notifications in SQL.
//! Claims are a compare-and-set on `next_attempt_at`, which is portable
//! and safe with any number of nodes on one PostgreSQL.

use async_trait::async_trait;
use entrepot_core::{Delivery, Hook, Id, Notification, Subscription, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{
    all_rows, boolean, found, int, json_of, json_text, opt_int, opt_text, opt_time, optional_row,
    parse, parse_ts, text, time,
};
use super::{SqlStore, ts};
use crate::meta::{DeliveryAttempt, NewDelivery, NewHook, NewNotification, WebhookStore};
use crate::{StoreError, StoreResult};

fn hook(row: &AnyRow) -> StoreResult<Hook> {
    Ok(Hook {
        id: int(row, "id")?,
        owner_id: int(row, "owner_id")?,
        package_id: opt_int(row, "package_id")?,
        url: text(row, "url")?,
        secret: opt_text(row, "secret")?,
        content_type: parse(row, "content_type")?,
        events: json_of(row, "events")?,
        active: boolean(row, "active")?,
        insecure_ssl: boolean(row, "insecure_ssl")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn opt_json(row: &AnyRow, col: &str) -> StoreResult<Option<serde_json::Value>> {
    opt_text(row, col)?
        .map(|t| {
            serde_json::from_str(&t).map_err(|e| StoreError::Database(format!("column {col}: {e}")))
        })
        .transpose()
}

fn delivery(row: &AnyRow) -> StoreResult<Delivery> {
    Ok(Delivery {
        id: int(row, "id")?,
        guid: text(row, "guid")?,
        hook_id: int(row, "hook_id")?,
        event: text(row, "event")?,
        action: opt_text(row, "action")?,
        payload: text(row, "payload")?,
        state: parse(row, "state")?,
        attempts: int(row, "attempts")? as u32,
        next_attempt_at: opt_time(row, "next_attempt_at")?,
        status_code: opt_int(row, "status_code")?.map(|c| c as u16),
        status: text(row, "status")?,
        duration_ms: opt_int(row, "duration_ms")?.map(|d| d as u64),
        delivered_at: opt_time(row, "delivered_at")?,
        redelivery: boolean(row, "redelivery")?,
        request_headers: opt_json(row, "request_headers")?,
        response_headers: opt_json(row, "response_headers")?,
        response_body: opt_text(row, "response_body")?,
        created_at: time(row, "created_at")?,
    })
}

fn subscription(row: &AnyRow) -> StoreResult<Subscription> {
    Ok(Subscription {
        id: int(row, "id")?,
        account_id: int(row, "account_id")?,
        package_id: opt_int(row, "package_id")?,
        created_at: time(row, "created_at")?,
    })
}

fn notification(row: &AnyRow) -> StoreResult<Notification> {
    Ok(Notification {
        id: int(row, "id")?,
        user_id: int(row, "user_id")?,
        reason: text(row, "reason")?,
        title: text(row, "title")?,
        url: text(row, "url")?,
        package_id: opt_int(row, "package_id")?,
        ghsa_id: opt_text(row, "ghsa_id")?,
        unread: boolean(row, "unread")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

#[async_trait]
impl WebhookStore for SqlStore {
    async fn create_hook(&self, h: NewHook) -> StoreResult<Hook> {
        let row = sqlx::query(
            "INSERT INTO hooks (owner_id, package_id, url, secret, content_type, events, active,
                 insecure_ssl, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING *",
        )
        .bind(h.owner_id)
        .bind(h.package_id)
        .bind(&h.url)
        .bind(&h.secret)
        .bind(h.content_type.as_str())
        .bind(json_text(&h.events)?)
        .bind(h.active)
        .bind(h.insecure_ssl)
        .bind(ts(&h.at))
        .fetch_one(&*self.write())
        .await?;
        hook(&row)
    }

    async fn hook(&self, id: Id) -> StoreResult<Option<Hook>> {
        let query = sqlx::query("SELECT * FROM hooks WHERE id = $1").bind(id);
        optional_row(query, &self.reader, hook).await
    }

    async fn hooks(&self, owner: Id, package: Option<Id>) -> StoreResult<Vec<Hook>> {
        let query = match package {
            Some(p) => sqlx::query(
                "SELECT * FROM hooks WHERE owner_id = $1 AND package_id = $2 ORDER BY id",
            )
            .bind(owner)
            .bind(p),
            None => sqlx::query(
                "SELECT * FROM hooks WHERE owner_id = $1 AND package_id IS NULL ORDER BY id",
            )
            .bind(owner),
        };
        all_rows(query, &self.reader, hook).await
    }

    async fn update_hook(&self, h: &Hook) -> StoreResult<Hook> {
        let query = sqlx::query(
            "UPDATE hooks SET url = $2, secret = $3, content_type = $4, events = $5, active = $6,
                 insecure_ssl = $7, updated_at = $8
             WHERE id = $1 RETURNING *",
        )
        .bind(h.id)
        .bind(&h.url)
        .bind(&h.secret)
        .bind(h.content_type.as_str())
        .bind(json_text(&h.events)?)
        .bind(h.active)
        .bind(h.insecure_ssl)
        .bind(ts(&h.updated_at));
        optional_row(query, &self.write(), hook)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn delete_hook(&self, id: Id) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM hook_deliveries WHERE hook_id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        let done = sqlx::query("DELETE FROM hooks WHERE id = $1")
            .bind(id)
            .execute(&mut **tx)
            .await?;
        self.commit(tx).await?;
        Ok(done.rows_affected() > 0)
    }

    async fn enqueue_deliveries(&self, deliveries: &[NewDelivery]) -> StoreResult<Vec<Delivery>> {
        let mut tx = self.begin_write().await?;
        let mut out = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            let row = sqlx::query(
                "INSERT INTO hook_deliveries (guid, hook_id, event, action, payload, state,
                     attempts, next_attempt_at, status, redelivery, created_at)
                 VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, '', $7, $6) RETURNING *",
            )
            .bind(&d.guid)
            .bind(d.hook_id)
            .bind(&d.event)
            .bind(&d.action)
            .bind(&d.payload)
            .bind(ts(&d.at))
            .bind(d.redelivery)
            .fetch_one(&mut **tx)
            .await?;
            out.push(delivery(&row)?);
        }
        self.commit(tx).await?;
        Ok(out)
    }

    async fn delivery(&self, id: Id) -> StoreResult<Option<Delivery>> {
        let query = sqlx::query("SELECT * FROM hook_deliveries WHERE id = $1").bind(id);
        optional_row(query, &self.reader, delivery).await
    }

    async fn deliveries(&self, hook: Id, limit: u64) -> StoreResult<Vec<Delivery>> {
        let query = sqlx::query(
            "SELECT * FROM hook_deliveries WHERE hook_id = $1 ORDER BY id DESC LIMIT $2",
        )
        .bind(hook)
        .bind(limit as i64);
        all_rows(query, &self.reader, delivery).await
    }

    async fn claim_deliveries(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> StoreResult<Vec<Delivery>> {
        let due = sqlx::query(
            "SELECT id, next_attempt_at FROM hook_deliveries
             WHERE state = 'pending' AND next_attempt_at <= $1
             ORDER BY next_attempt_at, id LIMIT $2",
        )
        .bind(ts(&now))
        .bind(limit as i64)
        .fetch_all(&*self.write())
        .await?;
        let mut claimed = Vec::new();
        for row in &due {
            let id = int(row, "id")?;
            let seen = text(row, "next_attempt_at")?;
            let won = sqlx::query(
                "UPDATE hook_deliveries SET next_attempt_at = $1
                 WHERE id = $2 AND state = 'pending' AND next_attempt_at = $3",
            )
            .bind(ts(&lease_until))
            .bind(id)
            .bind(&seen)
            .execute(&*self.write())
            .await?
            .rows_affected()
                == 1;
            if won {
                let row = sqlx::query("SELECT * FROM hook_deliveries WHERE id = $1")
                    .bind(id)
                    .fetch_one(&*self.write())
                    .await?;
                claimed.push(delivery(&row)?);
            }
        }
        Ok(claimed)
    }

    async fn record_attempt(&self, id: Id, a: &DeliveryAttempt) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE hook_deliveries SET attempts = attempts + 1, state = $2, next_attempt_at = $3,
                 status_code = $4, status = $5, duration_ms = $6, delivered_at = $7,
                 request_headers = $8, response_headers = $9, response_body = $10
             WHERE id = $1",
        )
        .bind(id)
        .bind(a.state.as_str())
        .bind(a.next_attempt_at.as_ref().map(ts))
        .bind(a.status_code.map(i64::from))
        .bind(&a.status)
        .bind(a.duration_ms as i64)
        .bind(ts(&a.at))
        .bind(json_text(&a.request_headers)?)
        .bind(a.response_headers.as_ref().map(json_text).transpose()?)
        .bind(&a.response_body)
        .execute(&*self.write())
        .await?;
        found(&done)
    }

    async fn pending_deliveries(&self) -> StoreResult<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM hook_deliveries WHERE state = 'pending'")
                .fetch_one(&self.reader)
                .await?;
        Ok(n.unsigned_abs())
    }

    async fn next_delivery_due(&self) -> StoreResult<Option<Timestamp>> {
        let next: Option<String> = sqlx::query_scalar(
            "SELECT MIN(next_attempt_at) FROM hook_deliveries WHERE state = 'pending'",
        )
        .fetch_one(&self.reader)
        .await?;
        next.as_deref().map(parse_ts).transpose()
    }

    async fn subscribe(
        &self,
        account: Id,
        package: Option<Id>,
        at: Timestamp,
    ) -> StoreResult<Subscription> {
        let row = sqlx::query(
            "INSERT INTO subscriptions (account_id, package_id, created_at)
             VALUES ($1, $2, $3) RETURNING *",
        )
        .bind(account)
        .bind(package)
        .bind(ts(&at))
        .fetch_one(&*self.write())
        .await?;
        subscription(&row)
    }

    async fn subscription(&self, id: Id) -> StoreResult<Option<Subscription>> {
        let query = sqlx::query("SELECT * FROM subscriptions WHERE id = $1").bind(id);
        optional_row(query, &self.reader, subscription).await
    }

    async fn subscriptions(&self, account: Id) -> StoreResult<Vec<Subscription>> {
        let query = sqlx::query("SELECT * FROM subscriptions WHERE account_id = $1 ORDER BY id")
            .bind(account);
        all_rows(query, &self.reader, subscription).await
    }

    async fn subscriptions_covering(&self, package: Id) -> StoreResult<Vec<Subscription>> {
        let query = sqlx::query(
            "SELECT * FROM subscriptions WHERE package_id = $1 OR package_id IS NULL ORDER BY id",
        )
        .bind(package);
        all_rows(query, &self.reader, subscription).await
    }

    async fn unsubscribe(&self, id: Id) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM subscriptions WHERE id = $1")
            .bind(id)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn create_notifications(&self, notifications: &[NewNotification]) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        for n in notifications {
            sqlx::query(
                "INSERT INTO notifications (user_id, reason, title, url, package_id, ghsa_id,
                     unread, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            )
            .bind(n.user_id)
            .bind(&n.reason)
            .bind(&n.title)
            .bind(&n.url)
            .bind(n.package_id)
            .bind(&n.ghsa_id)
            .bind(true)
            .bind(ts(&n.at))
            .execute(&mut **tx)
            .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    async fn notifications(
        &self,
        user: Id,
        unread_only: bool,
        limit: u64,
    ) -> StoreResult<Vec<Notification>> {
        let filter = if unread_only { " AND unread = $3" } else { "" };
        let sql = format!(
            "SELECT * FROM notifications WHERE user_id = $1{filter}
             ORDER BY unread DESC, id DESC LIMIT $2"
        );
        let mut query = sqlx::query(&sql).bind(user).bind(limit as i64);
        if unread_only {
            query = query.bind(true);
        }
        all_rows(query, &self.reader, notification).await
    }

    async fn mark_notification_read(&self, user: Id, id: Id, at: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE notifications SET unread = $1, updated_at = $2 WHERE id = $3 AND user_id = $4",
        )
        .bind(false)
        .bind(ts(&at))
        .bind(id)
        .bind(user)
        .execute(&*self.write())
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn mark_all_notifications_read(&self, user: Id, at: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query(
            "UPDATE notifications SET unread = $1, updated_at = $2 WHERE user_id = $3 AND unread = $4",
        )
        .bind(false)
        .bind(ts(&at))
        .bind(user)
        .bind(true)
        .execute(&*self.write())
        .await?;
        Ok(done.rows_affected())
    }
}
