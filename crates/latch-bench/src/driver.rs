//! One Rust driver for every target: a browser that follows the provider's redirects and fills
//! its sign-in and consent forms whatever their markup (it finds the password field, the
//! username field and the approving button), the token requests, and the load loop.

use crate::targets::Described;
use anyhow::{Context, bail};
use base64::Engine as _;
use sha2::Digest as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A client without a cookie jar (machine-to-machine calls).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default()
}

/// A browser: its own cookie jar, redirects followed by hand.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap_or_default()
}

static VERIFIERS: AtomicU64 = AtomicU64::new(0);

/// A PKCE verifier (RFC 7636 §4.1: 43–128 unreserved characters) and its S256 challenge.
fn pkce() -> (String, String) {
    let n = VERIFIERS.fetch_add(1, Ordering::Relaxed);
    let verifier = format!("bench-verifier-{n:0>40}-{}", std::process::id());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn absolute(base: &str, location: &str) -> anyhow::Result<String> {
    Ok(url::Url::parse(base)?.join(location)?.to_string())
}

/// The form a person would submit on `html`: the one with a password field or an approving
/// button, with its hidden and checked fields, the credentials typed in and the button pressed.
fn fill(html: &str, page_url: &str, username: &str, password: &str) -> anyhow::Result<(String, Vec<(String, String)>)> {
    let doc = scraper::Html::parse_document(html);
    let sel = |s: &str| scraper::Selector::parse(s).map_err(|e| anyhow::anyhow!("selector {s}: {e}"));
    let (forms, inputs, buttons) = (sel("form")?, sel("input")?, sel("button")?);
    let approving = |v: &str| matches!(v, "approve" | "authorize" | "allow" | "accept");
    for form in doc.select(&forms) {
        let mut fields = Vec::new();
        let mut has_password = false;
        for input in form.select(&inputs) {
            let el = input.value();
            let (Some(name), kind) = (el.attr("name"), el.attr("type").unwrap_or("text")) else { continue };
            match kind {
                "hidden" => fields.push((name.to_owned(), el.attr("value").unwrap_or_default().to_owned())),
                "checkbox" | "radio" if el.attr("checked").is_some() => {
                    fields.push((name.to_owned(), el.attr("value").unwrap_or("on").to_owned()))
                }
                "password" => {
                    has_password = true;
                    fields.push((name.to_owned(), password.to_owned()));
                }
                "text" | "email" => fields.push((name.to_owned(), username.to_owned())),
                _ => {}
            }
        }
        let approve = form.select(&buttons).find_map(|b| {
            let (name, value) = (b.value().attr("name")?, b.value().attr("value")?);
            approving(value).then(|| (name.to_owned(), value.to_owned()))
        });
        if !has_password && approve.is_none() {
            continue;
        }
        fields.extend(approve.filter(|_| !has_password));
        let action = absolute(page_url, form.value().attr("action").unwrap_or(page_url))?;
        return Ok((action, fields));
    }
    bail!("no sign-in or consent form on {page_url}")
}

/// Runs the authorization code flow in browser `b` from its authorization request to the code,
/// through whatever sign-in and consent pages the provider shows; returns `(code, verifier)`.
pub async fn authorize(
    b: &reqwest::Client,
    t: &Described,
    scope: &str,
    prompt: &str,
) -> anyhow::Result<(String, String)> {
    let (verifier, challenge) = pkce();
    let mut url = url::Url::parse(&t.authorization)?;
    url.query_pairs_mut()
        .append_pair("client_id", &t.web.id)
        .append_pair("redirect_uri", &t.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", scope)
        .append_pair("state", "bench-state")
        .append_pair("nonce", "bench-nonce")
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if !prompt.is_empty() {
        url.query_pairs_mut().append_pair("prompt", prompt);
    }
    let mut here = url.to_string();
    let mut res = b.get(&here).send().await?;
    for _ in 0..12 {
        if res.status().is_redirection() {
            let to = absolute(&here, res.headers().get("location").context("a redirect without Location")?.to_str()?)?;
            if to.starts_with(&t.redirect_uri) {
                let to = url::Url::parse(&to)?;
                let q = |k: &str| to.query_pairs().find(|(n, _)| n == k).map(|(_, v)| v.into_owned());
                if q("state").as_deref() != Some("bench-state") {
                    bail!("the callback lost the state: {to}");
                }
                return Ok((q("code").with_context(|| format!("no code in {to}"))?, verifier));
            }
            here = to;
            res = b.get(&here).send().await?;
        } else if res.status().is_success() {
            let page = res.text().await?;
            let (action, fields) = fill(&page, &here, &t.username, &t.password)?;
            here = action;
            res = b.post(&here).form(&fields).send().await?;
        } else {
            bail!("{here} answered {}", res.status());
        }
    }
    bail!("no code after 12 steps (last at {here})")
}

/// Tokens for `code` at the token endpoint (the web client, `client_secret_basic`).
pub async fn exchange(
    http: &reqwest::Client,
    t: &Described,
    code: &str,
    verifier: &str,
) -> anyhow::Result<serde_json::Value> {
    token(
        http,
        t,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", &t.redirect_uri),
            ("code_verifier", verifier),
        ],
    )
    .await
}

pub async fn token(http: &reqwest::Client, t: &Described, form: &[(&str, &str)]) -> anyhow::Result<serde_json::Value> {
    let res = http.post(&t.token).basic_auth(&t.web.id, Some(&t.web.secret)).form(form).send().await?;
    json_ok(res).await
}

async fn json_ok(res: reqwest::Response) -> anyhow::Result<serde_json::Value> {
    let status = res.status();
    let body = res.bytes().await?;
    if !status.is_success() {
        bail!("{status}: {}", String::from_utf8_lossy(&body));
    }
    Ok(serde_json::from_slice(&body)?)
}

pub async fn client_credentials(http: &reqwest::Client, t: &Described, resource: &str) -> anyhow::Result<()> {
    let form = [("grant_type", "client_credentials"), ("resource", resource), ("scope", &t.resource_scope)];
    let res = http.post(&t.token).basic_auth(&t.m2m.id, Some(&t.m2m.secret)).form(&form).send().await?;
    let body = json_ok(res).await?;
    body["access_token"].as_str().context("no access_token")?;
    Ok(())
}

/// A signed-in browser whose consent is remembered, and tokens from its sign-in (with
/// `offline_access`, so a refresh token).
pub async fn signed_in(t: &Described) -> anyhow::Result<(reqwest::Client, serde_json::Value)> {
    let b = browser();
    let (code, verifier) = authorize(&b, t, &format!("{} offline_access", t.login_scope), "consent").await?;
    let tokens = exchange(&client(), t, &code, &verifier).await?;
    Ok((b, tokens))
}

/// Results of one load run: operations done and their latencies (µs, sorted).
#[derive(Debug, Default)]
pub struct Run {
    pub ops: u64,
    pub errors: u64,
    pub wall_seconds: f64,
    pub latencies: Vec<u64>,
}

impl Run {
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let s = &self.latencies;
        if s.is_empty() {
            return 0.0;
        }
        let i = ((s.len() as f64 - 1.0) * p).round() as usize;
        s[i.min(s.len() - 1)] as f64 / 1000.0
    }
}

/// Runs `work(worker)` on `concurrency` tasks for `seconds`. With `rate` (operations per second
/// in all), each task waits for its next slot instead of starting at once (an open pace, for
/// latency at a given load).
pub async fn load<F, Fut>(concurrency: usize, seconds: f64, rate: Option<f64>, work: F) -> Run
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = anyhow::Result<()>> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let work = Arc::new(work);
    let started = Instant::now();
    let interval = rate.map(|r| Duration::from_secs_f64(concurrency as f64 / r.max(1.0)));
    let tasks: Vec<_> = (0..concurrency)
        .map(|i| {
            let (stop, work) = (stop.clone(), work.clone());
            tokio::spawn(async move {
                let (mut lat, mut errors) = (Vec::new(), 0u64);
                // Spread the tasks' first slots over one interval.
                let mut next =
                    Instant::now() + interval.map(|d| d.mul_f64(i as f64 / concurrency as f64)).unwrap_or_default();
                while !stop.load(Ordering::Relaxed) {
                    if let Some(d) = interval {
                        tokio::time::sleep_until(next.into()).await;
                        next += d;
                    }
                    let t = Instant::now();
                    match work(i).await {
                        Ok(()) => lat.push(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX)),
                        Err(e) => {
                            errors += 1;
                            if errors < 3 {
                                eprintln!("  error: {e:#}");
                            }
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut run = Run::default();
    for t in tasks {
        let (lat, errors) = t.await.unwrap_or_default();
        run.latencies.extend(lat);
        run.errors += errors;
    }
    run.wall_seconds = started.elapsed().as_secs_f64();
    run.latencies.sort_unstable();
    run.ops = run.latencies.len() as u64;
    run
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn pkce_verifiers_are_valid_and_unique() {
        let (a, ca) = pkce();
        let (b, _) = pkce();
        assert_ne!(a, b);
        assert!((43..=128).contains(&a.len()), "{}", a.len());
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c)));
        assert_eq!(ca.len(), 43);
    }

    #[test]
    fn fill_signs_in_and_approves_on_both_providers_markup() {
        let peer_login = r#"<form method="post" action="/interaction/u1/login">
            <input type="hidden" name="uid" value="u1"><input id="username" name="username" type="text">
            <input name="password" type="password"><button type="submit">Sign in</button></form>"#;
        let (action, fields) = fill(peer_login, "http://p:1/interaction/u1", "alice", "pw").unwrap();
        assert_eq!(action, "http://p:1/interaction/u1/login");
        let pairs = |f: &[(String, String)]| f.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
        assert_eq!(pairs(&fields), ["uid=u1", "username=alice", "password=pw"]);
        let latch_consent = r#"<form method="post" action="http://l:2/consent">
            <input type="hidden" name="interaction" value="i"><input type="hidden" name="csrf" value="c">
            <input type="checkbox" name="scope" value="email" checked><input type="checkbox" name="scope" value="x">
            <button name="decision" value="switch">Not you?</button>
            <button name="decision" value="cancel">Cancel</button><button name="decision" value="authorize">Authorize</button></form>"#;
        let (action, fields) = fill(latch_consent, "http://l:2/consent?interaction=i", "u", "p").unwrap();
        assert_eq!(action, "http://l:2/consent");
        assert_eq!(pairs(&fields), ["interaction=i", "csrf=c", "scope=email", "decision=authorize"]);
        let other = r#"<form action="/search"><input name="q" type="text"></form>"#;
        assert!(fill(other, "http://l:2/", "u", "p").is_err(), "a form that is neither is not filled");
    }

    #[test]
    fn absolute_resolves_relative_and_keeps_absolute_locations() {
        assert_eq!(absolute("http://h:1/oidc/auth?x", "/sign-in?i=1").unwrap(), "http://h:1/sign-in?i=1");
        assert_eq!(absolute("http://h:1/a", "https://rp/cb?code=1").unwrap(), "https://rp/cb?code=1");
    }
}
