//! latch-oidc
