//! Wire types shared by the server and the console: the JSON shapes of the admin API and
//! its stable error codes. serde only, so it builds for wasm32.

use serde::{Deserialize, Serialize};

/// An RFC 9457 problem document, the body of every admin API error.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the problem type (`about:blank` when the status says it all).
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// A stable machine-readable code, e.g. `application.not_found`.
    pub code: String,
    /// The request field that was wrong, for validation errors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The `/readyz` body.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    /// `ready` or `unavailable`.
    pub status: String,
    /// Names of the dependencies that did not answer (`database`, `cache`).
    pub down: Vec<String>,
}
