//! Logging: pretty lines for people by default, JSON lines for log pipelines by configuration.
//! Every line logged while serving a request carries that request's id (the span field), and
//! the request's path without its query string.

use crate::config::{LogConfig, LogFormat};
use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use tracing::Span;
use tracing_actix_web::{RequestId, RootSpanBuilder};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

pub fn init(log: &LogConfig) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(FmtSpan::CLOSE)
        // Logs on stderr: stdout carries command output (JSON from `latch import`, …).
        .with_writer(std::io::stderr);
    // A second init (tests start several servers in one process) keeps the first subscriber.
    let _ = match log.format {
        LogFormat::Pretty => builder.with_target(false).try_init(),
        LogFormat::Json => builder.json().with_current_span(true).with_span_list(false).try_init(),
    };
}

/// The root span of every request, as tracing-actix-web's default but with the path only in
/// `http.target`: query strings carry secrets (`id_token_hint`, `code`, `state`, `login_hint`)
/// and personal data, and an info-level log is no place for them (RFC 6749 §10.3 and §10.5:
/// access tokens and authorization codes must be kept confidential in transit and storage).
pub struct PathOnlySpans;

impl RootSpanBuilder for PathOnlySpans {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = request.match_pattern().unwrap_or_else(|| "default".to_owned());
        let request_id = request.extensions().get::<RequestId>().map(ToString::to_string).unwrap_or_default();
        let client_ip = request.connection_info().realip_remote_addr().unwrap_or("").to_owned();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.path(),
            http.client_ip = %client_ip,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
        )
    }

    /// Status and the error's message. Not its `Debug` form (the default's
    /// `exception.details`), which would show what the request carried (`state`, URIs).
    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        let (status, error) = match outcome {
            Ok(res) => (res.status(), res.response().error().map(|e| e.to_string())),
            Err(e) => (e.as_response_error().status_code(), Some(e.to_string())),
        };
        span.record("http.status_code", status.as_u16());
        span.record("otel.status_code", if status.is_server_error() { "ERROR" } else { "OK" });
        if let Some(message) = error {
            span.record("exception.message", message.as_str());
        }
    }
}
