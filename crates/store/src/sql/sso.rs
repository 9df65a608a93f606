//! `SsoStore` in SQL: organizations' single sign-on.

use async_trait::async_trait;
use entrepot_core::{Id, Timestamp};
use sqlx::any::AnyRow;

use super::rows::{all_rows, int, opt_text, optional_row, text, time};
use super::{SqlStore, ts};
use crate::meta::{OrgSso, OrgSsoIdentity, SamlIdp, SamlKept, SsoStore};
use crate::{StoreError, StoreResult};

fn org_sso(row: &AnyRow) -> StoreResult<OrgSso> {
    Ok(OrgSso {
        org_id: int(row, "org_id")?,
        provider: text(row, "provider")?,
        saml: match (
            opt_text(row, "saml_sso_url")?,
            opt_text(row, "saml_issuer")?,
            opt_text(row, "saml_certificates")?,
        ) {
            (Some(sso_url), Some(issuer), Some(certificates)) => Some(SamlIdp {
                sso_url,
                issuer,
                certificates,
            }),
            _ => None,
        },
        created_at: time(row, "created_at")?,
    })
}

fn identity(row: &AnyRow) -> StoreResult<OrgSsoIdentity> {
    Ok(OrgSsoIdentity {
        org_id: int(row, "org_id")?,
        user_id: int(row, "user_id")?,
        subject: text(row, "subject")?,
        linked_at: time(row, "linked_at")?,
    })
}

fn id_and_time(
    id: &'static str,
    at: &'static str,
) -> impl Fn(&AnyRow) -> StoreResult<(Id, Timestamp)> {
    move |row| Ok((int(row, id)?, time(row, at)?))
}

/// Forgets, in `tx`, what came through `org`'s provider: for `user`, or
/// for everyone.
pub(super) async fn forget(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org: Id,
    user: Option<Id>,
) -> StoreResult<u64> {
    forget_sign_ons(tx, org, user).await?;
    let done = sqlx::query(
        "DELETE FROM org_sso_identities WHERE org_id = $1 AND ($2 IS NULL OR user_id = $2)",
    )
    .bind(org)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Forgets, in `tx`, the browser sign-ons and token authorizations made
/// through `org`'s provider (for `user`, or everyone), not who is who.
async fn forget_sign_ons(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    org: Id,
    user: Option<Id>,
) -> StoreResult<()> {
    sqlx::query(
        "DELETE FROM org_sso_sessions WHERE org_id = $1 AND ($2 IS NULL OR session_hash IN
           (SELECT hash FROM web_sessions WHERE user_id = $2))",
    )
    .bind(org)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "DELETE FROM org_sso_tokens WHERE org_id = $1 AND ($2 IS NULL OR token_id IN
           (SELECT id FROM tokens WHERE user_id = $2))",
    )
    .bind(org)
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl SsoStore for SqlStore {
    async fn org_sso(&self, org: Id) -> StoreResult<Option<OrgSso>> {
        let query = sqlx::query("SELECT * FROM org_sso WHERE org_id = $1").bind(org);
        let load = optional_row(query, &self.reader, org_sso);
        self.cache
            .get(&self.reader, |m| &mut m.org_sso, org, load)
            .await
    }

    async fn member_sso_orgs(&self, user: Id) -> StoreResult<Vec<OrgSso>> {
        let query = sqlx::query(
            "SELECT org_sso.* FROM org_sso JOIN org_members ON org_members.org_id = org_sso.org_id
             WHERE org_members.user_id = $1 ORDER BY org_sso.org_id",
        )
        .bind(user);
        all_rows(query, &self.reader, org_sso).await
    }

    async fn set_org_sso(&self, org: Id, provider: Option<&str>, at: Timestamp) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        forget(&mut tx, org, None).await?;
        sqlx::query("DELETE FROM org_sso WHERE org_id = $1")
            .bind(org)
            .execute(&mut **tx)
            .await?;
        if let Some(provider) = provider {
            sqlx::query("INSERT INTO org_sso (org_id, provider, created_at) VALUES ($1, $2, $3)")
                .bind(org)
                .bind(provider)
                .bind(ts(&at))
                .execute(&mut **tx)
                .await?;
        }
        self.commit(tx).await?;
        Ok(())
    }

    async fn set_org_saml(
        &self,
        org: Id,
        idp: &SamlIdp,
        kept: SamlKept,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        match kept {
            SamlKept::Nothing => {
                forget(&mut tx, org, None).await?;
            }
            SamlKept::Identities => forget_sign_ons(&mut tx, org, None).await?,
            SamlKept::Everything => {}
        }
        sqlx::query(
            "INSERT INTO org_sso
               (org_id, provider, created_at, saml_sso_url, saml_issuer, saml_certificates)
             VALUES ($1, 'saml', $2, $3, $4, $5)
             ON CONFLICT (org_id) DO UPDATE SET provider = 'saml',
               saml_sso_url = excluded.saml_sso_url, saml_issuer = excluded.saml_issuer,
               saml_certificates = excluded.saml_certificates",
        )
        .bind(org)
        .bind(ts(&at))
        .bind(&idp.sso_url)
        .bind(&idp.issuer)
        .bind(&idp.certificates)
        .execute(&mut **tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn first_use_of_saml_assertion(
        &self,
        org: Id,
        id: &str,
        until: Timestamp,
        now: Timestamp,
    ) -> StoreResult<bool> {
        sqlx::query("DELETE FROM saml_assertions WHERE expires_at <= $1")
            .bind(ts(&now))
            .execute(&*self.write())
            .await?;
        let done = sqlx::query(
            "INSERT INTO saml_assertions (org_id, assertion_id, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (org_id, assertion_id) DO NOTHING",
        )
        .bind(org)
        .bind(id)
        .bind(ts(&until))
        .execute(&*self.write())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn link_org_sso_identity(
        &self,
        org: Id,
        user: Id,
        subject: &str,
        at: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        let linked: Option<String> = sqlx::query_scalar(
            "SELECT subject FROM org_sso_identities WHERE org_id = $1 AND user_id = $2",
        )
        .bind(org)
        .bind(user)
        .fetch_optional(&mut **tx)
        .await?;
        match linked {
            Some(known) if known == subject => return Ok(()),
            Some(_) => {
                return Err(StoreError::Conflict(
                    "this member has another identity at the organization's provider".into(),
                ));
            }
            None => {}
        }
        sqlx::query(
            "INSERT INTO org_sso_identities (org_id, user_id, subject, linked_at)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(org)
        .bind(user)
        .bind(subject)
        .bind(ts(&at))
        .execute(&mut **tx)
        .await?;
        self.commit(tx).await?;
        Ok(())
    }

    async fn org_sso_identities(&self, org: Id) -> StoreResult<Vec<OrgSsoIdentity>> {
        let query =
            sqlx::query("SELECT * FROM org_sso_identities WHERE org_id = $1 ORDER BY linked_at")
                .bind(org);
        all_rows(query, &self.reader, identity).await
    }

    async fn revoke_org_sso_identity(&self, org: Id, user: Id) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let gone = forget(&mut tx, org, Some(user)).await?;
        self.commit(tx).await?;
        Ok(gone > 0)
    }

    async fn open_org_sso_session(
        &self,
        session_hash: &str,
        org: Id,
        until: Timestamp,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_sso_sessions (session_hash, org_id, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (session_hash, org_id) DO UPDATE SET expires_at = excluded.expires_at",
        )
        .bind(session_hash)
        .bind(org)
        .bind(ts(&until))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn org_sso_session_active(
        &self,
        session_hash: &str,
        org: Id,
        now: Timestamp,
    ) -> StoreResult<bool> {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT org_id FROM org_sso_sessions
             WHERE session_hash = $1 AND org_id = $2 AND expires_at > $3",
        )
        .bind(session_hash)
        .bind(org)
        .bind(ts(&now))
        .fetch_optional(&self.reader)
        .await?;
        Ok(found.is_some())
    }

    async fn authorize_token_for_org(&self, token: Id, org: Id, at: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO org_sso_tokens (token_id, org_id, authorized_at) VALUES ($1, $2, $3)
             ON CONFLICT (token_id, org_id) DO NOTHING",
        )
        .bind(token)
        .bind(org)
        .bind(ts(&at))
        .execute(&*self.write())
        .await?;
        Ok(())
    }

    async fn token_authorized_for_org(&self, token: Id, org: Id) -> StoreResult<bool> {
        let load = async {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT token_id FROM org_sso_tokens WHERE token_id = $1 AND org_id = $2",
            )
            .bind(token)
            .bind(org)
            .fetch_optional(&self.reader)
            .await?;
            Ok(found.is_some())
        };
        self.cache
            .get(&self.reader, |m| &mut m.token_orgs, (token, org), load)
            .await
    }

    async fn token_sso_orgs(&self, token: Id) -> StoreResult<Vec<(Id, Timestamp)>> {
        let query = sqlx::query(
            "SELECT org_id, authorized_at FROM org_sso_tokens WHERE token_id = $1 ORDER BY org_id",
        )
        .bind(token);
        all_rows(query, &self.reader, id_and_time("org_id", "authorized_at")).await
    }

    async fn org_sso_tokens(&self, org: Id) -> StoreResult<Vec<(Id, Timestamp)>> {
        let query = sqlx::query(
            "SELECT token_id, authorized_at FROM org_sso_tokens WHERE org_id = $1
             ORDER BY authorized_at, token_id",
        )
        .bind(org);
        all_rows(
            query,
            &self.reader,
            id_and_time("token_id", "authorized_at"),
        )
        .await
    }

    async fn deauthorize_token_for_org(&self, token: Id, org: Id) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM org_sso_tokens WHERE token_id = $1 AND org_id = $2")
            .bind(token)
            .bind(org)
            .execute(&*self.write())
            .await?;
        Ok(done.rows_affected() > 0)
    }
}
