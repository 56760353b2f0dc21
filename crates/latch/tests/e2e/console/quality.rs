//! What every page owes its operator: it fits a 375 px phone without sideways scrolling, the
//! keyboard reaches everything with a visible focus, every field is named by its visible
//! label and every tab list says which tab shows; and the session outlives its access
//! tokens: they are renewed before they expire, and a 401 leads through sign-in back to the
//! same page.

use super::{Chrome, PASSWORD, sign_in, start};
use thirtyfour::prelude::*;

async fn js<T: serde::de::DeserializeOwned>(chrome: &Chrome, script: &str) -> T {
    chrome.d().execute(script, Vec::new()).await.unwrap().convert().unwrap()
}

/// Loads a console page (the console signs in again silently: the Latch session holds).
async fn visit(chrome: &Chrome, base: &str, path: &str, heading: &str) {
    chrome.d().goto(&format!("{base}/console{path}")).await.unwrap();
    chrome.until_text("h1", heading).await;
}

/// The form fields on the page whose accessible name is not a visible label of theirs.
async fn unlabelled_fields(chrome: &Chrome) -> Vec<String> {
    js(
        chrome,
        r#"return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(el => {
                const label = [...(el.labels || [])].map(l => l.textContent.trim()).find(t => t.length > 0);
                return !label || label.length === 0 || el.closest('[hidden]');
            })
            .map(el => el.outerHTML.slice(0, 120));"#,
    )
    .await
}

/// Tab lists without exactly one selected tab, or tabs without `aria-selected`.
async fn unclear_tab_lists(chrome: &Chrome) -> Vec<String> {
    js(
        chrome,
        r#"return [...document.querySelectorAll('[role=tablist]')]
            .filter(list => {
                const tabs = [...list.querySelectorAll('[role=tab]')];
                return tabs.some(t => !['true', 'false'].includes(t.getAttribute('aria-selected')))
                    || tabs.filter(t => t.getAttribute('aria-selected') === 'true').length !== 1;
            })
            .map(list => list.outerHTML.slice(0, 200));"#,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_fits_a_phone_and_works_from_the_keyboard_with_labelled_fields() {
    let Some((server, chrome)) = start().await else { return };
    server.app("phone-app", latch_domain::entities::AppType::MachineToMachine, false, &[]).await;
    sign_in(&chrome, &server).await;

    // The keyboard: the first Tab shows the skip link, then the sections, each with a visible
    // focus ring.
    let _: serde_json::Value =
        js(&chrome, "document.activeElement && document.activeElement.blur(); return null;").await;
    let mut focused = Vec::new();
    for _ in 0..4 {
        chrome.d().action_chain().send_keys(Key::Tab).perform().await.unwrap();
        let (text, outline): (String, String) = js(
            &chrome,
            "const el = document.activeElement; const s = getComputedStyle(el); \
             return [el.textContent.trim(), s.outlineStyle + ' ' + s.outlineWidth];",
        )
        .await;
        assert_eq!(outline, "solid 3px", "a visible focus on “{text}”");
        focused.push(text);
    }
    assert_eq!(focused, ["Skip to content", "Latch console", "Applications", "API resources"]);
    chrome.d().action_chain().send_keys(Key::Enter).perform().await.unwrap();
    chrome.until_text("h1", "API resources").await;

    // Names and states, on pages with forms open.
    let pages = [
        ("/applications", "Applications", Some("Create application")),
        ("/applications/phone-app?tab=roles", "App phone-app", None),
        ("/users", "Users", Some("Create user")),
        ("/resources", "API resources", Some("Create API resource")),
        ("/roles", "Roles", Some("Create role")),
        ("/organizations", "Organizations", Some("Create organization")),
        ("/organization-template?tab=roles", "Organization template", None),
        ("/signing-keys", "Signing keys", Some("Rotate keys")),
        ("/audit-log", "Audit log", None),
    ];
    for (path, heading, button) in pages {
        visit(&chrome, &server.base, path, heading).await;
        if let Some(button) = button {
            chrome.until_text("button", button).await.click().await.unwrap();
        }
        chrome.find("footer, main section, main .card").await;
        assert_eq!(unlabelled_fields(&chrome).await, Vec::<String>::new(), "on {path}");
        assert_eq!(unclear_tab_lists(&chrome).await, Vec::<String>::new(), "on {path}");
    }

    // A phone: no page scrolls sideways.
    chrome.d().set_window_rect(0, 0, 375, 812).await.unwrap();
    for (path, heading, _) in pages {
        visit(&chrome, &server.base, path, heading).await;
        chrome.find("main .card").await;
        let (scroll, client): (i64, i64) =
            js(&chrome, "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];").await;
        assert!(scroll <= client, "{path} is {scroll} px wide on a {client} px screen");
        if path == "/applications" || path == "/users" {
            chrome.screenshot(&format!("phone{}", path.replace('/', "-"))).await;
        }
    }
    assert!(chrome.console_errors().await.is_empty(), "{:?}", chrome.console_errors().await);
    chrome.quit().await;
}

/// Requests the page made to `part` (Resource Timing records every fetch), with their status.
async fn requests(chrome: &Chrome, part: &str) -> Vec<(String, i64)> {
    js(
        chrome,
        &format!(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('{part}'))\
             .map(e => [e.name, e.responseStatus || 0]);"
        ),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_are_renewed_before_they_expire_and_a_401_leads_back_through_sign_in() {
    let Some((server, chrome)) = start().await else { return };
    // Console access tokens live 65 s: the console renews them 60 s early.
    let mut admin = server.repos.get_resource_by_indicator("urn:latch:api:admin").await.unwrap().expect("admin API");
    admin.access_token_ttl = 65;
    server.repos.update_resource(&admin).await.unwrap();
    sign_in(&chrome, &server).await;
    chrome.d().execute("performance.setResourceTimingBufferSize(10000); return null;", Vec::new()).await.unwrap();
    let mut renewed = false;
    for _ in 0..150 {
        if requests(&chrome, "/oidc/token").await.len() >= 2 {
            renewed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(renewed, "a refresh-token request within 15 s: {:?}", requests(&chrome, "/oidc/token").await);
    // The first access token has expired on the server's clock, the renewed one has not: the
    // console goes on with no 401.
    server.clock.advance(61);
    chrome.until_text("nav[aria-label=Sections] a", "Users").await.click().await.unwrap();
    chrome.until_text("table.list a", "Administrator").await;
    let refused: Vec<_> = requests(&chrome, "/api/").await.into_iter().filter(|(_, s)| *s == 401).collect();
    assert!(refused.is_empty(), "{refused:?}");

    // Thirty days on, the tokens and the Latch session are gone: the next call is refused, the
    // console signs in again and comes back to the page the operator was on.
    chrome.until_text("nav[aria-label=Sections] a", "Roles").await.click().await.unwrap();
    chrome.until_text("h1", "Roles").await;
    server.clock.advance(30 * 24 * 3600);
    chrome.until_text("nav[aria-label=Sections] a", "Organizations").await.click().await.unwrap();
    chrome.find("#identifier").await.send_keys("admin").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.until_text("h1", "Organizations").await;
    assert_eq!(chrome.path().await, "/console/organizations");
    assert!(chrome.console_errors().await.is_empty(), "{:?}", chrome.console_errors().await);
    chrome.quit().await;
}
