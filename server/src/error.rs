//! The one error type of the server, and the one place that maps errors to HTTP responses.

use app::wire::{ErrorBody, ErrorDetail, FieldError};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::{DbErr, SqlErr};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Bad configuration: reported at start-up, never over HTTP.
    #[error("{0}")]
    Config(String),
    /// The request is well-formed but some fields are wrong.
    #[error("invalid {}", describe_fields(.0))]
    Validation(Vec<FieldError>),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("sign in to use this")]
    Unauthenticated,
    /// A failed sign-in: the same answer whether the email or the password was wrong.
    #[error("the email or password is wrong")]
    BadCredentials,
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts: try again in {0} s")]
    Throttled(i64),
    /// The request body or query cannot be read at all.
    #[error("{0}")]
    BadRequest(String),
    /// The request contradicts the current state (an illegal status transition).
    #[error("{0}")]
    Conflict(String),
    /// The request is larger than the endpoint takes.
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("your role may not {0}")]
    Forbidden(String),
    /// A dependency (the database) is down; the reason is safe to show.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error(transparent)]
    Database(#[from] DbErr),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A 422 naming one field and what is wrong with it.
    pub fn invalid(field: &str, reason: impl Into<String>) -> AppError {
        AppError::Validation(vec![FieldError { field: field.to_owned(), reason: reason.into() }])
    }

    /// The error and its causes on one line, for the terminal.
    pub fn one_line(&self) -> String {
        let mut line = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let cause_text = cause.to_string();
            if !line.contains(&cause_text) {
                line.push_str(": ");
                line.push_str(&cause_text);
            }
            source = cause.source();
        }
        line.replace('\n', " ")
    }

    fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
            AppError::Throttled(_) => (StatusCode::TOO_MANY_REQUESTS, "throttled"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_large"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            AppError::Database(err) if is_unique_violation(err) => (StatusCode::CONFLICT, "conflict"),
            AppError::Config(_) | AppError::Database(_) | AppError::Internal(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

/// `email: must be an email address; role: unknown role 'x'`.
fn describe_fields(fields: &[FieldError]) -> String {
    fields.iter().map(|f| format!("{}: {}", f.field, f.reason)).collect::<Vec<_>>().join("; ")
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
            // The detail goes to the log; the client learns nothing internal.
            tracing::error!(error = %self.one_line(), "request failed");
            "something went wrong on our side; the error has been logged".to_owned()
        } else if matches!(self, AppError::Database(_)) && status == StatusCode::CONFLICT {
            // Usually a duplicate a client sent; the detail (which constraint) is for the log.
            tracing::warn!(error = %self.one_line(), "a write met a unique constraint");
            "this already exists".to_owned()
        } else {
            self.to_string()
        };
        let retry_after = match &self {
            AppError::Throttled(seconds) => Some(seconds.max(&1).to_string()),
            _ => None,
        };
        let fields = match self {
            AppError::Validation(fields) => fields,
            _ => Vec::new(),
        };
        let mut response =
            (status, Json(ErrorBody { error: ErrorDetail { code: code.to_owned(), message, fields } })).into_response();
        if let Some(seconds) = retry_after.and_then(|s| s.parse().ok()) {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds);
        }
        response
    }
}
