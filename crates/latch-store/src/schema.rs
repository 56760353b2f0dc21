//! The one diesel schema for both backends (portable column types only).

diesel::table! {
    applications (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        app_type -> Text,
        is_third_party -> Bool,
        custom_client_metadata -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    application_uris (application_id, kind, uri) {
        application_id -> Text,
        kind -> Text,
        position -> Integer,
        uri -> Text,
    }
}

diesel::table! {
    application_secrets (application_id, name) {
        application_id -> Text,
        name -> Text,
        secret_hash -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        username -> Nullable<Text>,
        primary_email -> Nullable<Text>,
        primary_phone -> Nullable<Text>,
        name -> Nullable<Text>,
        avatar -> Nullable<Text>,
        profile -> Text,
        custom_data -> Text,
        password_hash -> Nullable<Text>,
        email_verified -> Bool,
        phone_verified -> Bool,
        is_suspended -> Bool,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_sign_in_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    resources (id) {
        id -> Text,
        name -> Text,
        indicator -> Text,
        access_token_ttl -> BigInt,
        created_at -> BigInt,
        access_token_signing_alg -> Text,
    }
}

diesel::table! {
    scopes (id) {
        id -> Text,
        resource_id -> Text,
        name -> Text,
        description -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        role_type -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    role_scopes (role_id, scope_id) {
        role_id -> Text,
        scope_id -> Text,
    }
}

diesel::table! {
    user_roles (user_id, role_id) {
        user_id -> Text,
        role_id -> Text,
    }
}

diesel::table! {
    application_roles (application_id, role_id) {
        application_id -> Text,
        role_id -> Text,
    }
}

diesel::table! {
    organizations (id) {
        id -> Text,
        name -> Text,
        description -> Nullable<Text>,
        created_at -> BigInt,
    }
}

diesel::table! {
    organization_memberships (organization_id, user_id) {
        organization_id -> Text,
        user_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    organization_scopes (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    organization_roles (id) {
        id -> Text,
        name -> Text,
        description -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    organization_role_scopes (organization_role_id, organization_scope_id) {
        organization_role_id -> Text,
        organization_scope_id -> Text,
    }
}

diesel::table! {
    organization_role_resource_scopes (organization_role_id, scope_id) {
        organization_role_id -> Text,
        scope_id -> Text,
    }
}

diesel::table! {
    organization_user_roles (organization_id, user_id, organization_role_id) {
        organization_id -> Text,
        user_id -> Text,
        organization_role_id -> Text,
    }
}

diesel::table! {
    application_consent_scopes (application_id, scope_type, scope_ref) {
        application_id -> Text,
        scope_type -> Text,
        scope_ref -> Text,
        required -> Bool,
    }
}

diesel::table! {
    sign_in_experience (id) {
        id -> Text,
        organization_name -> Nullable<Text>,
        logo_url -> Nullable<Text>,
        dark_logo_url -> Nullable<Text>,
        favicon_url -> Nullable<Text>,
        accent_color -> Nullable<Text>,
        dark_accent_color -> Nullable<Text>,
        custom_css -> Nullable<Text>,
        updated_at -> BigInt,
        sign_up -> Text,
        require_verified_email -> Bool,
        mfa -> Text,
    }
}

diesel::table! {
    registration_policy (id) {
        id -> Text,
        enabled -> Bool,
        app_types -> Text,
        permissions -> Text,
        redirect_hosts -> Text,
        require_initial_access_token -> Bool,
        registrations_per_hour -> BigInt,
        unverified_notice -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    client_registrations (application_id) {
        application_id -> Text,
        access_token_hash -> Nullable<Text>,
        registered_at -> BigInt,
        ip -> Text,
        user_agent -> Nullable<Text>,
        software_id -> Nullable<Text>,
        software_version -> Nullable<Text>,
        client_uri -> Nullable<Text>,
        contacts -> Text,
        grant_types -> Text,
        scope -> Text,
        kind -> Text,
        token_endpoint_auth_method -> Text,
    }
}

diesel::table! {
    initial_access_tokens (id) {
        id -> Text,
        name -> Text,
        token_hash -> Text,
        created_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    application_branding (application_id) {
        application_id -> Text,
        display_name -> Nullable<Text>,
        logo_url -> Nullable<Text>,
        dark_logo_url -> Nullable<Text>,
        terms_of_use_url -> Nullable<Text>,
        privacy_policy_url -> Nullable<Text>,
        color -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        user_id -> Text,
        application_id -> Text,
        details -> Text,
        created_at -> BigInt,
        updated_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    access_tokens (token_hash) {
        token_hash -> Text,
        application_id -> Text,
        user_id -> Nullable<Text>,
        grant_id -> Nullable<Text>,
        scope -> Text,
        issued_at -> BigInt,
        expires_at -> BigInt,
        family_id -> Nullable<Text>,
    }
}

diesel::table! {
    refresh_tokens (token_hash) {
        token_hash -> Text,
        grant_id -> Text,
        application_id -> Text,
        user_id -> Text,
        scope -> Text,
        auth_time -> BigInt,
        issued_at -> BigInt,
        expires_at -> BigInt,
        consumed_at -> Nullable<BigInt>,
        resources -> Text,
        family_id -> Text,
        amr -> Text,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        state -> Text,
        private_jwe -> Text,
        public_jwk -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        auth_time -> BigInt,
        created_at -> BigInt,
        last_active_at -> BigInt,
        expires_at -> BigInt,
        amr -> Text,
        user_agent -> Nullable<Text>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        at -> BigInt,
        actor -> Text,
        action -> Text,
        target_type -> Text,
        target_id -> Text,
        details -> Text,
    }
}

diesel::table! {
    mfa_factors (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        name -> Text,
        secret -> Text,
        last_used_step -> Nullable<BigInt>,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        credential_id -> Nullable<Text>,
    }
}

diesel::table! {
    recovery_codes (user_id, code_hash) {
        user_id -> Text,
        code_hash -> Text,
        used_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(scopes -> resources (resource_id));
diesel::joinable!(role_scopes -> roles (role_id));
diesel::joinable!(role_scopes -> scopes (scope_id));
diesel::joinable!(user_roles -> roles (role_id));
diesel::joinable!(application_roles -> roles (role_id));

diesel::allow_tables_to_appear_in_same_query!(
    applications,
    application_uris,
    application_secrets,
    users,
    resources,
    scopes,
    roles,
    role_scopes,
    user_roles,
    application_roles,
    organizations,
    organization_memberships,
    organization_scopes,
    organization_roles,
    organization_role_scopes,
    organization_role_resource_scopes,
    organization_user_roles,
    application_consent_scopes,
    application_branding,
    sign_in_experience,
    registration_policy,
    client_registrations,
    initial_access_tokens,
    grants,
    access_tokens,
    refresh_tokens,
    signing_keys,
    sessions,
    audit_log,
    mfa_factors,
    recovery_codes,
);
