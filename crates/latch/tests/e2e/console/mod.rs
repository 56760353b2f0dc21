//! The operator console in a real headless Chromium (Debian `chromium` + `chromium-driver`,
//! driven over WebDriver): sign-in with PKCE as the first-party `console` client, creating a
//! third-party app, its settings with errors at their field, secrets shown once, sign-out.
//! The console is the one `cargo xtask test` builds (`LATCH_TEST_CONSOLE_DIR`). Screenshots of
//! each page go to `target/console-screens/`.

mod applications;
mod directory;
mod end_user_pages;
mod passkeys;
mod quality;
mod serving;

use crate::harness::{Backends, TestServer};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use thirtyfour::prelude::*;

const PASSWORD: &str = "correct horse battery staple";

/// A chromedriver process and a headless browser session on it; both end on drop.
struct Chrome {
    driver: Option<WebDriver>,
    process: Child,
}

impl Drop for Chrome {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl Chrome {
    async fn start() -> Option<Chrome> {
        let Some(path) = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
        else {
            latch_testing::skipped("chromium-driver (apt install chromium chromium-driver)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
        let process = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let url = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{url}/status")).send().await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("profile dir").keep();
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary("/usr/bin/chromium").unwrap();
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1440,1000",
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.display())).unwrap();
        let driver = WebDriver::new(&url, caps).await.expect("a chromium session");
        Some(Chrome { driver: Some(driver), process })
    }

    fn d(&self) -> &WebDriver {
        self.driver.as_ref().expect("driver")
    }

    async fn quit(mut self) {
        if let Some(d) = self.driver.take() {
            let _ = d.quit().await;
        }
    }

    /// The first element matching `css`, waiting for it to appear.
    async fn find(&self, css: &str) -> WebElement {
        self.d()
            .query(By::Css(css))
            .wait(Duration::from_secs(20), Duration::from_millis(100))
            .first()
            .await
            .unwrap_or_else(|e| panic!("no `{css}`: {e}"))
    }

    /// Waits until an element matching `css` holds `text` (the page may change meanwhile).
    async fn until_text(&self, css: &str, text: &str) -> WebElement {
        for _ in 0..200 {
            if let Ok(found) = self.d().find_all(By::Css(css)).await {
                for el in found {
                    if el.text().await.is_ok_and(|t| t.contains(text)) {
                        return el;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let body = self.d().find(By::Css("body")).await.ok();
        let seen = match body {
            Some(b) => b.text().await.unwrap_or_default(),
            None => String::new(),
        };
        panic!("no `{css}` with “{text}” on {}: {seen}", self.path().await)
    }

    async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.unwrap();
        el.send_keys(text).await.unwrap();
    }

    async fn screenshot(&self, name: &str) {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/console-screens");
        std::fs::create_dir_all(&dir).unwrap();
        let png = self.d().screenshot_as_png().await.unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    async fn path(&self) -> String {
        self.d().current_url().await.unwrap().path().to_owned()
    }

    /// Errors the page logged (the console must log none).
    async fn console_errors(&self) -> Vec<String> {
        let logs = self.d().execute("return (window.__latchErrors || [])", Vec::new()).await.unwrap();
        logs.convert().unwrap_or_default()
    }
}

fn console_dir() -> Option<PathBuf> {
    let dir = std::env::var("LATCH_TEST_CONSOLE_DIR").ok().filter(|d| !d.is_empty()).map(PathBuf::from);
    if dir.is_none() {
        latch_testing::skipped("LATCH_TEST_CONSOLE_DIR (cargo xtask test builds the console)");
    }
    dir
}

async fn start() -> Option<(TestServer, Chrome)> {
    let dir = console_dir()?;
    let server = TestServer::start_with(Backends::Embedded, |c| c.console_dir = Some(dir)).await?;
    let chrome = Chrome::start().await?;
    Some((server, chrome))
}

async fn sign_in(chrome: &Chrome, server: &TestServer) {
    chrome.d().goto(&format!("{}/console", server.base)).await.unwrap();
    chrome.find("#identifier").await.send_keys("admin").await.unwrap();
    chrome.find("#password").await.send_keys(PASSWORD).await.unwrap();
    chrome.find("button[type=submit]").await.click().await.unwrap();
    chrome.until_text("h1", "Applications").await;
}
