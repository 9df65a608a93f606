//! Mail over SMTP with lettre: `--smtp-url` names the server as lettre
//! reads it (`smtps://user:pass@host:465` for TLS from the start,
//! `smtp://user:pass@host:587?tls=required` for STARTTLS, `smtp://host:25`
//! for a local relay without TLS), `--mail-from` the sender.

use anyhow::Context;
use async_trait::async_trait;
use entrepot_service::mail::{Mail, MailSender};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The SMTP sender.
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Smtp {
    /// A sender for `url`, writing as `from`.
    pub fn new(url: &str, from: &str) -> anyhow::Result<Smtp> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("--smtp-url: not an SMTP URL such as smtp://host:587?tls=required")?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = from.parse().with_context(|| {
            format!(
                "--mail-from: `{from}` is not an address such as Entrepot <entrepot@example.com>"
            )
        })?;
        Ok(Smtp { transport, from })
    }
}

#[async_trait]
impl MailSender for Smtp {
    async fn send(&self, mail: Mail) -> Result<(), String> {
        let to: Mailbox = mail.to.parse().map_err(|e| format!("`{}`: {e}", mail.to))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(|e| e.to_string())?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}
