//! Email over SMTP (lettre, rustls): the `smtp.*` configuration as a
//! [`MailSender`](latch_domain::mail::MailSender). A bad configuration stops start-up with the
//! key that is wrong; a failed delivery is the caller's to report.

use crate::config::{SmtpConfig, SmtpTls};
use anyhow::{Context, bail};
use async_trait::async_trait;
use latch_domain::mail::{Mail, MailError, MailSender, MailSettings};
use lettre::message::{Mailbox, MultiPart, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    settings: MailSettings,
}

/// Whether `host` names this machine: the one place a plain connection carries no risk.
fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl SmtpSender {
    /// The sender `config` describes, or `None` when no `smtp.host` is set.
    pub fn from_config(config: &SmtpConfig) -> anyhow::Result<Option<SmtpSender>> {
        let Some(host) = config.host.as_deref().map(str::trim).filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let Some(from) = config.from.as_deref() else { bail!("smtp.from is required with smtp.host") };
        let from: Mailbox = from.parse().with_context(|| format!("smtp.from `{from}` is not an email address"))?;
        let authenticated = match (&config.username, &config.password) {
            (Some(_), Some(_)) => true,
            (None, None) => false,
            _ => bail!("smtp.username and smtp.password go together"),
        };
        if config.tls == SmtpTls::None && !is_loopback(host) {
            if authenticated {
                bail!("smtp.tls = \"none\" would send smtp.password in clear to {host}; use starttls or tls");
            }
            tracing::warn!(%host, "smtp.tls = \"none\": email goes to the server in clear text");
        }
        let port = config.port.unwrap_or(match config.tls {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        });
        let tls = match config.tls {
            SmtpTls::None => Tls::None,
            mode => {
                let mut params = TlsParameters::builder(host.to_owned());
                if let Some(path) = &config.ca_file {
                    let pem =
                        std::fs::read(path).with_context(|| format!("reading smtp.ca_file {}", path.display()))?;
                    let cert = Certificate::from_pem(&pem)
                        .with_context(|| format!("smtp.ca_file {} is not a PEM certificate", path.display()))?;
                    params = params.add_root_certificate(cert);
                }
                let params = params.build_rustls().context("smtp TLS settings")?;
                if mode == SmtpTls::Tls { Tls::Wrapper(params) } else { Tls::Required(params) }
            }
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(config.timeout_secs.max(1))));
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        let settings = MailSettings {
            host: host.to_owned(),
            port,
            tls: match config.tls {
                SmtpTls::Starttls => "starttls",
                SmtpTls::Tls => "tls",
                SmtpTls::None => "none",
            },
            from: from.to_string(),
            authenticated,
        };
        Ok(Some(SmtpSender { transport: builder.build(), from, settings }))
    }
}

#[async_trait]
impl MailSender for SmtpSender {
    async fn send(&self, mail: Mail) -> Result<(), MailError> {
        let to: Mailbox =
            mail.to.parse().map_err(|_| MailError::BadRecipient(format!("`{}` is not an email address", mail.to)))?;
        let builder = Message::builder().from(self.from.clone()).to(to).subject(mail.subject);
        let message = match mail.html {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(mail.text, html)),
            None => builder.header(ContentType::TEXT_PLAIN).body(mail.text),
        }
        .map_err(|e| MailError::Delivery(format!("the message could not be built: {e}")))?;
        self.transport.send(message).await.map(drop).map_err(|e| MailError::Delivery(e.to_string()))
    }

    fn settings(&self) -> &MailSettings {
        &self.settings
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn config(edit: impl FnOnce(&mut SmtpConfig)) -> SmtpConfig {
        let mut c = SmtpConfig {
            host: Some("smtp.example.com".into()),
            from: Some("Acme <no-reply@example.com>".into()),
            timeout_secs: 10,
            ..SmtpConfig::default()
        };
        edit(&mut c);
        c
    }

    #[test]
    fn the_configuration_is_checked_at_start_up() {
        let cases: Vec<(&str, SmtpConfig, Option<&str>)> = vec![
            ("no host: no email", config(|c| c.host = None), None),
            ("starttls by default, on 587", config(|_| {}), None),
            ("no from", config(|c| c.from = None), Some("smtp.from is required")),
            ("a from that is no address", config(|c| c.from = Some("acme".into())), Some("smtp.from `acme`")),
            ("a user without a password", config(|c| c.username = Some("u".into())), Some("go together")),
            (
                "a password in clear to another host",
                config(|c| {
                    c.tls = SmtpTls::None;
                    c.username = Some("u".into());
                    c.password = Some("p".into());
                }),
                Some("in clear"),
            ),
            (
                "a password in clear to this host",
                config(|c| {
                    c.host = Some("127.0.0.1".into());
                    c.tls = SmtpTls::None;
                    c.username = Some("u".into());
                    c.password = Some("p".into());
                }),
                None,
            ),
            ("a CA file that is missing", config(|c| c.ca_file = Some("/nonexistent.pem".into())), Some("ca_file")),
        ];
        for (what, c, want) in cases {
            match (SmtpSender::from_config(&c), want) {
                (Ok(_), None) => {}
                (Err(e), Some(part)) => assert!(format!("{e:#}").contains(part), "{what}: {e:#}"),
                (Ok(_), Some(part)) => panic!("{what}: accepted, wanted an error with {part}"),
                (Err(e), None) => panic!("{what}: {e:#}"),
            }
        }
        let s = SmtpSender::from_config(&config(|_| {})).unwrap().unwrap();
        assert_eq!((s.settings().port, s.settings().tls), (587, "starttls"));
        let s = SmtpSender::from_config(&config(|c| c.tls = SmtpTls::Tls)).unwrap().unwrap();
        assert_eq!((s.settings().port, s.settings().tls), (465, "tls"));
    }
}
