//! One module per console page.

pub mod application;
pub mod application_branding;
pub mod application_credentials;
pub mod application_permissions;
pub mod application_roles;
pub mod applications;
pub mod audit;
pub mod email;
pub mod keys;
pub mod organization_role;
pub mod organization_template;
pub mod organizations;
pub mod pickers;
pub mod registration;
pub mod resource;
pub mod resources;
pub mod role;
pub mod roles;
pub mod sign_in_experience;
pub mod user;
pub mod user_access;
pub mod users;
