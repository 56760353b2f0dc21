//! `/api/email`: the SMTP server Latch sends through (configured in `smtp.*`, shown here
//! without its password) and a test message to check it.

use crate::error::{ApiError, ApiResult};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use latch_core::{Actor, Core};
use latch_domain::mail::{Mail, MailError};
use latch_types as wire;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(settings).service(send_test);
}

/// Reads how email is sent: whether a server is configured, and which.
#[utoipa::path(tag = "email", responses((status = 200, body = wire::EmailSettings)), security(("bearer" = [])))]
#[get("/email")]
pub async fn settings(idp: web::Data<Core>) -> ApiResult<HttpResponse> {
    let body = match &idp.mail {
        None => wire::EmailSettings::default(),
        Some(m) => {
            let s = m.settings();
            wire::EmailSettings {
                configured: true,
                host: Some(s.host.clone()),
                port: Some(s.port),
                tls: Some(s.tls.to_owned()),
                from: Some(s.from.clone()),
                authenticated: s.authenticated,
            }
        }
    };
    Ok(HttpResponse::Ok().json(body))
}

/// Sends a test message to `to` through the configured server and waits for the server's
/// answer: whether it took the message, and if not, why in its own words (a server that is
/// down or refuses is what the test is for, not an error of this request). `409` without a
/// server, `422` for an address that is none.
#[utoipa::path(tag = "email", request_body = wire::SendTestEmail,
    responses((status = 200, body = wire::EmailTestResult), (status = 409, body = wire::Problem),
        (status = 422, body = wire::Problem)), security(("bearer" = [])))]
#[post("/email/test")]
pub async fn send_test(
    idp: web::Data<Core>,
    who: web::ReqData<Actor>,
    body: web::Json<wire::SendTestEmail>,
) -> ApiResult<HttpResponse> {
    let Some(mail) = &idp.mail else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "email.not_configured",
            "no SMTP server is configured: set smtp.host and smtp.from",
        ));
    };
    let to = body.into_inner().to.trim().to_owned();
    if latch_domain::fields::email(&to).is_err() {
        return Err(ApiError::invalid("to", "email.invalid_address", format!("`{to}` is not an email address")));
    }
    let text = format!(
        "This is a test message from Latch, sent by {} through {}:{} ({}).\n\nIf you can read it, \
         Latch can send email.\n",
        who.audit_name(),
        mail.settings().host,
        mail.settings().port,
        mail.settings().tls
    );
    let message = Mail { to, subject: "Latch test message".to_owned(), text, html: None };
    let result = match mail.send(message).await {
        Ok(()) => wire::EmailTestResult { delivered: true, detail: None },
        Err(MailError::BadRecipient(why)) => return Err(ApiError::invalid("to", "email.invalid_address", why)),
        Err(MailError::Delivery(why)) => wire::EmailTestResult {
            delivered: false,
            detail: Some(format!("the SMTP server did not take the message: {why}")),
        },
    };
    Ok(HttpResponse::Ok().json(result))
}
