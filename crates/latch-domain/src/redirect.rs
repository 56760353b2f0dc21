//! Redirect URI rules: what may be registered for each app type, and how a request's
//! `redirect_uri` is matched against the registered ones (RFC 6749 §3.1.2, RFC 8252 §7,
//! RFC 9700 §4.1.3: exact string comparison, loopback ports the only exception).

use crate::entities::AppType;
use url::{Host, Url};

/// Longest redirect URI accepted anywhere (registration or request).
pub const MAX_URI_LEN: usize = 2048;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedirectUriError {
    #[error("`{0}` is not an absolute URI")]
    NotAbsolute(String),
    #[error("`{0}` is longer than 2048 characters")]
    TooLong(String),
    #[error("`{0}` contains a fragment; RFC 6749 §3.1.2 forbids it")]
    Fragment(String),
    #[error("`{0}` contains user information")]
    Userinfo(String),
    #[error("`{0}` contains a wildcard; only exact URIs can be registered")]
    Wildcard(String),
    #[error("`{0}` contains a `.` or `..` path segment")]
    DotSegment(String),
    #[error("`{0}` must use https (http is allowed only for localhost, 127.0.0.1 and [::1])")]
    InsecureScheme(String),
    #[error(
        "`{0}` is not allowed for a native app: use a private-use scheme with a dot (com.example.app:/cb), a loopback IP (http://127.0.0.1/cb) or https"
    )]
    NativeScheme(String),
    #[error("machine-to-machine apps have no redirect URIs")]
    NotAllowedForMachineToMachine,
}

fn has_dot_segment(raw: &str) -> bool {
    let path_start = raw.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &raw[path_start..];
    let path = match rest.find('/') {
        Some(i) => &rest[i..],
        None => return false,
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    path.split('/').any(|seg| {
        let lower = seg.to_ascii_lowercase();
        seg == "." || seg == ".." || lower == "%2e" || lower == "%2e%2e" || lower == ".%2e" || lower == "%2e."
    })
}

fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

fn is_local_host(url: &Url) -> bool {
    is_loopback_ip(url) || url.host_str() == Some("localhost")
}

/// Checks common to every URI Latch accepts as a redirect target.
fn parse_strict(raw: &str) -> Result<Url, RedirectUriError> {
    let owned = || raw.to_owned();
    if raw.len() > MAX_URI_LEN {
        return Err(RedirectUriError::TooLong(raw.chars().take(64).collect()));
    }
    if raw.contains('*') {
        return Err(RedirectUriError::Wildcard(owned()));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RedirectUriError::NotAbsolute(owned()));
    }
    let url = Url::parse(raw).map_err(|_| RedirectUriError::NotAbsolute(owned()))?;
    if raw.contains('#') || url.fragment().is_some() {
        return Err(RedirectUriError::Fragment(owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RedirectUriError::Userinfo(owned()));
    }
    if has_dot_segment(raw) {
        return Err(RedirectUriError::DotSegment(owned()));
    }
    Ok(url)
}

/// Validates a URI an operator registers for an app of `app_type` (DESIGN.md security rules).
pub fn validate_registered(app_type: AppType, raw: &str) -> Result<(), RedirectUriError> {
    if app_type == AppType::MachineToMachine {
        return Err(RedirectUriError::NotAllowedForMachineToMachine);
    }
    let url = parse_strict(raw)?;
    match (app_type, url.scheme()) {
        (_, "https") => {
            if url.host_str().is_none_or(str::is_empty) {
                return Err(RedirectUriError::NotAbsolute(raw.to_owned()));
            }
            Ok(())
        }
        (_, "http") if is_local_host(&url) => Ok(()),
        (AppType::Native, "http") => Err(RedirectUriError::NativeScheme(raw.to_owned())),
        (AppType::Native, scheme) => {
            // RFC 8252 §7.1: private-use schemes are reverse domain names.
            if scheme.contains('.') && !matches!(scheme, "javascript" | "data" | "file" | "vbscript") {
                Ok(())
            } else {
                Err(RedirectUriError::NativeScheme(raw.to_owned()))
            }
        }
        _ => Err(RedirectUriError::InsecureScheme(raw.to_owned())),
    }
}

/// Replaces the authority's port, if any, with nothing: `http://127.0.0.1:5000/cb` →
/// `http://127.0.0.1/cb`. Works on the raw string so no normalisation sneaks in.
fn without_port(raw: &str) -> Option<String> {
    let start = raw.find("://")? + 3;
    let rest = &raw[start..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let host = match authority.rfind(':') {
        Some(i) if authority[i + 1..].chars().all(|c| c.is_ascii_digit()) && !authority[..i].ends_with(':') => {
            // `[::1]:80` → `[::1]`; a bare IPv6 without brackets never parses as http anyway.
            if authority.starts_with('[') && !authority[..i].ends_with(']') { authority } else { &authority[..i] }
        }
        _ => authority,
    };
    Some(format!("{}{}{}", &raw[..start], host, &rest[end..]))
}

/// Finds the registered URI that a request's `redirect_uri` designates, or `None` when it is not
/// trusted. Exact string match; for native apps a loopback IP URI matches on any port
/// (RFC 8252 §7.3).
pub fn match_redirect<'a>(app_type: AppType, registered: &'a [String], requested: &str) -> Option<&'a String> {
    if let Some(hit) = registered.iter().find(|r| r.as_str() == requested) {
        return Some(hit);
    }
    if app_type != AppType::Native {
        return None;
    }
    let url = parse_strict(requested).ok()?;
    if url.scheme() != "http" || !is_loopback_ip(&url) {
        return None;
    }
    let requested_bare = without_port(requested)?;
    registered.iter().find(|r| {
        Url::parse(r).is_ok_and(|u| u.scheme() == "http" && is_loopback_ip(&u))
            && without_port(r).as_deref() == Some(requested_bare.as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules_by_app_type() {
        use AppType::*;
        let cases: &[(AppType, &str, bool)] = &[
            (Traditional, "https://app.example.com/callback", true),
            (Traditional, "http://localhost:3000/callback", true),
            (Traditional, "http://127.0.0.1:3000/callback", true),
            (Traditional, "http://app.example.com/callback", false),
            (Spa, "https://spa.example.com/cb?x=1", true),
            (Spa, "https://spa.example.com/*", false),
            (Spa, "https://spa.example.com/cb#frag", false),
            (Spa, "https://user:pw@spa.example.com/cb", false),
            (Spa, "https://spa.example.com/a/../cb", false),
            (Spa, "https://spa.example.com/a/%2e%2e/cb", false),
            (Spa, "/relative", false),
            (Native, "com.example.app:/oauth2redirect", true),
            (Native, "http://127.0.0.1/callback", true),
            (Native, "http://[::1]/callback", true),
            (Native, "myapp:/cb", false),
            (Native, "javascript:alert(1)", false),
            (Native, "http://example.com/cb", false),
            (Native, "https://app.example.com/cb", true),
            (MachineToMachine, "https://m2m.example.com/cb", false),
        ];
        for (t, uri, ok) in cases {
            assert_eq!(validate_registered(*t, uri).is_ok(), *ok, "{t:?} {uri}");
        }
    }

    /// Security review, issue 9 item 9: strings that parse, but not to themselves, or that hide
    /// a dot segment or userinfo. Refused for every app type (DESIGN.md security rules).
    #[test]
    fn non_canonical_uris_are_refused_for_every_app_type() {
        let cases: &[&str] = &[
            r"https://rp.example/x\..\cb",
            "https://rp.example/x/..%2fcb",
            "https://rp.example/x/..%2Fcb",
            "https://rp.example/x%5c..%5ccb",
            "https://rp.example/x/%2e%2e/cb",
            "https://rp.example/x/.%2e/cb",
            "https://rp.example/x/%2e./cb",
            "https://rp.example/%2E/cb",
            "https://rp.example/a/./cb",
            "https://rp.example/a/../cb",
            "https://rp.example/a/..",
            "https://@rp.example/cb",
            "https://:@rp.example/cb",
            "https://user:pw@rp.example/cb",
            "https:rp.example/cb",
            "https:/rp.example/cb",
            "https:\\\\rp.example/cb",
            "https://RP.example/cb",
            "https://rp.example:443/cb",
            "https://rp.example",
            "https://rp.example/cb#",
            "https://rp.example/cb#frag",
            "https://*.rp.example/cb",
            "https://rp.example/c b",
            "https://rp.example/cb?x=1 2",
            "http://127.0.0.1:80/cb",
            "http://127.1/cb",
            "com.example.app:/x/../cb",
            "com.example.app:/x/%2e%2e/cb",
            "com.example.app://@host/cb",
        ];
        for app_type in [AppType::Traditional, AppType::Spa, AppType::Native] {
            for uri in cases {
                assert!(validate_registered(app_type, uri).is_err(), "{app_type:?} accepted {uri}");
            }
        }
    }

    /// RFC 8252 §7.3, §8.3: loopback IP literals on any port, never `localhost`, for native apps.
    #[test]
    fn native_loopback_means_an_ip_literal() {
        for (uri, ok) in [
            ("http://127.0.0.1/cb", true),
            ("http://127.0.0.1:8080/cb", true),
            ("http://[::1]/cb", true),
            ("http://[::1]:8080/cb", true),
            ("com.example.app:/cb", true),
            ("http://localhost/cb", false),
            ("http://localhost:8080/cb", false),
            ("http://LOCALHOST/cb", false),
        ] {
            assert_eq!(validate_registered(AppType::Native, uri).is_ok(), ok, "{uri}");
        }
        // Web apps may still use localhost while developing.
        assert!(validate_registered(AppType::Spa, "http://localhost:3000/cb").is_ok());
    }

    #[test]
    fn request_matching_is_exact_except_native_loopback_port() {
        let web = vec!["https://app.example.com/callback".to_owned()];
        let cases = [
            ("https://app.example.com/callback", true),
            ("https://app.example.com/callback/", false),
            ("https://app.example.com/callback/extra", false),
            ("https://app.example.com/callback?x=1", false),
            ("http://app.example.com/callback", false),
            ("https://APP.example.com/callback", false),
            ("https://user@app.example.com/callback", false),
            ("https://app.example.com/x/../callback", false),
            ("https://app.example.com:443/callback", false),
        ];
        for (uri, ok) in cases {
            assert_eq!(match_redirect(AppType::Traditional, &web, uri).is_some(), ok, "{uri}");
        }
        let native = vec!["http://127.0.0.1/callback".to_owned(), "com.example.app:/cb".to_owned()];
        let cases = [
            ("http://127.0.0.1:53123/callback", true),
            ("http://127.0.0.1/callback", true),
            ("http://127.0.0.1:53123/other", false),
            ("http://localhost:53123/callback", false),
            ("http://127.0.0.1:53123/callback?x", false),
            ("http://127.0.0.1:abc/callback", false),
            ("com.example.app:/cb", true),
            ("com.example.app:/cb2", false),
        ];
        for (uri, ok) in cases {
            assert_eq!(match_redirect(AppType::Native, &native, uri).is_some(), ok, "{uri}");
        }
        // Loopback port freedom is for native apps only.
        let spa = vec!["http://127.0.0.1/callback".to_owned()];
        assert!(match_redirect(AppType::Spa, &spa, "http://127.0.0.1:5555/callback").is_none());
    }
}
