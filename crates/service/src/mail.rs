//! Mail the registry sends (password-reset links now; verification,
//! invitations and notifications next), through whatever sender the
//! binary configured (SMTP). Without one, the use cases that need mail say
//! so instead of pretending.

use std::sync::Arc;

use async_trait::async_trait;

/// One plain-text message to one address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends mail; implemented at the edge (SMTP).
#[async_trait]
pub trait MailSender: Send + Sync + 'static {
    /// Hands the message to the mail server; an error says why it refused.
    async fn send(&self, mail: Mail) -> Result<(), String>;
}

/// The configured sender, if any.
pub type Mailer = Option<Arc<dyn MailSender>>;
