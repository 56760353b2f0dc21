//! One module per console page.

pub mod application;
pub mod application_credentials;
pub mod applications;
