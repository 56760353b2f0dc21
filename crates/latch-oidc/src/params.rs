//! Request parameters as the protocol sees them: decoded once, duplicates and oversized values
//! refused (RFC 6749 §3.1, §3.2: "Request and response parameters MUST NOT be included more
//! than once").

use crate::error::OAuthError;
use std::collections::BTreeMap;

/// Longest value accepted for any single parameter.
pub const MAX_VALUE_LEN: usize = 4096;
/// Most parameters accepted in one request.
pub const MAX_PARAMS: usize = 64;

/// Tighter limits for what an authorization request makes the server keep while the user signs
/// in (the interaction), in bytes. OpenID Connect Core §3.1.2.1 and RFC 6749 §4.1.1 set no
/// maximum; these are generous for real clients (a `state` or `nonce` is a random value or a
/// short signed blob; `login_hint` is an identifier, which the sign-in form takes up to 256
/// bytes) and keep one unauthenticated request from costing more than a few KiB.
pub const PARAM_LIMITS: &[(&str, usize)] = &[
    ("state", MAX_STATE_LEN),
    ("nonce", MAX_NONCE_LEN),
    ("login_hint", MAX_LOGIN_HINT_LEN),
    ("ui_locales", MAX_UI_LOCALES_LEN),
    ("scope", MAX_SCOPE_LEN),
];
pub const MAX_STATE_LEN: usize = 1024;
pub const MAX_NONCE_LEN: usize = 512;
pub const MAX_LOGIN_HINT_LEN: usize = 256;
pub const MAX_UI_LOCALES_LEN: usize = 128;
pub const MAX_SCOPE_LEN: usize = 1024;

/// The longest value `name` may have.
pub fn max_len(name: &str) -> usize {
    PARAM_LIMITS.iter().find(|(n, _)| *n == name).map_or(MAX_VALUE_LEN, |(_, max)| *max)
}

/// Parameters that may legitimately repeat (RFC 8707 §2: `resource` may appear several times).
const REPEATABLE: &[&str] = &["resource"];

/// Decoded request parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params {
    single: BTreeMap<String, String>,
    repeated: BTreeMap<String, Vec<String>>,
    /// Names seen more than once that may not repeat.
    duplicates: Vec<String>,
}

impl Params {
    /// Builds from decoded pairs. Too many or too long parameters are an error straight away;
    /// duplicates are remembered so the caller can decide whether it may still redirect.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Params, OAuthError> {
        if pairs.len() > MAX_PARAMS {
            return Err(OAuthError::invalid_request("too many parameters"));
        }
        let mut p = Params::default();
        for (k, v) in pairs {
            let max = max_len(&k);
            if v.len() > max || k.len() > 256 {
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{}` is longer than {max} bytes",
                    k.chars().take(64).collect::<String>()
                )));
            }
            if REPEATABLE.contains(&k.as_str()) {
                p.repeated.entry(k).or_default().push(v);
            } else {
                p.insert_single(k, v);
            }
        }
        Ok(p)
    }

    /// Parses an `application/x-www-form-urlencoded` string (query or body).
    pub fn parse(encoded: &str) -> Result<Params, OAuthError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(encoded)
            .map_err(|_| OAuthError::invalid_request("parameters are not valid form encoding"))?;
        Params::from_pairs(pairs)
    }

    /// Keeps the first value of `k`; a second one marks `k` as duplicated.
    fn insert_single(&mut self, k: String, v: String) {
        match self.single.entry(k) {
            std::collections::btree_map::Entry::Vacant(e) => {
                e.insert(v);
            }
            std::collections::btree_map::Entry::Occupied(e) => {
                if !self.duplicates.contains(e.key()) {
                    self.duplicates.push(e.key().clone());
                }
            }
        }
    }

    /// The value of `name`, treating an empty value as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.single.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn all(&self, name: &str) -> &[String] {
        self.repeated.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn is_duplicated(&self, name: &str) -> bool {
        self.duplicates.iter().any(|d| d == name)
    }

    /// Fails with `invalid_request` naming the first parameter given more than once.
    pub fn reject_duplicates(&self) -> Result<(), OAuthError> {
        match self.duplicates.first() {
            Some(d) => Err(OAuthError::invalid_request(format!("parameter `{d}` is given more than once"))),
            None => Ok(()),
        }
    }

    /// Merges body parameters over query parameters for endpoints accepting both (a parameter in
    /// both counts as a duplicate).
    pub fn merge(mut self, other: Params) -> Params {
        for (k, v) in other.single {
            self.insert_single(k, v);
        }
        for (k, v) in other.repeated {
            self.repeated.entry(k).or_default().extend(v);
        }
        for d in other.duplicates {
            if !self.duplicates.contains(&d) {
                self.duplicates.push(d);
            }
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_found_and_resource_may_repeat() {
        let p = Params::parse("a=1&b=2&a=3&resource=x&resource=y").unwrap_or_default();
        assert!(p.is_duplicated("a"));
        assert!(!p.is_duplicated("b"));
        assert_eq!(p.all("resource"), ["x", "y"]);
        assert_eq!(p.get("a"), Some("1"), "the first value is kept");
        assert!(p.reject_duplicates().is_err());
    }

    #[test]
    fn empty_values_are_absent_and_oversized_values_refused() {
        let p = Params::parse("state=&scope=openid").unwrap_or_default();
        assert_eq!(p.get("state"), None);
        let long = format!("state={}", "x".repeat(MAX_VALUE_LEN + 1));
        assert_eq!(Params::parse(&long).map_err(|e| e.code), Err(crate::error::ErrorCode::InvalidRequest));
        let many = (0..=MAX_PARAMS).map(|i| format!("p{i}=1")).collect::<Vec<_>>().join("&");
        assert!(Params::parse(&many).is_err());
    }

    #[test]
    fn each_kept_parameter_has_its_own_limit() {
        let cases: &[(&str, usize)] = &[
            ("state", 1024),
            ("nonce", 512),
            ("login_hint", 256),
            ("ui_locales", 128),
            ("scope", 1024),
            ("code", MAX_VALUE_LEN),
            ("redirect_uri", MAX_VALUE_LEN),
        ];
        for (name, limit) in cases {
            let at = Params::from_pairs(vec![((*name).to_owned(), "v".repeat(*limit))]);
            assert_eq!(at.map(|p| p.get(name).map(str::len)), Ok(Some(*limit)), "{name} of {limit} bytes is accepted");
            let over = Params::from_pairs(vec![((*name).to_owned(), "v".repeat(limit + 1))]);
            let err = over.err().map(|e| (e.code, e.description.contains(&limit.to_string())));
            assert_eq!(err, Some((crate::error::ErrorCode::InvalidRequest, true)), "{name} of {} bytes", limit + 1);
        }
        assert_eq!(PARAM_LIMITS.len(), 5, "every limit is in the table above");
    }

    #[test]
    fn merging_query_and_body_counts_repeats_as_duplicates() {
        let q = Params::parse("client_id=a").unwrap_or_default();
        let b = Params::parse("client_id=a&scope=openid").unwrap_or_default();
        let m = q.merge(b);
        assert!(m.is_duplicated("client_id"));
        assert_eq!(m.get("scope"), Some("openid"));
    }
}
