//! Serves the operator console that `cargo xtask console` builds (`console/`): `index.html` for
//! `/console` and every page under it (the console routes in the browser), never cached, and
//! the content-hashed files under `/console/assets/` cached for a year. `/` goes to the console.
//! The console's own pages live in the browser; the IdP's `/console/preview/*` routes are
//! registered before these and win.

use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use std::path::PathBuf;

/// The built console's folder, if there is one.
#[derive(Clone, Debug)]
struct ConsoleDir(Option<PathBuf>);

/// What the console page may load: its own scripts, its WebAssembly, the API, and the consent
/// preview in a frame; nothing inline, and it may not be framed itself.
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; \
    img-src 'self' https: data:; connect-src 'self'; frame-src 'self'; frame-ancestors 'none'; \
    base-uri 'none'; form-action 'self'";

pub fn routes(dir: Option<PathBuf>) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg: &mut web::ServiceConfig| {
        // GET and HEAD (RFC 9110 §9.3.2) for every one of them.
        cfg.app_data(web::Data::new(ConsoleDir(dir)))
            .service(web::resource("/").get(to_console).head(to_console))
            .service(web::resource("/console/assets/{file}").get(asset).head(asset))
            .service(web::resource("/console").get(index).head(index))
            .service(web::resource("/console/{page:.*}").get(index).head(index));
    }
}

async fn to_console() -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, "/console")).finish()
}

/// A page for a console that is missing: what to run.
fn not_built(why: &str) -> HttpResponse {
    HttpResponse::NotFound()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(format!(
            "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Latch console</title>\
             <h1>The console is not available</h1><p>{why}</p><p>Build it with <code>cargo xtask console</code> \
             and start Latch with <code>LATCH_CONSOLE_DIR=target/console/dist</code>, or simply run \
             <code>cargo xtask run</code>, which does both.</p></html>"
        ))
}

async fn index(dir: web::Data<ConsoleDir>) -> HttpResponse {
    let Some(dir) = &dir.0 else {
        return not_built("This Latch was started without <code>console_dir</code>.");
    };
    let path = dir.join("index.html");
    match web::block(move || std::fs::read(path))
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))
        .and_then(|r| r)
    {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .body(html),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "the console's index.html cannot be read");
            not_built("The folder <code>console_dir</code> names holds no built console.")
        }
    }
}

/// A content-hashed file: its name changes with its content, so it may be cached for good.
async fn asset(req: HttpRequest, dir: web::Data<ConsoleDir>, file: web::Path<String>) -> HttpResponse {
    let name = file.into_inner();
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let Some(dir) = dir.0.as_ref().filter(|_| plain) else {
        return HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such console file");
    };
    match NamedFile::open_async(dir.join("assets").join(&name)).await {
        Ok(f) => {
            let mut res = f.use_last_modified(false).into_response(&req);
            res.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
            res.headers_mut().insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            res
        }
        Err(_) => HttpResponse::NotFound().content_type("text/plain; charset=utf-8").body("no such console file"),
    }
}
