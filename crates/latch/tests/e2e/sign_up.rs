//! Issue 15, sign-up: off until the sign-in experience turns it on; then the sign-in page links
//! to a sign-up page that keeps the authorization request, refuses what the rules refuse in the
//! reader's words, says when a name is taken and nothing more, creates the account (audited as
//! the user's own act) and signs the new user in on the way back to the app. On both backends.

use crate::browser::{Browser, Page};
use crate::harness::{PASSWORD, TestClient, TestServer};
use crate::oidc_flows::authorize_url;
use crate::on_both_backends;
use latch_domain::entities::AppType;
use serde_json::json;

on_both_backends!(sign_up_is_off_until_an_operator_turns_it_on, people_sign_up_with_email_or_username,);

const PKCE: &str = "&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256";

/// The first-party app people sign up from.
async fn planner(server: &TestServer) -> TestClient {
    server.app("planner", AppType::Spa, false, &["https://planner.example.com/cb"]).await
}

/// The sign-in page of a fresh authorization request from `browser`.
async fn sign_in_page(server: &TestServer, browser: &Browser, client: &TestClient) -> Page {
    let page = browser.open(&format!("{}{PKCE}", authorize_url(server, client, "openid email profile"))).await.page();
    assert!(page.url.contains("/sign-in"), "{}", page.url);
    page
}

/// The href of the link whose text contains `text`.
fn link(page: &Page, text: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(&page.html);
    let a = scraper::Selector::parse("a").unwrap();
    doc.select(&a)
        .find(|e| e.text().collect::<String>().contains(text))
        .and_then(|e| e.value().attr("href").map(str::to_owned))
}

async fn set_sign_up(server: &TestServer, mode: &str) {
    let put = server.admin().await.put("/sign-in-experience", json!({"signUp": mode})).await;
    assert_eq!((put.status, put.body["signUp"].as_str()), (200, Some(mode)), "{}", put.body);
}

async fn sign_up_is_off_until_an_operator_turns_it_on(server: &TestServer) {
    let client = planner(server).await;
    let browser = Browser::new(&server.base);
    let page = sign_in_page(server, &browser, &client).await;
    assert!(link(&page, "Create one").is_none(), "no sign-up link while it is off");
    let interaction = page.url.split("interaction=").nth(1).unwrap().to_owned();
    let off = browser.open(&format!("{}/sign-up?interaction={interaction}", server.base)).await.page();
    assert_eq!(off.status, 404, "{}", off.html);
    let posted = browser
        .http()
        .post(format!("{}/sign-up", server.base))
        .form(&[("interaction", interaction.as_str()), ("csrf", "x"), ("identifier", "eve@example.com")])
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 404);
    assert_eq!(server.admin().await.get("/sign-in-experience").await.body["signUp"], "off");
}

async fn people_sign_up_with_email_or_username(server: &TestServer) {
    server.user("ada").await;
    let client = planner(server).await;
    set_sign_up(server, "email").await;
    let browser = Browser::new(&server.base);
    let page = sign_in_page(server, &browser, &client).await;
    let href = link(&page, "Create one").expect("a sign-up link");
    let form = browser.open(&href).await.page();
    assert_eq!(form.status, 200, "{}", form.html);
    assert!(form.html.contains("type=\"email\"") && form.html.contains("autocomplete=\"new-password\""));

    // Refusals, each in words, with what was typed kept (never the password).
    let cases = [
        ("not-an-email", "a long enough passphrase", 422, "Enter an email address"),
        ("eve@example.com", "short", 422, "at least 8 characters"),
        ("eve@example.com", "password", 422, "most common"),
        ("ada@example.com", "a long enough passphrase", 409, "already has an account"),
        ("ADA@example.com", "a long enough passphrase", 409, "already has an account"),
    ];
    let mut current = form;
    for (identifier, password, status, words) in cases {
        let again = browser.submit(&current, &[("identifier", identifier), ("password", password)], None).await.page();
        assert_eq!(again.status, status, "{identifier}: {}", again.html);
        assert!(again.text().contains(words), "{identifier}: {}", again.text());
        assert!(again.html.contains(&format!("value=\"{identifier}\"")), "kept: {}", again.html);
        assert!(!again.html.contains(password) || password == "password", "the password is not echoed");
        current = again;
    }
    // A good one: the account exists, the user is signed in, and the app gets its code.
    let (url, params) = browser
        .submit(&current, &[("identifier", "eve@example.com"), ("name", "Eve Example"), ("password", PASSWORD)], None)
        .await
        .client();
    assert_eq!(url.host_str(), Some("planner.example.com"));
    assert!(params.contains_key("code"), "{params:?}");
    let eve = server.repos.find_user_by_login("eve@example.com").await.unwrap().expect("created");
    assert_eq!(eve.name.as_deref(), Some("Eve Example"));
    assert!(eve.username.is_none() && !eve.email_verified, "{eve:?}");
    let audit = server.admin().await.get("/audit-logs?action=user.sign_up").await;
    let entry = &audit.body.as_array().unwrap()[0];
    assert_eq!(
        (entry["actor"].as_str(), entry["targetId"].as_str()),
        (Some(format!("user:{}", eve.id).as_str()), Some(eve.id.as_str()))
    );
    assert!(server.admin().await.get(&format!("/users/{}", eve.id)).await.body.get("passwordHash").is_none());
    // The new password signs in from another browser.
    let other = Browser::new(&server.base);
    let page = sign_in_page(server, &other, &client).await;
    let (_, params) = other.sign_in(&page, "eve@example.com", PASSWORD).await.client();
    assert!(params.contains_key("code"), "{params:?}");

    // Usernames instead: the form asks for one, and a taken one is said so.
    set_sign_up(server, "username").await;
    let fresh = Browser::new(&server.base);
    let page = sign_in_page(server, &fresh, &client).await;
    let form = fresh.open(&link(&page, "Create one").unwrap()).await.page();
    assert!(form.html.contains("autocomplete=\"username\""), "{}", form.html);
    let taken = fresh.submit(&form, &[("identifier", "ada"), ("password", PASSWORD)], None).await.page();
    assert_eq!(taken.status, 409);
    assert!(taken.text().contains("This username is taken"), "{}", taken.text());
    let at = fresh.submit(&taken, &[("identifier", "grace@home"), ("password", PASSWORD)], None).await.page();
    assert_eq!(at.status, 422);
    assert!(at.text().contains("without @"), "{}", at.text());
    let (_, params) = fresh.submit(&at, &[("identifier", "grace"), ("password", PASSWORD)], None).await.client();
    assert!(params.contains_key("code"));
    let grace = server.repos.find_user_by_login("grace").await.unwrap().expect("created");
    assert!(grace.primary_email.is_none());
    // In French, for a French reader.
    let fr = Browser::speaking(&server.base, "fr");
    let page = sign_in_page(server, &fr, &client).await;
    let form = fr.open(&link(&page, "Créez-en un").expect("the link in French")).await.page();
    assert!(form.text().contains("Créer votre compte"), "{}", form.text());
}

/// Accounts made from one address are limited per hour (`limits.sign_ups_per_hour`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_created_from_one_address_are_limited_per_hour() {
    let Some(server) =
        TestServer::start_with(crate::harness::Backends::Embedded, |c| c.limits.sign_ups_per_hour = 1).await
    else {
        return;
    };
    let client = planner(&server).await;
    set_sign_up(&server, "username").await;
    let mut made = Vec::new();
    for name in ["first", "second"] {
        let browser = Browser::new(&server.base);
        let page = sign_in_page(&server, &browser, &client).await;
        let form = browser.open(&link(&page, "Create one").unwrap()).await;
        made.push(browser.submit(&form.page(), &[("identifier", name), ("password", PASSWORD)], None).await);
    }
    assert!(matches!(made[0], crate::browser::Step::Client { .. }), "the first account is made");
    let crate::browser::Step::Page(refused) = &made[1] else { panic!("the second is refused") };
    assert_eq!(refused.status, 429, "{}", refused.html);
    assert!(server.repos.find_user_by_login("second").await.unwrap().is_none());
}
