//! Redirect URI rules: what may be registered for each app type, how a request's
//! `redirect_uri` is matched against the registered ones, and how the redirect is built
//! (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §4.1.3: exact string comparison, loopback ports the
//! only exception; the browser goes to exactly the string that matched).

use crate::entities::AppType;
use crate::fields::has_userinfo;
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
    #[error("`{0}` contains user information (an `@` before the host), even an empty one")]
    Userinfo(String),
    #[error("`{0}` contains a wildcard; only exact URIs can be registered")]
    Wildcard(String),
    #[error("`{0}` contains a `.` or `..` path segment, or a percent-encoded `.`, `/` or `\\` in its path")]
    DotSegment(String),
    #[error("`{0}` contains a backslash, which URL parsers read differently")]
    Backslash(String),
    #[error("`{0}` is not in canonical form: a URL parser reads it as `{1}`; register exactly that")]
    NotCanonical(String, String),
    #[error("`{0}` must use https (http is allowed only for localhost, 127.0.0.1 and [::1])")]
    InsecureScheme(String),
    #[error(
        "`{0}` is not allowed for a native app: use a private-use scheme with a dot (com.example.app:/cb), a loopback IP literal (http://127.0.0.1/cb or http://[::1]/cb; not localhost, RFC 8252 §8.3) or https"
    )]
    NativeScheme(String),
    #[error("machine-to-machine apps have no redirect URIs")]
    NotAllowedForMachineToMachine,
}

/// The path of `raw`: after the scheme and the authority, before the query.
fn raw_path(raw: &str) -> &str {
    let Some((_, rest)) = raw.split_once(':') else { return "" };
    let rest = match rest.strip_prefix("//") {
        Some(after) => after.find('/').map_or("", |i| &after[i..]),
        None => rest,
    };
    rest.split(['?', '#']).next().unwrap_or("")
}

/// `.` and `..` segments, and the percent-encoded `.`, `/` and `\` that smuggle them past a
/// parser (RFC 3986 §3.3, §5.2.4; encoding an unreserved `.` is never canonical, §6.2.2.2).
fn has_dot_segment(raw: &str) -> bool {
    let path = raw_path(raw);
    let lower = path.to_ascii_lowercase();
    lower.contains("%2e")
        || lower.contains("%2f")
        || lower.contains("%5c")
        || path.split('/').any(|seg| seg == "." || seg == "..")
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

/// Checks common to every URI Latch accepts as a redirect target: it must already be in the
/// form a URL parser gives back (DESIGN.md security rules), so the string that is matched is
/// the string every browser and library reads.
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
    if raw.contains('#') {
        return Err(RedirectUriError::Fragment(owned()));
    }
    if raw.contains('\\') {
        return Err(RedirectUriError::Backslash(owned()));
    }
    if has_userinfo(raw) {
        return Err(RedirectUriError::Userinfo(owned()));
    }
    let url = Url::parse(raw).map_err(|_| RedirectUriError::NotAbsolute(owned()))?;
    if url.fragment().is_some() {
        return Err(RedirectUriError::Fragment(owned()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(RedirectUriError::Userinfo(owned()));
    }
    if has_dot_segment(raw) {
        return Err(RedirectUriError::DotSegment(owned()));
    }
    if url.as_str() != raw {
        return Err(RedirectUriError::NotCanonical(owned(), url.as_str().chars().take(MAX_URI_LEN).collect()));
    }
    Ok(url)
}

/// Whether `raw` is in the form a redirect may go to: canonical, no userinfo, fragment, dot
/// segment or wildcard. Stored URIs that are not (registered before the rule) are not trusted.
pub fn is_canonical(raw: &str) -> bool {
    parse_strict(raw).is_ok()
}

/// Validates a URI an operator registers for an app of `app_type` (DESIGN.md security rules),
/// as a redirect URI or a post-logout redirect URI.
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
        // RFC 8252 §7.3: a loopback IP literal; §8.3: `localhost` is NOT RECOMMENDED (it may
        // resolve elsewhere, and firewalls treat it differently).
        (AppType::Native, "http") if is_loopback_ip(&url) => Ok(()),
        (AppType::Native, "http") => Err(RedirectUriError::NativeScheme(raw.to_owned())),
        // Web apps: plain http only while developing on this machine.
        (_, "http") if is_local_host(&url) => Ok(()),
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

/// Finds where a request's `redirect_uri` sends the browser, or `None` when it is not trusted:
/// a registered URI equal to it as a string (RFC 9700 §4.1.3), or for a native app a
/// registered loopback IP URI that differs only by the port (RFC 8252 §7.3). The answer is the
/// string to redirect to: the registered one, or for loopback the requested one, which is then
/// the registered string with a port. A stored URI that is not in canonical form (registered
/// before the rule, or written around it) matches nothing.
pub fn match_redirect(app_type: AppType, registered: &[String], requested: &str) -> Option<String> {
    let trusted = |r: &&String| is_canonical(r);
    if let Some(hit) = registered.iter().filter(trusted).find(|r| r.as_str() == requested) {
        return Some(hit.clone());
    }
    if app_type != AppType::Native {
        return None;
    }
    let url = parse_strict(requested).ok()?;
    if url.scheme() != "http" || !is_loopback_ip(&url) {
        return None;
    }
    let requested_bare = without_port(requested)?;
    registered
        .iter()
        .filter(trusted)
        .filter(|r| Url::parse(r).is_ok_and(|u| u.scheme() == "http" && is_loopback_ip(&u)))
        .any(|r| without_port(r).as_deref() == Some(requested_bare.as_str()))
        .then(|| requested.to_owned())
}

/// `uri` with `params` added to its query, on the string itself: nothing of `uri` is parsed and
/// re-serialised, so the browser goes to exactly the URI that was matched. An existing query
/// is kept (RFC 6749 §3.1.2: "MUST retain the query component when adding additional query
/// parameters"); values are `application/x-www-form-urlencoded` (RFC 6749 Appendix B).
pub fn with_query<'p>(uri: &str, params: impl IntoIterator<Item = (&'p str, &'p str)>) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(params).finish();
    if query.is_empty() {
        return uri.to_owned();
    }
    let sep = match uri.find('?') {
        None => "?",
        Some(_) if uri.ends_with('?') || uri.ends_with('&') => "",
        Some(_) => "&",
    };
    format!("{uri}{sep}{query}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
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

    #[test]
    fn canonical_uris_of_every_kind_are_accepted() {
        use AppType::*;
        for (t, uri) in [
            (Traditional, "https://rp.example/cb"),
            (Traditional, "https://rp.example/"),
            (Traditional, "https://rp.example/a/b.c/..x/cb"),
            (Traditional, "https://rp.example/cb?tenant=a%20b&next=%2Fhome"),
            (Traditional, "https://xn--bcher-kva.example/cb"),
            (Spa, "http://localhost:5173/callback"),
            (Spa, "http://[::1]:5173/callback"),
            (Native, "com.example.app:/oauth2redirect/example-provider"),
            (Native, "http://127.0.0.1:51004/callback"),
        ] {
            assert_eq!(validate_registered(t, uri), Ok(()), "{t:?} {uri}");
        }
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = |uri| validate_registered(AppType::Traditional, uri).expect_err(uri);
        assert!(matches!(err("https://@rp.example/cb"), RedirectUriError::Userinfo(_)));
        assert!(matches!(err(r"https://rp.example/x\..\cb"), RedirectUriError::Backslash(_)));
        assert!(matches!(err("https://rp.example/x/..%2fcb"), RedirectUriError::DotSegment(_)));
        assert_eq!(
            err("https:rp.example/cb"),
            RedirectUriError::NotCanonical("https:rp.example/cb".into(), "https://rp.example/cb".into())
        );
        assert!(err("https://rp.example").to_string().contains("register exactly that"));
    }

    #[test]
    fn the_target_is_the_registered_string_or_the_requested_loopback_port() {
        let web = vec!["https://rp.example/cb?tenant=a".to_owned()];
        assert_eq!(
            match_redirect(AppType::Traditional, &web, "https://rp.example/cb?tenant=a").as_deref(),
            Some("https://rp.example/cb?tenant=a")
        );
        let native = vec!["http://127.0.0.1/callback".to_owned(), "http://[::1]/callback".to_owned()];
        assert_eq!(
            match_redirect(AppType::Native, &native, "http://127.0.0.1:51004/callback").as_deref(),
            Some("http://127.0.0.1:51004/callback")
        );
        assert_eq!(
            match_redirect(AppType::Native, &native, "http://[::1]:51004/callback").as_deref(),
            Some("http://[::1]:51004/callback")
        );
        // A loopback request must itself be canonical: `:80` would be dropped by a parser.
        assert_eq!(match_redirect(AppType::Native, &native, "http://127.0.0.1:80/callback"), None);
    }

    /// Stored before the registration rule (or written around it): never trusted, even when
    /// the request repeats the string exactly, because the browser would go somewhere else.
    #[test]
    fn stored_non_canonical_uris_match_nothing() {
        for legacy in
            [r"https://rp.example/x\..\cb", "https://@rp.example/cb", "https:rp.example/cb", "https://rp.example"]
        {
            let registered = vec![legacy.to_owned()];
            for t in [AppType::Traditional, AppType::Native] {
                assert_eq!(match_redirect(t, &registered, legacy), None, "{t:?} {legacy}");
            }
        }
    }

    /// RFC 6749 §3.1.2: the registered query is kept; nothing else of the string changes.
    #[test]
    fn parameters_are_appended_to_the_string_itself() {
        let p = [("code", "a b&c"), ("state", "s/1")];
        let cases = [
            ("https://rp.example/cb", "https://rp.example/cb?code=a+b%26c&state=s%2F1"),
            ("https://rp.example/cb?tenant=x", "https://rp.example/cb?tenant=x&code=a+b%26c&state=s%2F1"),
            ("https://rp.example/cb?", "https://rp.example/cb?code=a+b%26c&state=s%2F1"),
            ("com.example.app:/cb", "com.example.app:/cb?code=a+b%26c&state=s%2F1"),
            ("http://127.0.0.1:51004/cb", "http://127.0.0.1:51004/cb?code=a+b%26c&state=s%2F1"),
        ];
        for (uri, want) in cases {
            assert_eq!(with_query(uri, p), want, "{uri}");
        }
        assert_eq!(with_query("https://rp.example/cb", []), "https://rp.example/cb");
    }
}
