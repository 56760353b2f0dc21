//! latch-idp
