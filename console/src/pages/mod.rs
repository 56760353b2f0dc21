//! One module per console page.

pub mod application;
pub mod application_branding;
pub mod application_credentials;
pub mod application_permissions;
pub mod applications;
