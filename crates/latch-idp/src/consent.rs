//! The consent screen (DESIGN.md "Third-party app rules"): what the app may ask for
//! (permissions), what the user holds (roles, organization roles), the branded page, the
//! user's choice (granular: optional items can be unticked; organizations picked), "Not you?",
//! and the console's preview drawn by the same renderer.

use crate::authorize::redirect_error;
use crate::cookies;
use crate::errors::{self, IdpError, JsonUnavailable};
use crate::flow::{self, Interaction};
use crate::i18n::{self, Lang, Problem};
use crate::pages;
use crate::ratelimit;
use crate::state::IdpState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use latch_core::admin_access::{self, AdminDenied};
use latch_core::permissions::Named;
use latch_core::security_log::{self, SecurityEvent};
use latch_domain::entities::{Application, Session, User};
use latch_domain::entities::{Branding, ConsentScopeType};
use latch_domain::ids::{ApplicationId, OrganizationId};
use latch_domain::scope;
use latch_oidc::ErrorCode;
use latch_oidc::authorize::AuthRequest;
use latch_oidc::consent::{self, Held, Permitted, Plan};
use latch_oidc::device::DeviceAnswer;
use serde::Deserialize;

/// The application's permissions resolved to names (`None` for first-party apps).
pub(crate) async fn permitted(idp: &IdpState, app: &Application) -> Result<Option<Permitted>, IdpError> {
    if !app.is_third_party {
        return Ok(None);
    }
    let mut p = Permitted::default();
    for perm in latch_core::permissions::of_application(idp.core.repos.as_ref(), &app.id).await.page_unavailable()? {
        let required = perm.entry.required;
        match (perm.entry.scope_type, perm.named) {
            (ConsentScopeType::User, _) => {
                p.user.insert(perm.entry.scope_ref, required);
            }
            (ConsentScopeType::Resource, Named::Scope(s, r)) => {
                p.resource.entry(r.indicator).or_default().insert(s.name, required);
            }
            (ConsentScopeType::Organization, Named::Organization(s)) => {
                p.organization.insert(s.name, required);
            }
            // Organization-resource scopes travel in organization tokens (refresh grant), but
            // are shown and granted here like the rest.
            (ConsentScopeType::OrganizationResource, Named::Scope(s, r)) => {
                p.organization_resource.entry(r.indicator).or_default().insert(s.name, required);
            }
            _ => {}
        }
    }
    Ok(Some(p))
}

/// What the user holds, for the resources and organizations this request is about.
async fn held(idp: &IdpState, request: &AuthRequest, user: &User) -> Result<Held, IdpError> {
    let mut h = Held::default();
    let wants_orgs = request.scopes.iter().any(|s| s == scope::ORGANIZATIONS);
    let orgs =
        if wants_orgs { idp.core.repos.user_organizations(&user.id).await.page_unavailable()? } else { Vec::new() };
    for indicator in &request.resources {
        if let Some(r) = idp.core.catalog.resource(idp.core.repos.as_ref(), indicator).await.page_unavailable()? {
            h.resource.insert(
                indicator.clone(),
                idp.core.repos.user_resource_scopes(&user.id, &r.id).await.page_unavailable()?,
            );
            let mut via_orgs: Vec<String> = Vec::new();
            for (org, _) in &orgs {
                for s in
                    idp.core.repos.user_organization_resource_scopes(&user.id, org, &r.id).await.page_unavailable()?
                {
                    if !via_orgs.contains(&s) {
                        via_orgs.push(s);
                    }
                }
            }
            if !via_orgs.is_empty() {
                h.organization_resource.insert(indicator.clone(), via_orgs);
            }
        }
    }
    for (org, _) in &orgs {
        for s in idp.core.repos.user_organization_scopes(&user.id, org).await.page_unavailable()? {
            if !h.organization.contains(&s) {
                h.organization.push(s);
            }
        }
    }
    Ok(h)
}

/// Requested ∩ permitted ∩ held; a user scope the app may not ask for is `invalid_scope`.
pub async fn build_plan(
    idp: &IdpState,
    app: &Application,
    request: &AuthRequest,
    user: &User,
) -> Result<Plan, IdpError> {
    let permitted = permitted(idp, app).await?;
    let held = held(idp, request, user).await?;
    consent::plan(request, permitted.as_ref(), &held).map_err(|e| redirect_error(request, e.code, &e.description))
}

/// What the screen asks about: only what the grant does not cover yet (DESIGN.md: "a later
/// request re-prompts only for scopes not yet granted"), everything on `prompt=consent`.
async fn shown(
    idp: &IdpState,
    app: &Application,
    request: &AuthRequest,
    user: &User,
    plan: &Plan,
) -> Result<Plan, IdpError> {
    if request.prompt.consent || request.device.is_some() {
        return Ok(plan.clone());
    }
    Ok(match idp.core.repos.get_grant(&user.id, &app.id).await.page_unavailable()? {
        Some(g) => plan.missing(&g.details),
        None => plan.clone(),
    })
}

/// Where the decision is answered: the redirect URI, or nowhere in this browser for a device
/// authorization (the device polls for it).
fn answered_at(request: &AuthRequest) -> Option<&str> {
    request.device.is_none().then_some(request.redirect_uri.as_str())
}

fn origin_of(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) if u.host_str().is_some() => u.origin().ascii_serialization(),
        Ok(u) => format!("{}:", u.scheme()),
        Err(_) => uri.to_owned(),
    }
}

/// Who looks at the consent screen: how to name them and the organizations they may share.
struct Viewer {
    label: String,
    organizations: Vec<(OrganizationId, String)>,
}

/// Everything the consent page shows, gathered from the stores.
async fn view_model(
    idp: &IdpState,
    lang: Lang,
    app: &Application,
    branding: Option<Branding>,
    plan: &Plan,
    viewer: Viewer,
    redirect_uri: Option<&str>,
) -> Result<pages::ConsentView, IdpError> {
    let Viewer { label: user_label, organizations } = viewer;
    let line = |i: &consent::Item, label: String| pages::Line {
        scope: i.name.clone(),
        key: i.key.clone(),
        label,
        required: i.required,
    };
    let described = |i: &consent::Item, d: Option<&str>| {
        let d = d.unwrap_or_default();
        line(i, if d.is_empty() { i.name.clone() } else { d.to_owned() })
    };
    let user_lines =
        plan.user.iter().filter_map(|i| i18n::user_scope(lang, &i.name).map(|l| line(i, l.to_owned()))).collect();
    let mut groups: [Vec<(String, Vec<pages::Line>)>; 2] = [Vec::new(), Vec::new()];
    for (group, plan_group) in groups.iter_mut().zip([&plan.resource, &plan.organization_resource]) {
        for (indicator, items) in plan_group {
            let Some(r) = idp.core.catalog.resource(idp.core.repos.as_ref(), indicator).await.page_unavailable()?
            else {
                continue;
            };
            let scopes = idp.core.repos.list_scopes(&r.id).await.page_unavailable()?;
            let find = |name: &str| scopes.iter().find(|s| s.name == name).map(|s| s.description.as_str());
            group.push((r.name.clone(), items.iter().map(|i| described(i, find(&i.name))).collect()));
        }
    }
    let [resources, org_resources] = groups;
    let mut org_lines = Vec::new();
    if !plan.organization.is_empty() {
        let all = latch_domain::repo::every_row(100, |page| idp.core.repos.list_organization_scopes(page))
            .await
            .page_unavailable()?;
        for i in &plan.organization {
            let d = all.iter().find(|s| s.name == i.name).map(|s| s.description.as_str());
            org_lines.push(described(i, d));
        }
    }
    let b = branding.unwrap_or_default();
    let unverified = idp.core.registration_policy().unverified_notice
        && idp.core.repos.get_client_registration(&app.id).await.page_unavailable()?.is_some();
    Ok(pages::ConsentView {
        lang,
        app_name: b.display_name.clone().unwrap_or_else(|| app.name.clone()),
        logo_url: b.logo_url,
        dark_logo_url: b.dark_logo_url,
        terms_url: b.terms_of_use_url,
        privacy_url: b.privacy_policy_url,
        user_label,
        unverified,
        user_lines,
        resources,
        org_lines,
        org_resources,
        organizations: if plan.user.iter().any(|i| i.name == scope::ORGANIZATIONS) {
            organizations.into_iter().map(|(id, name)| (id.0, name)).collect()
        } else {
            Vec::new()
        },
        redirect_origin: redirect_uri.map(origin_of),
        theme: None,
    })
}

async fn session_of(idp: &IdpState, i: &Interaction) -> Result<(Session, User), IdpError> {
    let Some(id) = &i.session_id else { return Err(IdpError::expired_interaction()) };
    flow::live_session(idp, id).await?.ok_or_else(IdpError::expired_interaction)
}

/// What a grant holds, as the audit log names it: user scopes, `<indicator> <scope>` for
/// resource scopes, and organization scopes.
fn granted_names(g: &latch_domain::entities::GrantDetails) -> Vec<String> {
    let mut names = g.scopes.clone();
    for (indicator, scopes) in g.resource_scopes.iter().chain(&g.organization_resource_scopes) {
        names.extend(scopes.iter().map(|s| format!("{indicator} {s}")));
    }
    names.extend(g.organization_scopes.iter().cloned());
    names
}

fn user_label(user: &User) -> String {
    user.primary_email.clone().or(user.username.clone()).unwrap_or_else(|| user.id.to_string())
}

pub async fn consent_page(
    idp: web::Data<IdpState>,
    req: HttpRequest,
    q: web::Query<flow::InteractionQuery>,
) -> HttpResponse {
    let result = async {
        let i = flow::load_interaction(&idp, &req, &q.interaction).await?;
        let app = flow::app_of(&idp, &i.request.client_id).await?;
        let (_, user) = session_of(&idp, &i).await?;
        let full = build_plan(&idp, &app, &i.request, &user).await?;
        let plan = shown(&idp, &app, &i.request, &user, &full).await?;
        let branding = idp.core.repos.get_branding(&app.id).await.page_unavailable()?;
        let orgs = idp.core.repos.user_organizations(&user.id).await.page_unavailable()?;
        let lang = flow::lang_of(&req, &i.request);
        let viewer = Viewer { label: user_label(&user), organizations: orgs };
        let view = view_model(&idp, lang, &app, branding, &plan, viewer, answered_at(&i.request)).await?;
        Ok(pages::consent(&idp, &view, Some((&i.id, &i.csrf)), None))
    }
    .await;
    result.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

/// The form's fields: `interaction`, `csrf`, `decision`, and repeated `scope` (ticked optional
/// items) and `organization` (organizations to share).
fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>, IdpError> {
    let text = std::str::from_utf8(body).map_err(|_| IdpError::expired_interaction())?;
    serde_urlencoded::from_str(text).map_err(|_| IdpError::expired_interaction())
}

pub async fn consent_submit(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    submit(&idp, &req, &body).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

async fn submit(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let fields = form_fields(body)?;
    let one = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or("");
    let many = |k: &str| fields.iter().filter(|(n, _)| n == k).map(|(_, v)| v.clone()).collect::<Vec<_>>();
    let i = flow::load_interaction(idp, req, one("interaction")).await?;
    if !flow::ct_eq(one("csrf"), &i.csrf) {
        return Err(IdpError::expired_interaction());
    }
    let app = flow::app_of(idp, &i.request.client_id).await?;
    let (session, user) = session_of(idp, &i).await?;
    match one("decision") {
        "authorize" => {
            crate::metrics::consent(true);
            let _ = idp.core.cache.delete(&flow::interaction_key(&i.id)).await;
            let plan = build_plan(idp, &app, &i.request, &user).await?;
            let asked = shown(idp, &app, &i.request, &user, &plan).await?;
            let chosen = asked.chosen(&many("scope"));
            // The organization picker was on the screen only when organizations were asked about.
            let orgs = if asked.user.iter().any(|x| x.name == scope::ORGANIZATIONS) {
                let mine = idp.core.repos.user_organizations(&user.id).await.page_unavailable()?;
                let picked: Vec<OrganizationId> = many("organization")
                    .into_iter()
                    .filter(|o| mine.iter().any(|(id, _)| id.as_str() == o))
                    .map(OrganizationId)
                    .collect();
                Some(picked)
            } else {
                None
            };
            let existing = idp.core.repos.get_grant(&user.id, &app.id).await.page_unavailable()?;
            let merged = consent::merge_grant(existing.as_ref().map(|g| &g.details), &chosen, orgs.as_deref());
            let effective = plan.within(&merged);
            let event = SecurityEvent::ConsentGranted {
                user: user.id.clone(),
                client: app.id.clone(),
                scopes: granted_names(&merged),
                changed: existing.as_ref().is_some_and(|g| g.details != merged),
            };
            security_log::record(&idp.core, &ratelimit::origin(idp, req), event).await;
            flow::issue_code(idp, &app, &i.request, &user, &session, existing, &effective, orgs.as_deref(), Some(&i.id))
                .await
        }
        "cancel" => {
            crate::metrics::consent(false);
            let event = SecurityEvent::ConsentDenied { user: user.id.clone(), client: app.id.clone() };
            security_log::record(&idp.core, &ratelimit::origin(idp, req), event).await;
            let _ = idp.core.cache.delete(&flow::interaction_key(&i.id)).await;
            if i.request.device.is_some() {
                crate::device::still_waiting(idp, &i.request).await?;
                let mut res = crate::device::answer(idp, &app, &i.request, DeviceAnswer::Denied).await?;
                flow::clear_interaction_cookie(idp, &mut res, &i.id);
                return Ok(res);
            }
            Err(redirect_error(&i.request, ErrorCode::AccessDenied, "the user cancelled the authorization"))
        }
        // "Not you?": sign out and start the same request again at the sign-in page.
        "switch" => {
            idp.core.repos.delete_session(&session.id).await.page_unavailable()?;
            let _ = idp.core.cache.delete(&flow::interaction_key(&i.id)).await;
            let mut res = flow::start_sign_in(idp, req, &app, i.request.clone()).await?;
            cookies::append(&mut res, &cookies::clear(idp, cookies::SESSION));
            Ok(res)
        }
        _ => Err(IdpError::page(StatusCode::BAD_REQUEST, Problem::UnknownChoice)),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewQuery {
    app: String,
    display_name: Option<String>,
    logo_url: Option<String>,
    dark_logo_url: Option<String>,
    terms_of_use_url: Option<String>,
    privacy_policy_url: Option<String>,
    lang: Option<String>,
    /// `light` or `dark`: the colour scheme to show (the console shows both side by side).
    theme: Option<String>,
    /// RFC 6750 §2.2: the token in a form body, for a console form aimed at the preview frame.
    #[serde(rename = "access_token")]
    access_token: Option<String>,
}

/// The console's live preview: the real renderer, the app's permissions, draft branding and a
/// sample user. Only for administrators (an admin bearer token in the `Authorization` header,
/// or in the form body of a POST, RFC 6750 §2.1–2.2); draft branding obeys the same rules as
/// the stored one. Framable by the console's own origin only; it has no form.
pub async fn preview(idp: web::Data<IdpState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    preview_page(&idp, &req, &body).await.unwrap_or_else(|e| errors::respond(&idp, &req, e))
}

fn bearer_header(req: &HttpRequest) -> Option<&str> {
    let h = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    match latch_oidc::bearer::parse_authorization(h) {
        latch_oidc::bearer::AuthorizationHeader::Bearer(t) => Some(t),
        latch_oidc::bearer::AuthorizationHeader::NotBearer => None,
    }
}

async fn preview_page(idp: &IdpState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, IdpError> {
    let bad = |m: &str| IdpError::page_with(StatusCode::BAD_REQUEST, Problem::BadPreview, m);
    let is_post = req.method() == actix_web::http::Method::POST;
    let source = if is_post {
        std::str::from_utf8(body).map_err(|_| bad("The form is not UTF-8."))?
    } else {
        req.query_string()
    };
    let q: PreviewQuery = serde_urlencoded::from_str(source).map_err(|_| bad("The preview needs `app`."))?;
    // RFC 6750 §2.3: a token in the URL ends up in histories and logs; only a POST body counts.
    let posted = if is_post { q.access_token.as_deref() } else { None };
    let token = bearer_header(req)
        .or(posted)
        .ok_or_else(|| IdpError::page(StatusCode::UNAUTHORIZED, Problem::ConsoleSignIn))?;
    match admin_access::authorize_admin(&idp.core, token).await {
        Ok(_) => {}
        Err(AdminDenied::Unauthenticated(why)) => {
            return Err(IdpError::page_with(StatusCode::UNAUTHORIZED, Problem::ConsoleSignIn, why));
        }
        Err(AdminDenied::Forbidden(why)) => {
            return Err(IdpError::page_with(StatusCode::FORBIDDEN, Problem::NotAllowed, why));
        }
        Err(AdminDenied::Unavailable(detail)) => return Err(IdpError::Unavailable { detail, json: false }),
    }
    let app = idp
        .core
        .repos
        .get_application(&ApplicationId::from(q.app.as_str()))
        .await
        .page_unavailable()?
        .ok_or_else(|| IdpError::page(StatusCode::NOT_FOUND, Problem::UnknownApplication))?;
    let draft = Branding {
        application_id: app.id.clone(),
        display_name: q.display_name.clone(),
        logo_url: q.logo_url.clone(),
        dark_logo_url: q.dark_logo_url.clone(),
        terms_of_use_url: q.terms_of_use_url.clone(),
        privacy_policy_url: q.privacy_policy_url.clone(),
        color: None,
        updated_at: idp.core.clock.now(),
    };
    draft.validate().map_err(|e| bad(&format!("{}: {}", e.field, e.message)))?;
    let permitted = permitted(idp, &app).await?.unwrap_or_default();
    // The sample user holds everything the app may ask for.
    let mut scopes: Vec<String> = vec![scope::OPENID.to_owned()];
    scopes.extend(permitted.user.keys().cloned());
    let mut held = Held::default();
    for (indicator, names) in &permitted.resource {
        scopes.extend(names.keys().cloned());
        held.resource.insert(indicator.clone(), names.keys().cloned().collect());
    }
    for (indicator, names) in &permitted.organization_resource {
        scopes.extend(names.keys().cloned());
        held.organization_resource.insert(indicator.clone(), names.keys().cloned().collect());
    }
    held.organization = permitted.organization.keys().cloned().collect();
    scopes.extend(permitted.organization.keys().cloned());
    let mut resources: Vec<String> = permitted.resource.keys().cloned().collect();
    resources.extend(permitted.organization_resource.keys().filter(|r| !permitted.resource.contains_key(*r)).cloned());
    let request = AuthRequest {
        client_id: app.id.clone(),
        redirect_uri: app.redirect_uris.first().cloned().unwrap_or_default(),
        response_mode: latch_oidc::ResponseMode::Query,
        scopes,
        state: None,
        nonce: None,
        code_challenge: None,
        prompt: Default::default(),
        max_age: None,
        login_hint: None,
        ui_locales: q.lang.iter().cloned().collect(),
        acr_values: None,
        resources,
        device: None,
    };
    let plan = consent::plan(&request, Some(&permitted), &held).unwrap_or_default();
    let sample = vec![(OrganizationId::from("sample"), "Sample organization".to_owned())];
    let lang = Lang::choose(&request.ui_locales, None);
    let viewer = Viewer { label: "sam.sample@example.com".to_owned(), organizations: sample };
    let mut view = view_model(idp, lang, &app, Some(draft), &plan, viewer, answered_at(&request)).await?;
    view.theme = q.theme.as_deref().and_then(pages::Theme::parse);
    Ok(pages::consent(idp, &view, None, Some(&idp.core.settings.public_url)))
}
