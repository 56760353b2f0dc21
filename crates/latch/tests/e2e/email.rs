//! Issue 15, email delivery: Latch sends through a real SMTP server (aiosmtpd, run from the
//! tests' venv by `python/smtp_sink.py`), in the clear to a local relay and with STARTTLS and a
//! password to a server with its own certificate authority; the admin API shows the settings
//! and sends a test message; refusals name their cause and are never a 500.

use crate::harness::{Backends, TestServer, test_python};
use latch::config::SmtpTls;
use serde_json::{Value, json};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running `smtp_sink.py`: every message it accepts is a JSON line in `out`.
pub(crate) struct Sink {
    child: Child,
    pub(crate) port: u16,
    out: PathBuf,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    pub(crate) fn start(python: &str, dir: &Path, name: &str, extra: &[String]) -> Sink {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = dir.join(format!("{name}.jsonl"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/python/smtp_sink.py");
        let mut child = Command::new(python)
            .arg(script)
            .arg(port.to_string())
            .arg(&out)
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("{python}: {e}"));
        let mut ready = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut ready).unwrap();
        assert_eq!(ready.trim(), "READY", "the SMTP server started");
        Sink { child, port, out }
    }

    /// The messages accepted so far.
    pub(crate) fn messages(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.out).unwrap_or_default();
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latch_sends_email_through_a_real_smtp_server_and_says_why_when_it_cannot() {
    let Some(python) = test_python() else { return };
    let dir = tempfile::tempdir().unwrap();

    // No server configured: the settings say so, and a test message is refused with why.
    let Some(plain) = TestServer::start_with(Backends::Embedded, |_| {}).await else { return };
    let admin = plain.admin().await;
    let settings = admin.get("/email").await;
    assert_eq!((settings.status, &settings.body), (200, &json!({"configured": false, "authenticated": false})));
    let refused = admin.post("/email/test", json!({"to": "ops@example.com"})).await;
    assert_eq!(
        (refused.status, refused.body["code"].as_str()),
        (409, Some("email.not_configured")),
        "{}",
        refused.body
    );
    drop(plain);

    // A local relay in the clear.
    let relay = Sink::start(&python, dir.path(), "relay", &[]);
    let port = relay.port;
    let Some(server) = TestServer::start_with(Backends::Embedded, |c| {
        c.smtp.host = Some("127.0.0.1".into());
        c.smtp.port = Some(port);
        c.smtp.tls = SmtpTls::None;
        c.smtp.from = Some("Acme Identity <no-reply@acme.example>".into());
    })
    .await
    else {
        return;
    };
    let admin = server.admin().await;
    let settings = admin.get("/email").await;
    assert_eq!(settings.body["configured"], true, "{}", settings.body);
    assert_eq!(settings.body["tls"], "none");
    assert_eq!(settings.body["port"], port);
    assert_eq!(settings.body["from"], "Acme Identity <no-reply@acme.example>");
    let sent = admin.post("/email/test", json!({"to": "ops@example.com"})).await;
    assert_eq!((sent.status, &sent.body), (200, &json!({"delivered": true})));
    let got = relay.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0]["to"], json!(["ops@example.com"]));
    assert_eq!(got[0]["from"], "no-reply@acme.example");
    let data = got[0]["data"].as_str().unwrap();
    assert!(data.contains("Subject: Latch test message"), "{data}");
    assert!(data.contains("From: \"Acme Identity\" <no-reply@acme.example>"), "{data}");
    assert!(data.contains("Latch can send email"), "{data}");
    for bad in ["not-an-address", "a@b", "two@example.com, three@example.com"] {
        let refused = admin.post("/email/test", json!({"to": bad})).await;
        assert_eq!((refused.status, refused.body["field"].as_str()), (422, Some("to")), "{bad}: {}", refused.body);
    }
    let malformed = admin.post("/email/test", json!({"recipient": "ops@example.com"})).await;
    assert_eq!(malformed.status, 400, "{}", malformed.body);
    // The relay goes away: the answer says the server did not take it.
    drop(relay);
    let down = admin.post("/email/test", json!({"to": "ops@example.com"})).await;
    assert_eq!((down.status, down.body["delivered"].as_bool()), (200, Some(false)), "{}", down.body);
    assert!(down.body["detail"].as_str().unwrap().contains("Connection refused"), "{}", down.body);
    drop(server);

    // STARTTLS with a password, to a server whose certificate a private authority signed.
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert, key) = (dir.path().join("smtp.pem"), dir.path().join("smtp-key.pem"));
    std::fs::write(&cert, made.cert.pem()).unwrap();
    std::fs::write(&key, made.signing_key.serialize_pem()).unwrap();
    let secure = Sink::start(
        &python,
        dir.path(),
        "secure",
        &[
            "--starttls".into(),
            cert.display().to_string(),
            key.display().to_string(),
            "--auth".into(),
            "latch:s3cret".into(),
        ],
    );
    let (port, ca) = (secure.port, cert.clone());
    let with_password = |password: &'static str| {
        let ca = ca.clone();
        move |c: &mut latch::config::Config| {
            c.smtp.host = Some("localhost".into());
            c.smtp.port = Some(port);
            c.smtp.tls = SmtpTls::Starttls;
            c.smtp.username = Some("latch".into());
            c.smtp.password = Some(password.into());
            c.smtp.from = Some("no-reply@acme.example".into());
            c.smtp.ca_file = Some(ca);
        }
    };
    let Some(server) = TestServer::start_with(Backends::Embedded, with_password("s3cret")).await else { return };
    let admin = server.admin().await;
    assert_eq!(admin.get("/email").await.body["authenticated"], true);
    let sent = admin.post("/email/test", json!({"to": "ops@example.com"})).await;
    assert_eq!((sent.status, &sent.body), (200, &json!({"delivered": true})));
    let got = secure.messages();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!((got[0]["tls"].as_bool(), got[0]["auth"].as_bool()), (Some(true), Some(true)), "{got:?}");
    drop(server);
    let Some(server) = TestServer::start_with(Backends::Embedded, with_password("wrong")).await else { return };
    let refused = server.admin().await.post("/email/test", json!({"to": "ops@example.com"})).await;
    assert_eq!((refused.status, refused.body["delivered"].as_bool()), (200, Some(false)), "{}", refused.body);
    assert!(refused.body["detail"].as_str().unwrap().contains("535"), "the server's words: {}", refused.body);
    assert_eq!(secure.messages().len(), 1, "nothing more was accepted");
}
