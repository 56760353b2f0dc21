//! The fixed names of Latch's own administration: the admin API's resource and scope, and the
//! console's client id (DESIGN.md "Scopes are per resource", "Admin API").

/// The resource indicator of the admin API.
pub const ADMIN_RESOURCE: &str = "urn:latch:api:admin";
/// The admin API's one scope, which grants everything.
pub const ADMIN_SCOPE: &str = "all";
/// Client id of the console application, the one app through which people administer Latch.
pub const CONSOLE_CLIENT_ID: &str = "console";

/// Whether `indicator` names the admin API.
pub fn is_admin_resource(indicator: &str) -> bool {
    indicator == ADMIN_RESOURCE
}

/// Whether authorization requests of `client_id` may name the admin API as a resource: only the
/// console's. Machine-to-machine apps reach it through `client_credentials` and the admin role.
pub fn may_request_admin_resource(client_id: &str) -> bool {
    client_id == CONSOLE_CLIENT_ID
}
