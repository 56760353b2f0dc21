//! The security review's items 5–7 (issue 9): rate limits that hold under concurrency, lockout
//! keyed on the account rather than the identifier typed, and a bound on what unauthenticated
//! requests can make the server keep.

use crate::browser::{Browser, Page};
use crate::harness::{Backends, PASSWORD, TestClient, TestServer};
use crate::oidc_flows::{authorize_url, http};
use crate::on_both_backends;
use latch_domain::entities::AppType;

on_both_backends!(
    concurrent_wrong_passwords_are_refused_before_they_are_verified,
    a_correct_sign_in_is_not_held_against_the_account_or_the_address,
    a_lock_holds_whatever_identifier_names_the_account,
    unknown_identifiers_lock_like_accounts_and_cost_no_verification,
    concurrent_wrong_client_secrets_stop_at_the_ip_limit,
    interactions_are_limited_per_ip,
    oversized_authorization_parameters_are_invalid_requests,
);

const MESSAGE: &str = "The username, email or password is incorrect.";

/// The limits the server runs with (DESIGN.md defaults: 100 failures per address per 15
/// minutes, lock after 10 per account).
fn limits(server: &TestServer) -> (usize, usize) {
    let l = server.core.settings.limits;
    assert_eq!((l.ip_failures, l.account_lock_after), (100, 10), "the tests assume the defaults");
    (l.ip_failures as usize, l.account_lock_after as usize)
}

async fn web_app(server: &TestServer) -> TestClient {
    server.user("ada").await;
    server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await
}

/// The sign-in page of a fresh interaction in `browser`.
async fn sign_in_page(server: &TestServer, browser: &Browser, client: &TestClient) -> Page {
    let page = browser.open(&authorize_url(server, client, "openid")).await.page();
    assert!(page.url.contains("/sign-in"), "{}", page.url);
    page
}

/// Posts the sign-in form of `page` directly (no redirects followed): status and body.
async fn post_sign_in(
    server: &TestServer,
    browser: &Browser,
    page: &Page,
    identifier: &str,
    password: &str,
) -> (u16, String) {
    let (_, fields) = page.form();
    let field = |name: &str| fields.iter().find(|f| f.0 == name).map(|f| f.1.clone()).unwrap_or_default();
    let res = browser
        .http()
        .post(server.url("/sign-in"))
        .form(&[
            ("interaction", field("interaction")),
            ("csrf", field("csrf")),
            ("identifier", identifier.to_owned()),
            ("password", password.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// Item 5: 150 wrong passwords for one account from one address, all at once. Counting before
/// verifying means at most the lock count (10) of them reach argon2, the IP limit (100) turns
/// the rest into 429s, and every other answer is the one wrong-credentials message.
async fn concurrent_wrong_passwords_are_refused_before_they_are_verified(server: &TestServer) {
    let (ip_limit, lock_after) = limits(server);
    let web = web_app(server).await;
    let browser = Browser::new(&server.base);
    let page = sign_in_page(server, &browser, &web).await;
    let before = server.core.hash_pool.jobs_run();
    let attempts: Vec<_> = (0..150)
        .map(|i| {
            let (browser, page) = (&browser, &page);
            async move { post_sign_in(server, browser, page, "ada", &format!("wrong password {i}")).await }
        })
        .collect();
    let answers = futures_util::future::join_all(attempts).await;
    let verified = server.core.hash_pool.jobs_run() - before;
    let limited = answers.iter().filter(|(s, _)| *s == 429).count();
    let refused = answers.iter().filter(|(s, body)| *s == 401 && body.contains(MESSAGE)).count();
    assert_eq!(
        limited + refused,
        150,
        "every answer is a 429 or the one message: {:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    assert!(
        verified as usize <= lock_after,
        "{verified} passwords were verified; the account locks after {lock_after}"
    );
    assert_eq!(limited, 150 - ip_limit, "the IP limit refuses everything past the first {ip_limit}");
    // Locked (and over the IP limit): the right password is refused too, without a verification.
    let (status, _) = post_sign_in(server, &browser, &page, "ada", PASSWORD).await;
    assert_eq!(status, 429);
    assert_eq!(server.core.hash_pool.jobs_run() - before, verified);
}

/// Item 5 (what must stay true): a correct password clears the account's failures and does
/// not count against the address, so a busy address of honest users never reaches 429.
async fn a_correct_sign_in_is_not_held_against_the_account_or_the_address(server: &TestServer) {
    let (ip_limit, lock_after) = limits(server);
    let web = web_app(server).await;
    for round in 0..2 {
        let browser = Browser::new(&server.base);
        let page = sign_in_page(server, &browser, &web).await;
        for _ in 0..lock_after - 1 {
            assert_eq!(post_sign_in(server, &browser, &page, "ada", "wrong password!").await.0, 401);
        }
        let (status, _) = post_sign_in(server, &browser, &page, "ada", PASSWORD).await;
        assert_eq!(status, 303, "round {round}: nine failures and the right password signs in");
    }
    for i in 0..=ip_limit {
        let browser = Browser::new(&server.base);
        let page = sign_in_page(server, &browser, &web).await;
        let (status, body) = post_sign_in(server, &browser, &page, "ada", PASSWORD).await;
        assert_eq!(status, 303, "sign-in {i} from one address: {body}");
    }
}

/// Item 6: the lock is on the account, whatever identifier the next attempt types.
async fn a_lock_holds_whatever_identifier_names_the_account(server: &TestServer) {
    let (_, lock_after) = limits(server);
    let web = web_app(server).await;
    let browser = Browser::new(&server.base);
    let page = sign_in_page(server, &browser, &web).await;
    for _ in 0..lock_after {
        assert_eq!(post_sign_in(server, &browser, &page, "ada", "wrong password!").await.0, 401);
    }
    for alias in ["ada@example.com", "ADA@EXAMPLE.COM", " ada "] {
        let (status, body) = post_sign_in(server, &browser, &page, alias, PASSWORD).await;
        assert_eq!(status, 401, "locked as `ada`, `{alias}` with the right password is refused");
        assert!(body.contains(MESSAGE), "with the same message: {body}");
    }
    // Another account is not affected.
    server.user("bob").await;
    let (status, _) = post_sign_in(server, &browser, &page, "bob", PASSWORD).await;
    assert_eq!(status, 303);
}

/// Item 6 (enumeration): an identifier nobody has locks after as many failures as an account,
/// and neither a locked account nor a locked unknown identifier runs a verification.
async fn unknown_identifiers_lock_like_accounts_and_cost_no_verification(server: &TestServer) {
    let (_, lock_after) = limits(server);
    let web = web_app(server).await;
    let browser = Browser::new(&server.base);
    let page = sign_in_page(server, &browser, &web).await;
    for who in ["ada", "nobody"] {
        let before = server.core.hash_pool.jobs_run();
        for _ in 0..lock_after {
            assert_eq!(post_sign_in(server, &browser, &page, who, "wrong password!").await.0, 401);
        }
        assert_eq!(server.core.hash_pool.jobs_run() - before, lock_after as u64, "{who}: one verification each");
        for _ in 0..3 {
            let (status, body) = post_sign_in(server, &browser, &page, who, "wrong password!").await;
            assert_eq!(status, 401);
            assert!(body.contains(MESSAGE));
        }
        assert_eq!(
            server.core.hash_pool.jobs_run() - before,
            lock_after as u64,
            "{who}: locked attempts are not verified"
        );
    }
}

/// Item 5 at the token and revocation endpoints: successes do not count, and 150 concurrent
/// wrong secrets from one address meet the IP limit after exactly 100 failures.
async fn concurrent_wrong_client_secrets_stop_at_the_ip_limit(server: &TestServer) {
    let (ip_limit, _) = limits(server);
    let web = web_app(server).await;
    for endpoint in ["/token", "/token/revocation"] {
        let url = format!("{}{endpoint}", server.issuer);
        let secret = web.secret.clone().unwrap();
        for i in 0..=ip_limit {
            let res = http()
                .post(&url)
                .basic_auth(&web.id, Some(&secret))
                .form(&[("grant_type", "client_credentials"), ("token", "unknown")])
                .send()
                .await
                .unwrap();
            assert!(
                matches!(res.status().as_u16(), 200 | 400),
                "{endpoint} {i}: an authenticated client is never limited: {}",
                res.status()
            );
        }
        let attempts: Vec<_> = (0..150)
            .map(|_| {
                let url = url.clone();
                async move {
                    let res = http()
                        .post(url)
                        .basic_auth("web", Some("not-the-secret"))
                        .form(&[("grant_type", "client_credentials"), ("token", "unknown")])
                        .send()
                        .await
                        .unwrap();
                    res.status().as_u16()
                }
            })
            .collect();
        let answers = futures_util::future::join_all(attempts).await;
        let limited = answers.iter().filter(|s| **s == 429).count();
        let refused = answers.iter().filter(|s| **s == 401).count();
        assert_eq!((refused, limited), (ip_limit, 150 - ip_limit), "{endpoint}: {answers:?}");
    }
}

/// Item 7: each unauthenticated authorization request stores an interaction, so one address
/// may start only so many; past that it gets 429 with `Retry-After`.
async fn interactions_are_limited_per_ip(server: &TestServer) {
    let l = server.core.settings.limits;
    assert_eq!((l.interactions_per_ip, l.interaction_window), (300, 300), "the defaults");
    let web = web_app(server).await;
    let url = authorize_url(server, &web, "openid");
    let ada = Browser::new(&server.base);
    let page = ada.open(&url).await.page();
    ada.sign_in(&page, "ada", PASSWORD).await.client();
    let mut started = 1;
    loop {
        let res = http().get(&url).send().await.unwrap();
        match res.status().as_u16() {
            303 => started += 1,
            429 => {
                let retry = res.headers().get("retry-after").and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
                assert_eq!(retry, Some(l.interaction_window), "Retry-After: {:?}", res.headers());
                assert!(res.text().await.unwrap().contains("Too many"));
                break;
            }
            other => panic!("unexpected {other}"),
        }
        assert!(started <= 1000, "1000 interactions from one address and no 429");
    }
    assert_eq!(started, l.interactions_per_ip, "exactly the configured number of sign-ins may start");
    assert_eq!(Browser::new(&server.base).open(&url).await.page().status, 429, "a new browser waits too");
    // A browser already signed in creates no interaction: it is not held up.
    let (_, params) = ada.open(&url).await.client();
    assert!(params.contains_key("code"), "{params:?}");
}

/// Item 7: parameters an interaction keeps have tight length limits; over them is
/// `invalid_request` on an error page (400), never a 5xx and never stored.
async fn oversized_authorization_parameters_are_invalid_requests(server: &TestServer) {
    let web = web_app(server).await;
    let cases = [
        ("login_hint", 256, "a"),
        ("ui_locales", 128, "e"),
        ("scope", 1024, "o"),
        ("state", 1024, "s"),
        ("nonce", 512, "n"),
    ];
    for (name, limit, ch) in cases {
        for (len, ok) in [(limit, true), (limit + 1, false)] {
            let mut url = url::Url::parse(&format!("{}/auth", server.issuer)).unwrap();
            let value = if name == "scope" { format!("openid {}", ch.repeat(len - 7)) } else { ch.repeat(len) };
            url.query_pairs_mut()
                .append_pair("client_id", &web.id)
                .append_pair("redirect_uri", &web.redirect_uri)
                .append_pair("response_type", "code")
                .append_pair(name, &value);
            if name != "scope" {
                url.query_pairs_mut().append_pair("scope", "openid");
            }
            let res = http().get(url.as_str()).send().await.unwrap();
            let status = res.status().as_u16();
            if ok {
                let location =
                    res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                assert!(status == 303 && location.contains("/sign-in"), "{name} of {len}: {status} {location}");
            } else {
                assert_eq!(status, 400, "{name} of {len}");
                assert!(res.headers().get("location").is_none());
                assert!(res.text().await.unwrap().contains("invalid_request"), "{name} of {len}");
            }
        }
    }
}

/// Item 7: the interaction an unauthenticated request creates lives `tokens.sign_in_ttl`;
/// once the user signs in it is kept `tokens.interaction_ttl` for the consent decision.
async fn an_unsubmitted_sign_in_expires_sooner_than_a_signed_in_interaction(backends: Backends) {
    let Some(server) = TestServer::start_with(backends, |c| c.tokens.sign_in_ttl = 1).await else { return };
    server.user("ada").await;
    let partner = server.app("partner", AppType::Traditional, true, &["https://partner.example.com/cb"]).await;
    let url = authorize_url(&server, &partner, "openid email");
    let res = http().get(&url).send().await.unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("latch_interaction_"), "{cookie}");
    assert!(cookie.split("; ").any(|p| p == "Max-Age=1"), "the cookie lives as long as the interaction: {cookie}");
    // Left on the sign-in page past its lifetime: gone.
    let browser = Browser::new(&server.base);
    let page = browser.open(&url).await.page();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let expired = browser.sign_in(&page, "ada", PASSWORD).await.page();
    assert_eq!(expired.status, 400);
    assert!(expired.text().contains("expired"), "{}", expired.text());
    // Signed in in time: the consent step may take longer than the sign-in lifetime.
    let page = browser.open(&url).await.page();
    let consent = browser.sign_in(&page, "ada", PASSWORD).await.page();
    assert!(consent.url.contains("/consent"), "{}", consent.url);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let (_, params) = browser.consent(&consent, true).await.client();
    assert!(params.contains_key("code"), "{params:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsubmitted_sign_in_expires_sooner_than_a_signed_in_interaction_embedded() {
    an_unsubmitted_sign_in_expires_sooner_than_a_signed_in_interaction(Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn an_unsubmitted_sign_in_expires_sooner_than_a_signed_in_interaction_production() {
    an_unsubmitted_sign_in_expires_sooner_than_a_signed_in_interaction(Backends::Production).await;
}

/// Item 5: with the hashing queue full, a sign-in is answered 503 "try again" with
/// `Retry-After` (not queued without bound, not a panic), and the attempt is given back.
async fn a_full_hashing_queue_answers_try_again(backends: Backends) {
    let slow = |c: &mut latch::config::Config| {
        // Slow hashes (≈ 0.5 s each) and room for one waiting job, so 20 simultaneous
        // attempts cannot all be queued.
        c.password_hash.memory_kib = 19 * 1024;
        c.password_hash.iterations = 16;
        c.password_hash.queue = 1;
    };
    let Some(server) = TestServer::start_with(backends, slow).await else { return };
    let web = server.app("web", AppType::Traditional, false, &["https://web.example.com/callback"]).await;
    let browser = Browser::new(&server.base);
    let page = sign_in_page(&server, &browser, &web).await;
    let attempts: Vec<_> = (0..20)
        .map(|i| {
            let (server, browser, page) = (&server, &browser, &page);
            async move { post_sign_in(server, browser, page, &format!("nobody{i}"), "wrong password!").await }
        })
        .collect();
    let answers = futures_util::future::join_all(attempts).await;
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    let refused = answers.iter().filter(|(s, b)| *s == 401 && b.contains(MESSAGE)).count();
    assert_eq!(busy.len() + refused, 20, "{:?}", answers.iter().map(|a| a.0).collect::<Vec<_>>());
    assert!(!busy.is_empty(), "20 slow verifications at once overflow a queue of one");
    assert!(busy.iter().all(|(_, body)| body.contains("try again")), "{}", busy[0].1);
    assert_eq!(server.core.hash_pool.jobs_run() as usize, refused, "the busy ones were never verified");
    // Only the verified failures count against the address.
    let counted = server.core.cache.get("rl:sign-in:ip:127.0.0.1").await.unwrap();
    assert_eq!(counted, Some(refused.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_hashing_queue_answers_try_again_embedded() {
    a_full_hashing_queue_answers_try_again(Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn a_full_hashing_queue_answers_try_again_production() {
    a_full_hashing_queue_answers_try_again(Backends::Production).await;
}
