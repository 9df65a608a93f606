//! Invitations into organizations, for `AccountStore` (its impl in
//! `accounts.rs` calls these).

use entrepot_core::{Id, OrgRole, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, opt_int, parse, time};
use super::{SqlStore, ts};
use crate::StoreResult;
use crate::meta::OrgInvitation;

fn invitation(row: &AnyRow) -> StoreResult<OrgInvitation> {
    Ok(OrgInvitation {
        id: int(row, "id")?,
        org_id: int(row, "org_id")?,
        user_id: int(row, "user_id")?,
        role: parse(row, "role")?,
        inviter_id: opt_int(row, "inviter_id")?,
        created_at: time(row, "created_at")?,
    })
}

pub(super) async fn invite(
    store: &SqlStore,
    org: Id,
    user: Id,
    role: OrgRole,
    inviter: Id,
    at: Timestamp,
) -> StoreResult<OrgInvitation> {
    let row = sqlx::query(
        "INSERT INTO org_invitations (org_id, user_id, role, inviter_id, created_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role
         RETURNING *",
    )
    .bind(org)
    .bind(user)
    .bind(role.as_str())
    .bind(inviter)
    .bind(ts(&at))
    .fetch_one(&*store.write())
    .await?;
    invitation(&row)
}

pub(super) async fn list(
    store: &SqlStore,
    org: Option<Id>,
    user: Option<Id>,
) -> StoreResult<Vec<OrgInvitation>> {
    let query = sqlx::query(
        "SELECT * FROM org_invitations
         WHERE ($1 IS NULL OR org_id = $1) AND ($2 IS NULL OR user_id = $2)
         ORDER BY created_at, id",
    )
    .bind(org)
    .bind(user);
    all_rows(query, &store.reader, invitation).await
}

pub(super) async fn accept(store: &SqlStore, org: Id, user: Id) -> StoreResult<Option<OrgRole>> {
    let mut tx = store.begin_write().await?;
    let role: Option<String> = sqlx::query_scalar(
        "DELETE FROM org_invitations WHERE org_id = $1 AND user_id = $2 RETURNING role",
    )
    .bind(org)
    .bind(user)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(role) = role else {
        store.commit(tx).await?;
        return Ok(None);
    };
    // Someone who became a member meanwhile keeps the role they have: an
    // old invitation neither promotes nor demotes.
    sqlx::query(
        "INSERT INTO org_members (org_id, user_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (org_id, user_id) DO NOTHING",
    )
    .bind(org)
    .bind(user)
    .bind(&role)
    .execute(&mut **tx)
    .await?;
    let held: String =
        sqlx::query_scalar("SELECT role FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org)
            .bind(user)
            .fetch_one(&mut **tx)
            .await?;
    store.commit(tx).await?;
    Ok(held.parse().ok())
}

pub(super) async fn delete(store: &SqlStore, org: Id, user: Id) -> StoreResult<bool> {
    let done = sqlx::query("DELETE FROM org_invitations WHERE org_id = $1 AND user_id = $2")
        .bind(org)
        .bind(user)
        .execute(&*store.write())
        .await?;
    Ok(done.rows_affected() > 0)
}
