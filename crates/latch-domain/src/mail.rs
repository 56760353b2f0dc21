//! The mail port: how Latch sends email (SMTP in production, `latch::mail`). Flows that need
//! email exist only while a sender is configured.

use async_trait::async_trait;

/// One message to one recipient: a plain-text body, and an HTML one when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: Option<String>,
}

/// How the sender is set up, for operators (never its password).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    /// `starttls`, `tls` or `none`.
    pub tls: &'static str,
    /// The `From` of every message.
    pub from: String,
    /// Whether it signs in to the server.
    pub authenticated: bool,
}

/// A refused or failed delivery, in the words of the server or the connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The recipient is no address a message can go to.
    #[error("{0}")]
    BadRecipient(String),
    /// The server could not be reached, refused us, or refused the message.
    #[error("{0}")]
    Delivery(String),
}

#[async_trait]
pub trait MailSender: Send + Sync {
    async fn send(&self, mail: Mail) -> Result<(), MailError>;
    fn settings(&self) -> &MailSettings;
}
