//! Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, as MCP uses
//! them): a `client_id` that is an https URL names a JSON document of client metadata that
//! Latch fetches. The rules here are the fetch's and the document's, with no I/O: which
//! URLs are client ids (§3), which addresses may be fetched (§6.6, RFC 6890 special-use
//! addresses refused), how long a document is kept (§4.3), and what a document must say
//! (§4.1). The client a document describes is public and third-party, within the
//! registration ceiling (`registration::admit`).

use crate::error::OAuthError;
use crate::registration::ClientMetadata;
use latch_domain::entities::{AppType, RegistrationKind, RegistrationPolicy};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// Most bytes of a document read (§6.7 recommends 5 kilobytes).
pub const MAX_DOCUMENT_BYTES: usize = 5 * 1024;
/// How long a fetch may take, connection included.
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// The bounds of how long a fetched document is kept, whatever its `Cache-Control` says.
pub const MIN_CACHE: Duration = Duration::from_secs(30);
pub const MAX_CACHE: Duration = Duration::from_secs(24 * 3600);
/// Kept this long when the answer names no lifetime.
pub const DEFAULT_CACHE: Duration = Duration::from_secs(300);
/// Longest client id URL considered.
const MAX_URL: usize = 2048;

/// §3: whether `client_id` is a client id URL. It has the https scheme and a host, and a path
/// other than `/`. It has no dot segments, no fragment and no user information. A query is
/// allowed (the draft says SHOULD NOT), and so is a port.
pub fn is_document_client_id(client_id: &str) -> bool {
    let Some(rest) = client_id.strip_prefix("https://") else { return false };
    if client_id.len() > MAX_URL
        || client_id.contains('#')
        || client_id.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return false;
    }
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => return false,
    };
    let path = path.split('?').next().unwrap_or("");
    !authority.is_empty()
        && !authority.contains('@')
        && path.len() > 1
        && !path.split('/').any(|seg| {
            seg == "." || seg == ".." || seg.eq_ignore_ascii_case("%2e") || seg.eq_ignore_ascii_case("%2e%2e")
        })
        && url::Url::parse(client_id).is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()))
}

/// §6.6: whether Latch may connect to `ip` to fetch a document. RFC 6890's special-use
/// addresses are refused: loopback, private, link-local, shared (CGNAT), unspecified,
/// documentation, benchmarking, multicast, broadcast, reserved, unique-local and the IPv6
/// transition ranges that embed them. `allow_loopback` lets tests fetch from a local
/// server, and nothing else.
pub fn may_fetch_from(ip: IpAddr, allow_loopback: bool) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_public(v4) || (allow_loopback && v4.is_loopback()),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return v4_public(v4) || (allow_loopback && v4.is_loopback());
            }
            v6_public(v6) || (allow_loopback && v6.is_loopback())
        }
    }
}

fn v4_public(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, shared address space (RFC 6598).
        || (a == 100 && (64..128).contains(&b))
        // 192.0.0.0/24, IETF protocol assignments.
        || (a == 192 && b == 0 && c == 0)
        // 198.18.0.0/15, benchmarking.
        || (a == 198 && (b == 18 || b == 19))
        // 240.0.0.0/4, reserved.
        || a >= 240)
}

fn v6_public(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local.
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        // 2001:db8::/32 documentation, 2001::/23 IETF protocol assignments (Teredo included).
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x2001 && s[1] < 0x0200)
        // 2002::/16 6to4 and 64:ff9b::/96 NAT64 embed IPv4 addresses that may be private.
        || s[0] == 0x2002
        || (s[0] == 0x0064 && s[1] == 0xff9b)
        // ::/96 IPv4-compatible (deprecated).
        || (s[..6] == [0; 6]))
}

/// §4.3: how long a document is kept. It follows the answer's `Cache-Control`: `max-age`,
/// or the minimum for `no-cache` / `no-store`. The default applies when it names none. The
/// result is always within [`MIN_CACHE`, `MAX_CACHE`], so a document is never fetched on
/// every request and never kept for days.
pub fn cache_lifetime(cache_control: Option<&str>) -> Duration {
    let mut lifetime = None;
    for directive in cache_control.unwrap_or("").split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return MIN_CACHE;
        }
        if let Some(v) = lower.strip_prefix("max-age=") {
            lifetime = v.trim_matches('"').parse::<u64>().ok().map(Duration::from_secs);
        }
    }
    lifetime.unwrap_or(DEFAULT_CACHE).clamp(MIN_CACHE, MAX_CACHE)
}

/// §4.1: reads a fetched document for `client_id`. It is a JSON object whose `client_id` is
/// the URL it was fetched from, compared as a string. It holds no shared secret: no
/// `client_secret`, and a `token_endpoint_auth_method` of `none` (Latch takes these clients as
/// public). Members Latch does not use are dropped.
pub fn read_document(client_id: &str, body: &[u8]) -> Result<ClientMetadata, OAuthError> {
    let bad = |d: String| OAuthError::invalid_client(format!("the client metadata document at {client_id} {d}"));
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(bad(format!("is larger than {MAX_DOCUMENT_BYTES} bytes")));
    }
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| bad(format!("is not JSON: {e}")))?;
    let Some(fields) = value.as_object() else { return Err(bad("is not a JSON object".to_owned())) };
    if fields.get("client_id").and_then(|v| v.as_str()) != Some(client_id) {
        return Err(bad("does not name this URL as its client_id".to_owned()));
    }
    if fields.contains_key("client_secret") || fields.contains_key("client_secret_expires_at") {
        return Err(bad("holds a client secret, which a metadata document may not".to_owned()));
    }
    let meta = ClientMetadata::parse(body).map_err(|e| bad(format!("is not client metadata: {}", e.description)))?;
    match meta.token_endpoint_auth_method.as_deref() {
        None | Some("none") => Ok(ClientMetadata { token_endpoint_auth_method: Some("none".to_owned()), ..meta }),
        Some(other) => Err(bad(format!(
            "asks for token_endpoint_auth_method `{other}`; clients named by a document are public (none, with PKCE)"
        ))),
    }
}

/// Whether this server takes client ids that are metadata documents: when its operator has
/// opened registration to some public kind of client (a document client is public).
pub fn accepted(policy: &RegistrationPolicy) -> bool {
    policy.enabled && policy.app_types.iter().any(|t| matches!(t, AppType::Spa | AppType::Native))
}

/// What an authorization request does about its `client_id` before it looks the client up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DocumentStep {
    /// Use the client as stored (or refuse an unknown one): the id is no document URL, the
    /// server takes no documents, the document was fetched within its cache lifetime, or an
    /// operator has taken the client over.
    Stored,
    /// Fetch the document, then create or update the client from it.
    Fetch,
}

/// Decides [`DocumentStep`]. `fresh`: the document was fetched within its cache lifetime
/// (§4.3); `stored`: the client as stored, `None` when there is none, else how it registered
/// (`None` inside when it is no longer self-registered). A client already stored keeps
/// working as stored when the operator closes registration, as registered clients do.
pub fn next_step(
    client_id: &str,
    policy: &RegistrationPolicy,
    fresh: bool,
    stored: Option<Option<RegistrationKind>>,
) -> DocumentStep {
    if !is_document_client_id(client_id) || !accepted(policy) || fresh {
        return DocumentStep::Stored;
    }
    match stored {
        None | Some(Some(RegistrationKind::MetadataDocument)) => DocumentStep::Fetch,
        Some(_) => DocumentStep::Stored,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn documents_are_fetched_only_when_needed() {
        use DocumentStep::{Fetch, Stored};
        use RegistrationKind::{MetadataDocument, Registration};
        let url = "https://app.example.com/client.json";
        let open = RegistrationPolicy { enabled: true, ..RegistrationPolicy::default() };
        let closed = RegistrationPolicy { enabled: false, ..open.clone() };
        let confidential_only = RegistrationPolicy { app_types: vec![AppType::Traditional], ..open.clone() };
        let cases = [
            // (client_id, policy, fresh, stored, step)
            (url, &open, false, None, Fetch),
            (url, &open, false, Some(Some(MetadataDocument)), Fetch),
            (url, &open, true, Some(Some(MetadataDocument)), Stored),
            // Taken over by an operator: its document no longer speaks for it.
            (url, &open, false, Some(None), Stored),
            (url, &open, false, Some(Some(Registration)), Stored),
            (url, &closed, false, None, Stored),
            (url, &closed, false, Some(Some(MetadataDocument)), Stored),
            (url, &confidential_only, false, None, Stored),
            ("my-client", &open, false, None, Stored),
            ("http://app.example.com/client.json", &open, false, None, Stored),
        ];
        for (id, policy, fresh, stored, step) in cases {
            assert_eq!(next_step(id, policy, fresh, stored), step, "{id} {} {fresh} {stored:?}", policy.enabled);
        }
        assert!(accepted(&open) && !accepted(&closed) && !accepted(&confidential_only));
    }

    #[test]
    fn which_urls_are_client_ids() {
        let cases = [
            ("https://app.example.com/client.json", true),
            ("https://app.example.com:8443/oauth/client-metadata.json", true),
            ("https://app.example.com/client?v=2", true),
            ("https://app.example.com", false),
            ("https://app.example.com/", false),
            ("http://app.example.com/client.json", false),
            ("https://app.example.com/a/../client.json", false),
            ("https://app.example.com/./client.json", false),
            ("https://app.example.com/%2e%2e/client.json", false),
            ("https://app.example.com/client.json#frag", false),
            ("https://user:pw@app.example.com/client.json", false),
            ("https://@app.example.com/client.json", false),
            ("https:///client.json", false),
            ("https://app.example.com/cli ent.json", false),
            ("my-client", false),
            ("", false),
        ];
        for (id, expected) in cases {
            assert_eq!(is_document_client_id(id), expected, "{id}");
        }
    }

    #[test]
    fn special_use_addresses_are_never_fetched() {
        let refused = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "192.0.0.8",
            "240.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "2002:a00:1::",
            "64:ff9b::a00:1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::10.0.0.1",
        ];
        for ip in refused {
            assert!(!may_fetch_from(ip.parse().expect(ip), false), "{ip} must be refused");
        }
        for ip in ["93.184.216.34", "8.8.8.8", "172.32.0.1", "2606:4700::1111", "::ffff:93.184.216.34"] {
            assert!(may_fetch_from(ip.parse().expect(ip), false), "{ip} is public");
        }
        // Tests fetch from a local server; only loopback opens, never private ranges.
        assert!(may_fetch_from("127.0.0.1".parse().expect("ip"), true));
        assert!(may_fetch_from("::1".parse().expect("ip"), true));
        assert!(!may_fetch_from("10.0.0.1".parse().expect("ip"), true));
        assert!(!may_fetch_from("169.254.169.254".parse().expect("ip"), true));
    }

    #[test]
    fn documents_are_kept_within_bounds() {
        let s = Duration::from_secs;
        let cases = [
            (None, DEFAULT_CACHE),
            (Some("max-age=3600"), s(3600)),
            (Some("public, max-age=600"), s(600)),
            (Some("max-age=5"), MIN_CACHE),
            (Some("max-age=0"), MIN_CACHE),
            (Some("max-age=31536000"), MAX_CACHE),
            (Some("no-store"), MIN_CACHE),
            (Some("max-age=600, no-cache"), MIN_CACHE),
            (Some("max-age=soon"), DEFAULT_CACHE),
            (Some("Max-Age=\"120\""), s(120)),
        ];
        for (header, expected) in cases {
            assert_eq!(cache_lifetime(header), expected, "{header:?}");
        }
    }

    #[test]
    fn a_document_names_itself_and_holds_no_secret() {
        let id = "https://app.example.com/client.json";
        let ok = format!(
            r#"{{"client_id":"{id}","client_name":"App","redirect_uris":["https://app.example.com/cb"],"jwks_uri":"https://x"}}"#
        );
        let meta = read_document(id, ok.as_bytes()).expect("valid");
        assert_eq!(meta.token_endpoint_auth_method.as_deref(), Some("none"), "public");
        assert_eq!(meta.client_name.as_deref(), Some("App"));
        let refused = [
            r#"{"client_id":"https://other.example.com/client.json","redirect_uris":[]}"#.to_owned(),
            format!(r#"{{"client_id":"{id}/","redirect_uris":[]}}"#),
            r#"{"redirect_uris":[]}"#.to_owned(),
            format!(r#"{{"client_id":"{id}","client_secret":"s"}}"#),
            format!(r#"{{"client_id":"{id}","token_endpoint_auth_method":"client_secret_basic"}}"#),
            format!(r#"{{"client_id":"{id}","token_endpoint_auth_method":"private_key_jwt"}}"#),
            format!(r#"{{"client_id":"{id}","redirect_uris":"https://app.example.com/cb"}}"#),
            format!(r#"["{id}"]"#),
            "not json".to_owned(),
            format!(r#"{{"client_id":"{id}","pad":"{}"}}"#, "x".repeat(MAX_DOCUMENT_BYTES)),
        ];
        for body in refused {
            let e = read_document(id, body.as_bytes()).expect_err(&body);
            assert_eq!(e.code, crate::error::ErrorCode::InvalidClient, "{body}");
        }
    }
}
