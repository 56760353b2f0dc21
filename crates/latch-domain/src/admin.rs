//! The fixed names of Latch's own administration: the admin API's resource and scope, and the
//! console's client id (DESIGN.md "Scopes are per resource", "Admin API").

/// The resource indicator of the admin API.
pub const ADMIN_RESOURCE: &str = "urn:latch:api:admin";
/// The admin API's one scope, which grants everything.
pub const ADMIN_SCOPE: &str = "all";
/// Role for people who administer Latch (console sign-in).
pub const ADMIN_ROLE: &str = "admin";
/// Role for machine-to-machine apps that administer Latch (scripts).
pub const ADMIN_MACHINE_ROLE: &str = "admin-machine";
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

/// Whether `role` is one of the built-in roles through which people and machines administer
/// Latch. They cannot be deleted nor lose the admin scope: every admin would be locked out.
pub fn is_builtin_admin_role(role: &str) -> bool {
    role == ADMIN_ROLE || role == ADMIN_MACHINE_ROLE
}

/// Whether taking `scope` (of the resource `indicator`) away would leave nobody able to
/// administer Latch through the built-in roles.
pub fn is_admin_scope(indicator: &str, scope: &str) -> bool {
    is_admin_resource(indicator) && scope == ADMIN_SCOPE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_keeps_administrators_in() {
        let cases = [
            ("the admin role", is_builtin_admin_role("admin"), true),
            ("the admin-machine role", is_builtin_admin_role("admin-machine"), true),
            ("any other role", is_builtin_admin_role("admins"), false),
            ("the admin scope", is_admin_scope(ADMIN_RESOURCE, "all"), true),
            ("another scope of the admin API", is_admin_scope(ADMIN_RESOURCE, "audit"), false),
            ("`all` of another API", is_admin_scope("https://a", "all"), false),
            ("the console asks for the admin API", may_request_admin_resource("console"), true),
            ("no other app does", may_request_admin_resource("web"), false),
        ];
        for (name, got, expected) in cases {
            assert_eq!(got, expected, "{name}");
        }
    }
}
