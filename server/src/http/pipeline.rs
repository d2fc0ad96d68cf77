//! The request pipeline shared by every route: request id, tracing, panic catching, then who is
//! calling and whether the route's declared [`Access`] lets them in.
//!
//! A route cannot be added without declaring its access: [`RouteTable::add`] takes it, and the
//! Leptos pages go through [`guard`]. The accounts work adds callers and capabilities here.

use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::error::AppError;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What a route requires of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not: health checks, static assets.
    Public,
}

/// Who is calling, resolved once per request by [`identify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
}

impl Access {
    /// `Ok` when `caller` may use a route that requires `self`.
    pub fn check(self, caller: &Caller) -> Result<(), AppError> {
        match (self, caller) {
            (Access::Public, _) => Ok(()),
        }
    }
}

/// A router whose every route states its access.
pub struct RouteTable {
    router: Router<AppState>,
}

impl RouteTable {
    pub fn new() -> RouteTable {
        RouteTable { router: Router::new() }
    }

    pub fn add(self, path: &str, access: Access, handler: MethodRouter<AppState>) -> RouteTable {
        let handler = handler.layer(middleware::from_fn(move |req: Request, next: Next| enforce(access, req, next)));
        RouteTable { router: self.router.route(path, handler) }
    }

    pub fn into_router(self) -> Router<AppState> {
        self.router
    }
}

impl Default for RouteTable {
    fn default() -> Self {
        RouteTable::new()
    }
}

/// Applies one access rule to a whole sub-router (the Leptos pages and server functions).
pub fn guard(router: Router<AppState>, access: Access) -> Router<AppState> {
    router.layer(middleware::from_fn(move |req: Request, next: Next| enforce(access, req, next)))
}

async fn enforce(access: Access, req: Request, next: Next) -> Response {
    let caller = req.extensions().get::<Caller>().cloned().unwrap_or(Caller::Anonymous);
    match access.check(&caller) {
        Ok(()) => next.run(req).await,
        Err(err) => err.into_response(),
    }
}

/// Resolves the caller of each request and stores it in the request's extensions.
async fn identify(mut req: Request, next: Next) -> Response {
    req.extensions_mut().insert(Caller::Anonymous);
    next.run(req).await
}

/// The layers around everything, outermost last: request id, trace span, panic to 500, caller.
pub fn layers(router: Router<AppState>) -> Router<AppState> {
    router
        .layer(middleware::from_fn(identify))
        .layer(CatchPanicLayer::custom(|_panic| {
            tracing::error!("a request handler panicked");
            AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let request_id = req
                        .extensions()
                        .get::<RequestId>()
                        .and_then(|id| id.header_value().to_str().ok())
                        .unwrap_or("-")
                        .to_owned();
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id)
                })
                .on_response(|res: &Response, latency: Duration, _span: &tracing::Span| {
                    let status = res.status();
                    let latency_ms = latency.as_secs_f64() * 1000.0;
                    if status.is_server_error() && status != StatusCode::SERVICE_UNAVAILABLE {
                        tracing::error!(status = status.as_u16(), latency_ms, "response");
                    } else {
                        tracing::info!(status = status.as_u16(), latency_ms, "response");
                    }
                }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}
