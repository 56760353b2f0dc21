//! A small HTML form driver that plays the browser: a cookie jar, no automatic redirects, and
//! an HTML parser to find and submit forms the way a person would.

use reqwest::redirect::Policy;
use scraper::{Html, Selector};
use std::collections::BTreeMap;
use url::Url;

/// The user agent the test browser names (the security audit trail records it).
pub const USER_AGENT: &str = "latch-e2e-browser/1.0";

pub struct Browser {
    client: reqwest::Client,
    base: Url,
}

/// A page the server rendered.
#[derive(Debug, Clone)]
pub struct Page {
    pub status: u16,
    pub url: String,
    pub html: String,
    pub headers: reqwest::header::HeaderMap,
}

/// Where a navigation ended.
#[derive(Debug, Clone)]
pub enum Step {
    /// A page of Latch's own.
    Page(Page),
    /// Latch sent the browser to the client (a redirect or a form_post) with these parameters.
    Client { url: Url, params: BTreeMap<String, String> },
}

impl Step {
    pub fn page(self) -> Page {
        match self {
            Step::Page(p) => p,
            Step::Client { url, .. } => panic!("expected a Latch page, was sent to the client at {url}"),
        }
    }

    pub fn client(self) -> (Url, BTreeMap<String, String>) {
        match self {
            Step::Client { url, params } => (url, params),
            Step::Page(p) => {
                panic!("expected a redirect to the client, got page {} ({}):\n{}", p.url, p.status, p.html)
            }
        }
    }
}

impl Page {
    pub fn text(&self) -> String {
        Html::parse_document(&self.html).root_element().text().collect::<Vec<_>>().join(" ")
    }

    /// The first form: its action and the values of its named inputs.
    pub fn form(&self) -> (String, Vec<(String, String)>) {
        let doc = Html::parse_document(&self.html);
        let form_sel = Selector::parse("form").expect("selector");
        let input_sel = Selector::parse("input[name]").expect("selector");
        let form = doc.select(&form_sel).next().unwrap_or_else(|| panic!("no form on {}:\n{}", self.url, self.html));
        let action = form.value().attr("action").unwrap_or("").to_owned();
        let fields = form
            .select(&input_sel)
            .map(|i| {
                (i.value().attr("name").unwrap_or("").to_owned(), i.value().attr("value").unwrap_or("").to_owned())
            })
            .collect();
        (action, fields)
    }
}

impl Browser {
    pub fn new(base: &str) -> Browser {
        Browser::over(base, reqwest::Client::builder())
    }

    /// A browser sending `Accept-Language: lang`.
    pub fn speaking(base: &str, lang: &str) -> Browser {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ACCEPT_LANGUAGE, lang.parse().expect("language"));
        Browser::over(base, reqwest::Client::builder().default_headers(headers))
    }

    /// A browser built on `client` (e.g. one trusting a test certificate).
    pub fn over(base: &str, client: reqwest::ClientBuilder) -> Browser {
        let client = client.cookie_store(true).redirect(Policy::none()).user_agent(USER_AGENT).build().expect("client");
        Browser { client, base: Url::parse(base).expect("base url") }
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.client
    }

    fn is_own(&self, url: &Url) -> bool {
        url.origin() == self.base.origin()
    }

    async fn settle(&self, mut res: reqwest::Response) -> Step {
        loop {
            let url = res.url().clone();
            if res.status().is_redirection() {
                let location = res.headers().get("location").and_then(|v| v.to_str().ok()).expect("location");
                let next = url.join(location).expect("absolute location");
                if !self.is_own(&next) {
                    let params = next.query_pairs().into_owned().collect();
                    return Step::Client { url: next, params };
                }
                res = self.client.get(next).send().await.expect("follow redirect");
                continue;
            }
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            let html = res.text().await.expect("body");
            let page = Page { status, url: url.to_string(), html, headers };
            // form_post: an auto-submitting form addressed to the client.
            if page.html.contains("id=\"response\"") {
                let (action, fields) = page.form();
                let target = Url::parse(&action).expect("form_post action");
                if !self.is_own(&target) {
                    return Step::Client { url: target, params: fields.into_iter().collect() };
                }
            }
            return Step::Page(page);
        }
    }

    /// GET `url` and follow Latch's own redirects.
    pub async fn open(&self, url: &str) -> Step {
        let res = self.client.get(url).send().await.expect("GET");
        self.settle(res).await
    }

    /// Submits the first form of `page` with its own hidden values, `fields` filled in, and
    /// the button `button` (name, value) pressed.
    pub async fn submit(&self, page: &Page, fields: &[(&str, &str)], button: Option<(&str, &str)>) -> Step {
        let (action, mut values) = page.form();
        for (k, v) in fields {
            values.retain(|(name, _)| name != k);
            values.push((k.to_string(), v.to_string()));
        }
        if let Some((k, v)) = button {
            values.push((k.to_owned(), v.to_owned()));
        }
        let target = Url::parse(&page.url).expect("page url").join(&action).expect("action");
        let res = self.client.post(target).form(&values).send().await.expect("POST");
        self.settle(res).await
    }

    /// Signs in on the sign-in page `page` as `username`.
    pub async fn sign_in(&self, page: &Page, username: &str, password: &str) -> Step {
        assert!(page.url.contains("/sign-in"), "not the sign-in page: {}", page.url);
        self.submit(page, &[("identifier", username), ("password", password)], None).await
    }

    /// Presses Authorize or Cancel on the consent page `page`.
    pub async fn consent(&self, page: &Page, authorize: bool) -> Step {
        assert!(page.url.contains("/consent"), "not the consent page: {}", page.url);
        self.submit(page, &[], Some(("decision", if authorize { "authorize" } else { "cancel" }))).await
    }

    /// Posts exactly `form` to the action of `page`'s form (no redirect followed) and returns the
    /// `code` of the redirect to the client.
    pub async fn post_for_code(&self, page: &Page, form: &[(String, String)]) -> String {
        let (action, _) = page.form();
        let target = Url::parse(&page.url).expect("page url").join(&action).expect("action");
        let res = self.client.post(target).form(form).send().await.expect("POST");
        let location = res.headers().get("location").and_then(|l| l.to_str().ok()).expect("a redirect");
        let location = Url::parse(location).expect("redirect url");
        location.query_pairs().find(|(k, _)| k == "code").map(|(_, v)| v.into_owned()).expect("a code")
    }
}
