//! Issue 15, multi-factor sign-in with an authenticator app: enrolment on the account page (QR
//! code and key, a code computed from the key the page shows, recovery codes shown once),
//! sign-in with a code and with a recovery code (each used once; a replayed code refused),
//! `amr` / `acr` in the ID token, the operator's policy (required for everyone: enrolment at
//! sign-in; admins only), `acr_values` asking for a second factor (a password-only session
//! signs in again; `prompt=none` answers login_required), the limits on wrong codes per sign-in
//! and per account, removing a factor, and the audit trail. On SQLite + memory and
//! Postgres + Redis.

use crate::account_page::{csrf, post};
use crate::account_recovery::{CHALLENGE, REDIRECT, sign_in_url, tokens, words};
use crate::browser::{Browser, Page, Step};
use crate::harness::{Backends, PASSWORD, TestClient, TestServer};
use latch_domain::entities::AppType;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_factors_on_the_embedded_backends() {
    run(Backends::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(latch_no_test_production, ignore = "set LATCH_TEST_DATABASE_URL and LATCH_TEST_REDIS_URL")]
async fn second_factors_on_postgres_and_redis() {
    run(Backends::Production).await;
}

/// RFC 4648 base32 (the key the enrolment page shows, spaces ignored) as bytes.
pub(crate) fn base32(key: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u64, Vec::new());
    for c in key.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let i = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase()).expect("a base32 character");
        value = (value << 5) | i as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
        }
    }
    out
}

/// The key an enrolment page shows.
pub(crate) fn key_on(page: &Page) -> Vec<u8> {
    let doc = scraper::Html::parse_document(&page.html);
    let sel = scraper::Selector::parse("#totp-key").unwrap();
    let key: String = doc.select(&sel).next().unwrap_or_else(|| panic!("no key on {}", page.html)).text().collect();
    base32(&key)
}

/// The code of `secret` now, by the server's clock.
pub(crate) fn code_now(server: &TestServer, secret: &[u8]) -> String {
    latch_oidc::mfa::totp_code(secret, server.core.clock.now()).expect("a code")
}

/// The recovery codes a page shows.
fn recovery_codes_on(page: &Page) -> Vec<String> {
    let doc = scraper::Html::parse_document(&page.html);
    let sel = scraper::Selector::parse("#recovery-codes code").unwrap();
    doc.select(&sel).map(|e| e.text().collect()).collect()
}

/// A wrong code: not `right`.
fn wrong(right: &str) -> &'static str {
    if right == "000000" { "111111" } else { "000000" }
}

/// Signs `who` in with their password in a new browser: what comes after the password.
async fn password_step(server: &TestServer, client: &TestClient, who: &str, extra: &str) -> (Browser, Step) {
    let browser = Browser::new(&server.base);
    let sign_in = browser.open(&sign_in_url(server, client, extra)).await.page();
    let next = browser.sign_in(&sign_in, who, PASSWORD).await;
    (browser, next)
}

/// [`password_step`] for a user with a second step: its page.
async fn to_second_step(server: &TestServer, client: &TestClient, who: &str) -> (Browser, Page) {
    let (browser, step) = password_step(server, client, who, "").await;
    let page = step.page();
    assert!(page.url.contains("/sign-in/factor"), "{}", page.url);
    (browser, page)
}

/// The claims of the ID token the app gets for the code the browser was sent back with.
async fn id_token_of(server: &TestServer, client: &TestClient, step: Step) -> Value {
    let (_, params) = step.client();
    let tokens = tokens(server, client, &params["code"]).await;
    crate::registration::jwt_claims(tokens["id_token"].as_str().unwrap_or_else(|| panic!("{tokens}")))
}

async fn audit(server: &TestServer, action: &str) -> Vec<Value> {
    server.admin().await.get(&format!("/audit-logs?action={action}")).await.body.as_array().cloned().unwrap_or_default()
}

async fn run(backends: Backends) {
    let Some(server) = TestServer::start(backends).await else { return };
    let app = server.app("planner", AppType::Spa, false, &[REDIRECT]).await;
    let ada = server.user("ada").await;

    // Discovery names the two acr values.
    let discovery: Value = reqwest::get(format!("{}/.well-known/openid-configuration", server.issuer))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["acr_values_supported"], json!(["urn:latch:acr:pwd", "urn:latch:acr:mfa"]));

    // A password alone: amr pwd.
    let (browser, step) = password_step(&server, &app, "ada", "").await;
    let claims = id_token_of(&server, &app, step).await;
    assert_eq!((claims["amr"].clone(), claims["acr"].clone()), (json!(["pwd"]), json!("urn:latch:acr:pwd")));

    // Enrolment on the account page: a QR code and the key; a wrong code refused.
    let account = browser.open(&server.url("/account")).await.page();
    assert!(words(&account).contains("Two-step verification Off."), "{}", account.text());
    let token = csrf(&account);
    let enrol = post(&browser, &server, &token, "/account/mfa/totp", &[("action", "start")]).await;
    assert_eq!(enrol.status, 200, "{}", enrol.html);
    assert!(enrol.html.contains("src=\"data:image/svg+xml;base64,"), "a QR code: {}", enrol.html);
    let secret = key_on(&enrol);
    assert_eq!(secret.len(), 20, "160 bits");
    let code = code_now(&server, &secret);
    let refused = post(
        &browser,
        &server,
        &token,
        "/account/mfa/totp",
        &[("action", "enrol"), ("code", wrong(&code)), ("current", PASSWORD)],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.html);
    assert_eq!(key_on(&refused), secret, "the same key until it is confirmed");
    // A session alone does not add a factor: the current password comes with the first code.
    let bare = post(&browser, &server, &token, "/account/mfa/totp", &[("action", "enrol"), ("code", &code)]).await;
    assert_eq!(bare.status, 401, "{}", bare.html);
    let done = post(
        &browser,
        &server,
        &token,
        "/account/mfa/totp",
        &[("action", "enrol"), ("code", &code), ("current", PASSWORD)],
    )
    .await;
    assert_eq!(done.status, 200, "{}", done.html);
    let recovery = recovery_codes_on(&done);
    assert_eq!(recovery.len(), 10, "{}", done.html);
    let factors = server.repos.list_user_factors(&ada.id).await.unwrap();
    assert_eq!(factors.len(), 1);
    assert!(!factors[0].secret.contains(&crate::mfa::b32(&secret)), "the secret is sealed at rest");
    assert_eq!(server.repos.count_recovery_codes(&ada.id).await.unwrap(), 10);
    let enrolled = audit(&server, "user.mfa.enrol").await;
    assert_eq!(enrolled[0]["actor"], format!("user:{}", ada.id), "{enrolled:?}");
    // The same confirmation again enrols nothing more: the pending secret is taken.
    let again = post(
        &browser,
        &server,
        &token,
        "/account/mfa/totp",
        &[("action", "enrol"), ("code", &code), ("current", PASSWORD)],
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.html);
    assert_eq!(server.repos.list_user_factors(&ada.id).await.unwrap().len(), 1);

    // Signing in now asks for a code after the password. The code used to enrol is spent.
    let (other, factor) = to_second_step(&server, &app, "ada").await;
    assert!(factor.html.contains("autocomplete=\"one-time-code\""));
    let replayed = other.submit(&factor, &[("code", &code)], Some(("action", "verify"))).await.page();
    assert_eq!(replayed.status, 422, "a used step is refused: {}", replayed.html);
    assert!(words(&replayed).contains("already used"), "{}", replayed.text());
    server.clock.advance(30);
    let fresh = code_now(&server, &secret);
    let step = other.submit(&replayed, &[("code", &fresh)], Some(("action", "verify"))).await;
    let claims = id_token_of(&server, &app, step).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    assert_eq!(claims["acr"], "urn:latch:acr:mfa");
    let used = audit(&server, "security.mfa.succeeded").await;
    assert_eq!(used[0]["details"]["method"], "totp", "{used:?}");
    let failed = audit(&server, "security.mfa.failed").await;
    assert_eq!(failed[0]["details"]["reason"], "wrong", "{failed:?}");
    // The same code in another sign-in within its step: refused.
    let (third, factor) = to_second_step(&server, &app, "ada").await;
    let refused = third.submit(&factor, &[("code", &fresh)], Some(("action", "verify"))).await.page();
    assert_eq!(refused.status, 422);

    // A recovery code signs in once; the account page counts what is left.
    let step = third.submit(&refused, &[("code", &recovery[0].to_uppercase())], Some(("action", "verify"))).await;
    let claims = id_token_of(&server, &app, step).await;
    assert_eq!(claims["amr"], json!(["pwd", "otp", "mfa"]));
    let (fourth, factor) = to_second_step(&server, &app, "ada").await;
    let refused = fourth.submit(&factor, &[("code", &recovery[0])], Some(("action", "verify"))).await.page();
    assert_eq!(refused.status, 422, "a recovery code works once");
    let page = third.open(&server.url("/account")).await.page();
    assert!(words(&page).contains("Recovery codes left: 9"), "{}", page.text());
    let used = audit(&server, "security.mfa.succeeded").await;
    assert_eq!(used[0]["details"]["method"], "recovery_code", "{used:?}");

    // New recovery codes need the current password, and replace the old ones.
    let token = csrf(&page);
    let denied = post(&third, &server, &token, "/account/mfa", &[("action", "recovery"), ("current", "nope")]).await;
    assert_eq!(denied.status, 401, "{}", denied.html);
    let renewed = post(&third, &server, &token, "/account/mfa", &[("action", "recovery"), ("current", PASSWORD)]).await;
    let renewed = recovery_codes_on(&renewed);
    assert_eq!(renewed.len(), 10);
    let old = fourth.submit(&refused, &[("code", &recovery[1])], Some(("action", "verify"))).await.page();
    assert_eq!(old.status, 422, "the old codes stopped working");

    // Five wrong codes end the sign-in.
    let mut page = old;
    for _ in 2..5 {
        page = fourth.submit(&page, &[("code", wrong(&fresh))], Some(("action", "verify"))).await.page();
        assert_eq!(page.status, 422);
    }
    let ended = fourth.submit(&page, &[("code", &code_now(&server, &secret))], Some(("action", "verify"))).await.page();
    assert_eq!(ended.status, 429, "{}", ended.html);
    assert!(words(&ended).contains("Too many wrong codes"), "{}", ended.text());
    let failed = audit(&server, "security.mfa.failed").await;
    assert_eq!(failed[0]["details"]["reason"], "too_many_tries", "{failed:?}");

    policies(&server, &app).await;
    step_up(&server, &app).await;
    refreshed_id_tokens_keep_the_amr(&server, &app, &secret).await;
    removing(&server, &app, &secret).await;
    account_limit(&server, &app).await;
}

/// Sets the sign-in experience's MFA policy.
async fn set_policy(server: &TestServer, policy: &str) {
    let admin = server.admin().await;
    let mut experience = admin.get("/sign-in-experience").await.body;
    experience["mfa"] = json!(policy);
    let put = admin.put("/sign-in-experience", experience).await;
    assert_eq!((put.status, put.body["mfa"].as_str()), (200, Some(policy)), "{}", put.body);
}

/// Enrols at sign-in from `page` (the enrolment page), then goes on: the app's code.
async fn enrol_at_sign_in(server: &TestServer, browser: &Browser, page: &Page) -> Step {
    assert!(page.url.contains("/sign-in/factor"), "{}", page.url);
    assert!(words(page).contains("This account needs a second step"), "{}", page.text());
    let secret = key_on(page);
    let codes = browser.submit(page, &[("code", &code_now(server, &secret))], Some(("action", "enrol"))).await.page();
    assert_eq!(recovery_codes_on(&codes).len(), 10, "{}", codes.html);
    browser.submit(&codes, &[], Some(("action", "continue"))).await
}

async fn policies(server: &TestServer, app: &TestClient) {
    let bob = server.user("bob").await;
    // Required for everyone: Bob, without a factor, sets one up before his session.
    set_policy(server, "required").await;
    let (browser, enrol) = password_step(server, app, "bob", "").await;
    let enrol = enrol.page();
    let claims = id_token_of(server, app, enrol_at_sign_in(server, &browser, &enrol).await).await;
    assert_eq!(claims["acr"], "urn:latch:acr:mfa");
    assert_eq!(server.repos.list_user_factors(&bob.id).await.unwrap().len(), 1);
    // A session from before the policy (password only) signs in again.
    let carol = server.user("carol").await;
    set_policy(server, "optional").await;
    let (browser, first) = password_step(server, app, "carol", "").await;
    first.client();
    set_policy(server, "required").await;
    let again = browser.open(&sign_in_url(server, app, "")).await.page();
    assert!(again.url.contains("/sign-in/factor"), "only the missing factor, set up first: {}", again.url);
    assert!(words(&again).contains("This account needs a second step"), "{}", again.text());

    // Admins only: Carol is no admin and goes straight on; once she holds the admin role she
    // enrols at her next sign-in.
    set_policy(server, "admins").await;
    let (_, consented) = password_step(server, app, "carol", "").await;
    consented.client();
    let admin = server.admin().await;
    let roles = admin.get("/roles").await.body;
    let role = roles.as_array().unwrap().iter().find(|r| r["name"] == "admin").expect("the admin role");
    let granted = admin.post(&format!("/users/{}/roles", carol.id), json!({"roleIds": [role["id"]]})).await;
    assert_eq!(granted.status, 201, "{}", granted.body);
    let (browser, enrol) = password_step(server, app, "carol", "").await;
    enrol_at_sign_in(server, &browser, &enrol.page()).await.client();
    set_policy(server, "optional").await;
}

async fn step_up(server: &TestServer, app: &TestClient) {
    server.user("dan").await;
    let (browser, first) = password_step(server, app, "dan", "").await;
    first.client();
    let mfa = "&acr_values=urn%3Alatch%3Aacr%3Amfa";
    // prompt=none cannot step up: login_required, back at the app.
    let (_, params) = browser.open(&sign_in_url(server, app, &format!("{mfa}&prompt=none"))).await.client();
    assert_eq!(params["error"], "login_required", "{params:?}");
    // Asked for a second factor, the password-only session is asked for that alone (its
    // password stands), and Dan, who has none, sets one up.
    let enrol = browser.open(&sign_in_url(server, app, mfa)).await.page();
    assert!(enrol.url.contains("/sign-in/factor"), "no password again: {}", enrol.url);
    let claims = id_token_of(server, app, enrol_at_sign_in(server, &browser, &enrol).await).await;
    assert_eq!(claims["acr"], "urn:latch:acr:mfa");
    // The session now has a second factor: the next such request answers at once.
    let (_, params) = browser.open(&sign_in_url(server, app, &format!("{mfa}&prompt=none"))).await.client();
    assert!(params.contains_key("code"), "{params:?}");
    let dan = server.repos.find_user_by_login("dan").await.unwrap().unwrap();
    assert_eq!(
        server.repos.list_user_sessions(&dan.id).await.unwrap().len(),
        1,
        "the stepped-up session replaced the old"
    );

    // Erin signed in with her password before she had an authenticator app: asked for a second
    // factor, she enters a code of it, and nothing else.
    let erin = server.user("erin").await;
    let (browser, first) = password_step(server, app, "erin", "").await;
    first.client();
    let secret = latch_oidc::mfa::new_totp_secret(server.core.random.as_ref());
    let sealed = latch_oidc::mfa::seal_totp_secret(&server.core.mfa_key(), &erin.id, &secret).unwrap();
    let factor = latch_domain::entities::MfaFactor {
        id: latch_domain::ids::FactorId::from("f-erin"),
        user_id: erin.id.clone(),
        kind: latch_domain::entities::FactorKind::Totp,
        name: "Phone".into(),
        secret: sealed,
        last_used_step: None,
        created_at: server.core.clock.now(),
        last_used_at: None,
        credential_id: None,
    };
    server.repos.commit(vec![latch_domain::repo::Write::InsertFactor(factor)]).await.unwrap();
    let code_page = browser.open(&sign_in_url(server, app, mfa)).await.page();
    assert!(code_page.url.contains("/sign-in/factor"), "{}", code_page.url);
    assert!(code_page.html.contains("autocomplete=\"one-time-code\""), "the code form, not a set-up");
    // A step-up ends with the session it adds to: signed out everywhere meanwhile, the code
    // signs nobody in.
    let ended = server.admin().await.delete(&format!("/users/{}/sessions", erin.id)).await;
    assert_eq!(ended.status, 204, "{}", ended.body);
    let fields = [("code", code_now(server, &secret))];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let refused = browser.submit(&code_page, &fields, Some(("action", "verify"))).await.page();
    assert_eq!(refused.status, 400, "{}", refused.html);
    assert!(server.repos.list_user_sessions(&erin.id).await.unwrap().is_empty());
    // Gus's step-up keeps his password's time: a second factor makes the first no fresher.
    let gus = server.user("gus").await;
    let (browser, first) = password_step(server, app, "gus", "").await;
    first.client();
    let signed_in_at = server.repos.list_user_sessions(&gus.id).await.unwrap()[0].auth_time;
    let sealed = latch_oidc::mfa::seal_totp_secret(&server.core.mfa_key(), &gus.id, &secret).unwrap();
    let factor = latch_domain::entities::MfaFactor {
        id: latch_domain::ids::FactorId::from("f-gus"),
        user_id: gus.id.clone(),
        secret: sealed,
        ..server.repos.list_user_factors(&erin.id).await.unwrap()[0].clone()
    };
    server.repos.commit(vec![latch_domain::repo::Write::InsertFactor(factor)]).await.unwrap();
    server.clock.advance(60);
    let code_page = browser.open(&sign_in_url(server, app, mfa)).await.page();
    let step = browser.submit(&code_page, &[("code", &code_now(server, &secret))], Some(("action", "verify"))).await;
    let claims = id_token_of(server, app, step).await;
    assert_eq!(
        (claims["amr"].clone(), claims["acr"].clone()),
        (json!(["pwd", "otp", "mfa"]), json!("urn:latch:acr:mfa"))
    );
    assert_eq!(claims["auth_time"], signed_in_at.0, "a second factor does not make the password fresher");
}

async fn refreshed_id_tokens_keep_the_amr(server: &TestServer, app: &TestClient, secret: &[u8]) {
    let url = format!(
        "{}&code_challenge={CHALLENGE}&code_challenge_method=S256",
        crate::oidc_flows::authorize_url(server, app, "openid offline_access")
    );
    let browser = Browser::new(&server.base);
    let sign_in = browser.open(&url).await.page();
    let factor = browser.sign_in(&sign_in, "ada", PASSWORD).await.page();
    server.clock.advance(30);
    let (_, params) =
        browser.submit(&factor, &[("code", &code_now(server, secret))], Some(("action", "verify"))).await.client();
    let first = tokens(server, app, &params["code"]).await;
    let refresh = first["refresh_token"].as_str().unwrap_or_else(|| panic!("{first}"));
    let refreshed: Value = crate::oidc_flows::http()
        .post(format!("{}/token", server.issuer))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh), ("client_id", app.id.as_str())])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let claims =
        crate::registration::jwt_claims(refreshed["id_token"].as_str().unwrap_or_else(|| panic!("{refreshed}")));
    assert_eq!(
        (claims["amr"].clone(), claims["acr"].clone()),
        (json!(["pwd", "otp", "mfa"]), json!("urn:latch:acr:mfa"))
    );
}

async fn removing(server: &TestServer, app: &TestClient, secret: &[u8]) {
    let ada = server.repos.find_user_by_login("ada").await.unwrap().unwrap();
    let (browser, factor) = to_second_step(server, app, "ada").await;
    server.clock.advance(30);
    browser.submit(&factor, &[("code", &code_now(server, secret))], Some(("action", "verify"))).await.client();
    let page = browser.open(&server.url("/account")).await.page();
    let token = csrf(&page);
    let id = server.repos.list_user_factors(&ada.id).await.unwrap()[0].id.to_string();
    let action = format!("remove:{id}");
    let denied = post(&browser, server, &token, "/account/mfa", &[("action", &action), ("current", "nope")]).await;
    assert_eq!(denied.status, 401);
    let other =
        post(&browser, server, &token, "/account/mfa", &[("action", "remove:someone-else"), ("current", PASSWORD)])
            .await;
    assert_eq!(other.status, 404, "{}", other.html);
    let removed = post(&browser, server, &token, "/account/mfa", &[("action", &action), ("current", PASSWORD)]).await;
    assert_eq!(removed.status, 200, "{}", removed.html);
    assert!(words(&removed).contains("Two-step verification Off."), "{}", removed.text());
    assert!(server.repos.list_user_factors(&ada.id).await.unwrap().is_empty());
    assert_eq!(server.repos.count_recovery_codes(&ada.id).await.unwrap(), 0, "the recovery codes went with it");
    assert_eq!(audit(server, "user.mfa.remove").await[0]["details"]["factorsLeft"], 0);
    // A password is enough again.
    let (_, next) = password_step(server, app, "ada", "").await;
    next.client();
}

async fn account_limit(server: &TestServer, app: &TestClient) {
    // Bob enrolled under the required policy; ten wrong codes in an hour, over several
    // sign-ins, hold even the right code back.
    let bob = server.repos.find_user_by_login("bob").await.unwrap().unwrap();
    let mut refused = 0;
    let mut last = None;
    while refused < 10 {
        let (browser, mut page) = to_second_step(server, app, "bob").await;
        for _ in 0..4 {
            page = browser.submit(&page, &[("code", "000000")], Some(("action", "verify"))).await.page();
            if page.status == 422 {
                refused += 1;
            }
        }
        last = Some((browser, page));
    }
    let (browser, page) = last.unwrap();
    let held = browser.submit(&page, &[("code", "123456")], Some(("action", "verify"))).await.page();
    assert_eq!(held.status, 429, "{}", held.html);
    assert!(words(&held).contains("Too many wrong codes were entered for this account"), "{}", held.text());
    let failed = audit(server, "security.mfa.failed").await;
    assert_eq!(failed[0]["details"]["reason"], "limited", "{failed:?}");
    assert_eq!(failed[0]["actor"], format!("user:{}", bob.id));
    // An operator's unlock clears the hour: Bob's right code signs him in again.
    let unlocked = server.admin().await.delete(&format!("/users/{}/sign-in-failures", bob.id)).await;
    assert_eq!(unlocked.status, 204, "{}", unlocked.body);
    let factor = &server.repos.list_user_factors(&bob.id).await.unwrap()[0];
    let secret = latch_oidc::mfa::open_totp_secret(&server.core.mfa_key(), &bob.id, &factor.secret).unwrap();
    server.clock.advance(30);
    let (browser, page) = to_second_step(server, app, "bob").await;
    browser.submit(&page, &[("code", &code_now(server, &secret))], Some(("action", "verify"))).await.client();
}

/// `bytes` in base32, as the page shows a key (without its spaces).
pub(crate) fn b32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut out, mut bits, mut value) = (String::new(), 0u32, 0u64);
    for b in bytes {
        value = (value << 8) | u64::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((value >> bits) & 31) as usize]));
        }
    }
    out
}
