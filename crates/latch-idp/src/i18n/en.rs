//! The English catalogue.

use super::{Phrase, Problems, Words};

pub const WORDS: Words = Words {
    sign_in_title: "Sign in",
    to_continue_to: "to continue to",
    identifier: "Username or email",
    password: "Password",
    sign_in_button: "Sign in",
    wrong_credentials: "The username, email or password is incorrect.",
    consent_title: "Authorize application",
    wants_access: "wants to access your account",
    unverified_app: "This app registered itself and nobody has reviewed it. Continue only if you trust it.",
    signed_in_as: "Signed in as",
    not_you: "Not you? Use another account",
    profile_section: "Your profile",
    organizations_section: "Organizations",
    share_organizations: "Choose the organizations to share with this application:",
    optional: "optional",
    sent_to: "After you decide you will be sent to",
    terms: "Terms of use",
    privacy: "Privacy policy",
    authorize: "Authorize",
    cancel: "Cancel",
    apps_title: "Connected apps",
    no_apps: "No app is connected to your account.",
    connected_on: "Connected",
    last_used: "Last used",
    never_used: "Never used",
    revoke: "Revoke access",
    revoke_note: "Revoking stops an app's refresh and access tokens at once. Access tokens an app holds for an \
                  API are signed tokens that stay valid until they expire, within minutes.",
    returning: "Returning to the application",
    continue_button: "Continue",
    sign_out_title: "Sign out",
    sign_out_question: "Sign out?",
    asks_to_sign_out: "asks to sign you out.",
    an_app_asks_to_sign_out: "An application asks to sign you out.",
    stay_signed_in: "Stay signed in",
    sign_out_button: "Sign out",
    signed_out_title: "You are signed out",
    signed_out_body: "You are signed out on this device.",
    asked_for_it: "asked for it.",
    close_page: "You can close this page.",
    device_title: "Connect a device",
    device_lead: "Enter the code your device shows.",
    user_code: "Code",
    device_warning: "Enter a code only from a device you are setting up yourself, in front of you. Nobody will ever \
                     ask you for one by phone, email or chat.",
    device_wrong_code: "This code is not valid or has expired. Check the code on your device and try again.",
    device_consent_note: "You are signing in on another device, not in this browser. After you decide, go back to \
                          the device.",
    device_approved_title: "Device connected",
    device_approved_body: "is now signed in on your device. Go back to it; you can close this page.",
    device_denied_title: "Device not connected",
    device_denied_body: "Nothing was shared with the device. You can close this page.",
    details_for_developer: "For the application's developer:",
    problems: Problems {
        expired_interaction: Phrase {
            title: "This sign-in has expired",
            body: "The page you came from is no longer valid. Go back to the application and start signing in again.",
        },
        bad_authorize_request: Phrase {
            title: "This sign-in request cannot be completed",
            body: "The application sent a request Latch cannot accept, so you were not sent back to it. Tell the \
                   application's developer what is written below.",
        },
        unreadable: Phrase {
            title: "This page cannot be shown",
            body: "The link or form that brought you here is incomplete or was changed. Go back to the application \
                   and start again.",
        },
        not_found: Phrase {
            title: "This page does not exist",
            body: "Check the address, or go back to the application you came from.",
        },
        too_many_attempts: Phrase {
            title: "Too many attempts",
            body: "There were too many sign-in attempts from your network. Wait a few minutes and try again.",
        },
        busy: Phrase {
            title: "Too busy right now",
            body: "Latch is checking too many sign-ins at once. Wait a moment and try again.",
        },
        unavailable: Phrase {
            title: "Temporarily unavailable",
            body: "Latch cannot reach its storage right now. Try again in a moment.",
        },
        not_signed_in: Phrase {
            title: "You are not signed in",
            body: "Sign in to an application with your account, then open this page again to see the apps you \
                   have connected.",
        },
        sign_in_again: Phrase { title: "You are not signed in", body: "Sign in again, then retry." },
        page_expired: Phrase { title: "This page has expired", body: "Reload the page and retry." },
        unknown_grant: Phrase { title: "Unknown app", body: "This app is not connected to your account." },
        unknown_choice: Phrase { title: "Unknown choice", body: "Choose Authorize or Cancel." },
        bad_logout_request: Phrase {
            title: "This sign-out request cannot be completed",
            body: "The application sent a sign-out request Latch cannot accept. You are still signed in.",
        },
        expired_logout: Phrase {
            title: "This sign-out has expired",
            body: "The page you came from is no longer valid. Go back to the application and sign out again.",
        },
        still_signed_in: Phrase { title: "You are still signed in", body: "Nothing changed. You can close this page." },
        bad_preview: Phrase { title: "Invalid preview", body: "The console asked for a preview Latch cannot show." },
        console_sign_in: Phrase { title: "Sign in to the console", body: "The preview is for administrators." },
        not_allowed: Phrase { title: "Not allowed", body: "Your account may not see this preview." },
        unknown_application: Phrase { title: "Unknown application", body: "No application has this id." },
        expired_device: Phrase {
            title: "This device code has expired",
            body: "The device stopped waiting before you finished, so it was not connected. Start again on the \
                   device to get a new code.",
        },
    },
};
