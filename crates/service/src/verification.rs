//! Email addresses shown to be their owners': a new address gets a mailed
//! single-use link, good for a day, that marks it verified if it is still
//! the account's address. Mail (notifications) goes only to verified
//! addresses.

use chrono::{TimeDelta, Utc};
use entrepot_core::{Account, token};

use crate::mail::Mail;
use crate::sessions::random_secret;
use crate::{ServiceError, ServiceResult, Sessions};

/// How long a verification link works.
pub const VERIFY_LIFETIME: TimeDelta = TimeDelta::days(1);

impl Sessions<'_> {
    /// Mails `user` a link that verifies their current address, if there is
    /// an address, it is not verified yet, and mail can be sent. A mail
    /// server's refusal is logged, not passed on: the change it follows
    /// has been made.
    pub async fn send_email_verification(self, user: &Account) -> ServiceResult<()> {
        let (Some(mailer), Some(email)) = (self.mailer.clone(), user.email.clone()) else {
            return Ok(());
        };
        if user.email_verified_at.is_some() {
            return Ok(());
        }
        let secret = random_secret();
        self.meta
            .create_email_verification(
                &token::hash(&secret),
                user.id,
                &email,
                Utc::now() + VERIFY_LIFETIME,
            )
            .await?;
        let link = self.catalog().url(&format!("/verify-email/{secret}"));
        let mail = Mail {
            to: email,
            subject: "Verify your email address for Entrepot".into(),
            body: format!(
                "This address was given for `{login}` at {site}.\n\n\
                 If it is yours, confirm it within a day at:\n\n{link}\n\n\
                 If you did not expect this, ignore this mail.\n",
                login = user.login,
                site = self.catalog().url("/"),
            ),
        };
        if let Err(e) = mailer.send(mail).await {
            tracing::warn!(error = %e, user = %user.login, "could not send a verification mail");
        }
        Ok(())
    }

    /// Uses a verification link; answers the login whose address it
    /// verified.
    pub async fn verify_email(self, secret: &str) -> ServiceResult<String> {
        let invalid = || {
            ServiceError::Invalid(
                "this link has expired, was already used, or the address has changed since".into(),
            )
        };
        if secret.len() != 43 {
            return Err(invalid());
        }
        let user = self
            .meta
            .verify_email(&token::hash(secret), Utc::now())
            .await?
            .ok_or_else(invalid)?;
        let account = self.meta.account_by_id(user).await?.ok_or_else(invalid)?;
        Ok(account.login)
    }
}
