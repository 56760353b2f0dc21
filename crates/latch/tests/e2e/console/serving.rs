//! How `latch serve` hands out the console.

use super::console_dir;
use crate::harness::{Backends, TestServer};

/// How `latch serve` hands out the console: every console page is `index.html`, never cached
/// and under its own CSP; hashed assets are cached for good with the right types; HEAD works;
/// nothing outside the assets folder is reachable; `/` leads to the console.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_is_served_with_the_right_types_and_caching() {
    let Some(dir) = console_dir() else { return };
    let server = TestServer::start_with(Backends::Embedded, |c| c.console_dir = Some(dir)).await.unwrap();
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let root = http.get(format!("{}/", server.base)).send().await.unwrap();
    assert_eq!((root.status().as_u16(), root.headers()["location"].to_str().unwrap()), (302, "/console"));
    let page = http.get(format!("{}/console/applications/some-app?tab=branding", server.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let csp = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"), "{csp}");
    let html = page.text().await.unwrap();
    let name = |ext: &str| {
        let end = html.find(&format!(".{ext}\"")).unwrap_or_else(|| panic!("no .{ext} in {html}"));
        let start = html[..end].rfind('/').unwrap() + 1;
        html[start..end + ext.len() + 1].to_owned()
    };
    for (file, kind) in [(name("wasm"), "application/wasm"), (name("css"), "text/css")] {
        for head in [false, true] {
            let url = format!("{}/console/assets/{file}", server.base);
            let res = if head { http.head(&url) } else { http.get(&url) }.send().await.unwrap();
            assert_eq!(res.status(), 200, "{} {file}", if head { "HEAD" } else { "GET" });
            assert!(res.headers()["content-type"].to_str().unwrap().starts_with(kind), "{file}");
            assert_eq!(res.headers()["cache-control"], "public, max-age=31536000, immutable");
        }
    }
    assert_eq!(http.head(format!("{}/console", server.base)).send().await.unwrap().status(), 200);
    for path in ["/console/assets/..%2Findex.html", "/console/assets/.hidden", "/console/assets/nope.js"] {
        assert_eq!(http.get(format!("{}{path}", server.base)).send().await.unwrap().status(), 404, "{path}");
    }
    // The IdP's preview route under /console is still the IdP's.
    let preview = http.get(format!("{}/console/preview/consent?app=x", server.base)).send().await.unwrap();
    assert_eq!(preview.status(), 401);

    // Without a built console, a page says how to get one.
    let bare = TestServer::start(Backends::Embedded).await.unwrap();
    let missing = http.get(format!("{}/console", bare.base)).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("cargo xtask console"));
}
