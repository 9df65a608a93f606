//! Password reset by a single-use link sent by mail: asking never tells
//! whether an account exists; a link works once, for an hour; using it
//! sets the password and signs every browser out.

use chrono::{TimeDelta, Utc};
use entrepot_core::token;

use crate::mail::Mail;
use crate::sessions::random_secret;
use crate::{ServiceError, ServiceResult, Sessions};

/// How long a reset link works.
pub const RESET_LIFETIME: TimeDelta = TimeDelta::hours(1);

/// Reset requests per client address, and per account, in a window.
const RESETS_PER_KEY: i64 = 5;

impl Sessions<'_> {
    /// Whether mail can be sent at all (the pages offer resets only then).
    #[must_use]
    pub fn can_mail(&self) -> bool {
        self.mailer.is_some()
    }

    /// Sends a reset link to the account named by its login or email, if
    /// it has an email address; answers the same whether or not one did.
    pub async fn request_password_reset(
        self,
        login_or_email: &str,
        from: Option<std::net::IpAddr>,
    ) -> ServiceResult<()> {
        let Some(mailer) = self.mailer.clone() else {
            return Err(ServiceError::Forbidden(
                "this server sends no mail: ask a site administrator to reset your password".into(),
            ));
        };
        let now = Utc::now();
        let window_after = now - crate::throttle::WINDOW;
        if let Some(ip) = from {
            let key = format!("reset:{}", crate::throttle::address_key(ip));
            if self
                .meta
                .count_attempt(&key, now, window_after)
                .await?
                .attempts
                > RESETS_PER_KEY
            {
                return Err(ServiceError::Throttled(
                    "too many reset requests from this address; try again in 15 minutes".into(),
                ));
            }
        }
        let wanted = login_or_email.trim();
        let user = if wanted.contains('@') {
            self.meta.users_by_email(wanted).await?.into_iter().next()
        } else {
            self.meta.account_by_login(wanted).await?
        };
        let Some(user) = user.filter(|u| u.suspended_at.is_none()) else {
            return Ok(());
        };
        let Some(email) = user.email.clone() else {
            return Ok(());
        };
        // A mailbox is not flooded, whoever asks.
        let key = format!("reset:user:{}", user.id);
        if self
            .meta
            .count_attempt(&key, now, window_after)
            .await?
            .attempts
            > RESETS_PER_KEY
        {
            return Ok(());
        }
        let secret = random_secret();
        self.meta
            .create_password_reset(&token::hash(&secret), user.id, now + RESET_LIFETIME)
            .await?;
        let link = self.catalog().url(&format!("/password-reset/{secret}"));
        let body = format!(
            "Someone (we hope you) asked to reset the password of `{login}` at {site}.\n\n\
             Set a new one within the hour at:\n\n{link}\n\n\
             If it was not you, ignore this mail: your password stays as it is.\n",
            login = user.login,
            site = self.catalog().url("/"),
        );
        let mail = Mail {
            to: email,
            subject: "Reset your Entrepot password".into(),
            body,
        };
        if let Err(e) = mailer.send(mail).await {
            tracing::warn!(error = %e, user = %user.login, "could not send a password-reset mail");
            return Err(ServiceError::Upstream(
                "the mail server did not take the message; try again later".into(),
            ));
        }
        Ok(())
    }

    /// Sets a new password with a reset link's secret, once.
    pub async fn reset_password(self, secret: &str, password: String) -> ServiceResult<String> {
        let invalid = || {
            ServiceError::Invalid(
                "this reset link has expired or was already used; ask for a new one".into(),
            )
        };
        if secret.len() != 43 {
            return Err(invalid());
        }
        let user = self
            .meta
            .take_password_reset(&token::hash(secret), Utc::now())
            .await?
            .ok_or_else(invalid)?;
        let account = self.meta.account_by_id(user).await?.ok_or_else(invalid)?;
        self.accounts()
            .set_password(&account.login, password)
            .await?;
        self.meta.delete_user_sessions(user, None).await?;
        Ok(account.login)
    }
}
