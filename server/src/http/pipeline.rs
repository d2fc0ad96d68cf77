//! The request pipeline shared by every route: request id, tracing, panic catching, who is
//! calling ([`identify`]), then [`enforce`]: cross-site protection for mutations and the access
//! the route declared.
//!
//! Every route is declared with its [`Access`] in one [`Inventory`]: API routes through
//! [`RouteTable`], pages and server functions through the tables in `app`. `enforce` looks the
//! matched route up in the inventory and refuses (fails closed) a route that is not there, and the
//! router refuses to build when a page or server function has no declared access.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::access::{Access, AuthMethod, Caller, Denied};
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::auth;
use crate::error::AppError;
use crate::state::AppState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What kind of endpoint a route is; personal tokens may only read the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteKind {
    Api,
    Page,
    ServerFunction,
}

/// One registered route and the access it declared.
#[derive(Debug, Clone)]
pub struct RouteEntry {
    /// `None` for a route that takes any method.
    pub method: Option<Method>,
    /// The route's pattern as registered, e.g. `/api/v1/health` or `/api/{*path}`.
    pub path: String,
    pub kind: RouteKind,
    pub access: Access,
}

/// Every route of the application with its access, looked up on each request.
#[derive(Debug, Default)]
pub struct Inventory {
    entries: Vec<RouteEntry>,
    index: HashMap<(Option<Method>, String), usize>,
}

impl Inventory {
    pub fn push(&mut self, entry: RouteEntry) {
        self.index.insert((entry.method.clone(), entry.path.clone()), self.entries.len());
        self.entries.push(entry);
    }

    pub fn entries(&self) -> &[RouteEntry] {
        &self.entries
    }

    fn find(&self, method: &Method, path: &str) -> Option<&RouteEntry> {
        // HEAD is answered by the GET handler, so it needs what GET needs.
        let method = if *method == Method::HEAD { Method::GET } else { method.clone() };
        self.index
            .get(&(Some(method), path.to_owned()))
            .or_else(|| self.index.get(&(None, path.to_owned())))
            .map(|i| &self.entries[*i])
    }
}

/// The API routes, each added with its method and access.
#[derive(Default)]
pub struct RouteTable {
    router: Router<AppState>,
    inventory: Inventory,
}

impl RouteTable {
    pub fn new() -> RouteTable {
        RouteTable::default()
    }

    /// Adds `handler` for `method` at `path` (a `None` method: any method).
    pub fn route(mut self, method: Option<Method>, path: &str, access: Access, handler: MethodRouter<AppState>) -> RouteTable {
        self.inventory.push(RouteEntry { method, path: path.to_owned(), kind: RouteKind::Api, access });
        self.router = self.router.route(path, handler);
        self
    }

    pub fn get(self, path: &str, access: Access, handler: MethodRouter<AppState>) -> RouteTable {
        self.route(Some(Method::GET), path, access, handler)
    }

    pub fn post(self, path: &str, access: Access, handler: MethodRouter<AppState>) -> RouteTable {
        self.route(Some(Method::POST), path, access, handler)
    }

    pub fn into_parts(self) -> (Router<AppState>, Inventory) {
        (self.router, self.inventory)
    }
}

/// Resolves the caller of each request (session cookie or personal token) and stores it in the
/// request's extensions, where handlers, pages and server functions find it.
pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let caller = match auth::resolve_caller(&state, req.headers()).await {
        Ok(caller) => caller,
        Err(err) => {
            // The database may be down: carry on as anonymous; protected routes answer 401.
            tracing::warn!(error = %err.one_line(), "could not resolve the caller");
            Caller::Anonymous
        }
    };
    if let Caller::Key(key) = &caller {
        if let Err(wait) = state.key_rate_limit.take(key.key_id, state.clock.now()) {
            return AppError::Throttled(wait).into_response();
        }
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// Checks the matched route's declared access for the caller; fails closed on an undeclared route.
pub async fn enforce(
    State(inventory): State<Arc<Inventory>>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let Some(matched) = matched else {
        // Only the fallback (static files, the 404 page) runs without a matched route.
        return next.run(req).await;
    };
    let Some(entry) = inventory.find(req.method(), matched.as_str()) else {
        tracing::error!(path = matched.as_str(), method = %req.method(), "route has no declared access; refusing");
        return AppError::Internal(anyhow::anyhow!("route {} has no declared access", matched.as_str())).into_response();
    };
    let caller = req.extensions().get::<Caller>().cloned().unwrap_or(Caller::Anonymous);
    if let Caller::User(principal) = &caller {
        let read_only_api = matches!(*req.method(), Method::GET | Method::HEAD) && entry.kind == RouteKind::Api;
        if principal.via == AuthMethod::PersonalToken && entry.access != Access::Public && !read_only_api {
            return AppError::Forbidden(
                "use personal tokens only to read the API (GET /api/v1/…); sign in for everything else".to_owned(),
            )
            .into_response();
        }
    }
    if let Err(denied) = entry.access.check(&caller) {
        return refuse(denied, &req);
    }
    // Who may call it is settled; now make sure a browser did not send it from another site.
    if let Err(reason) = check_same_origin(req.method(), req.headers()) {
        return AppError::Forbidden(reason).into_response();
    }
    next.run(req).await
}

/// Mutations must come from our own pages: the browser's `Origin` (or `Sec-Fetch-Site`) proves
/// it. Only `Authorization: Bearer` requests pass without: browsers never add a bearer on their
/// own, and such requests are never authenticated by a cookie (`auth::resolve_caller`).
fn check_same_origin(method: &Method, headers: &HeaderMap) -> Result<(), String> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("Bearer "));
    // A WebSocket upgrade is a GET, but it opens a channel with the cookie's authority: browsers
    // always send its Origin, so it is checked like a mutation (no cross-site hijacking).
    let upgrade = headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    if (matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) && !upgrade) || bearer {
        return Ok(());
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return match site {
            "same-origin" | "none" => Ok(()),
            other => Err(format!("cross-site request refused (Sec-Fetch-Site: {other})")),
        };
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(origin), Some(host)) => {
            let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or(origin);
            if origin_host == host {
                Ok(())
            } else {
                Err(format!("cross-site request refused (Origin {origin} is not this site)"))
            }
        }
        (None, _) => Err("cross-site request refused: a state-changing request needs an Origin header".to_owned()),
        (Some(_), None) => Err("cross-site request refused: the request has no Host header".to_owned()),
    }
}

fn wants_html(req: &Request) -> bool {
    req.method() == Method::GET
        && req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// 401/403 for API clients; for a browser asking for a page, the sign-in page or a 403 page.
fn refuse(denied: Denied, req: &Request) -> Response {
    let html = wants_html(req);
    match denied {
        Denied::Unauthenticated if html => {
            let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
            Redirect::to(&format!("/login?next={}", url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()))
                .into_response()
        }
        Denied::Unauthenticated => AppError::Unauthenticated.into_response(),
        Denied::Forbidden(message) => {
            if html {
                let body = format!(
                    "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not allowed · SwipeSavvy Analytics</title>\
                     <link rel=\"stylesheet\" href=\"/pkg/swipesavvy.css\"></head><body><main class=\"content\">\
                     <h1 class=\"page-title\">Not allowed</h1><p>Not allowed: {message}.</p>\
                     <p><a href=\"/\">Back to your dashboard</a></p></main></body></html>"
                );
                (StatusCode::FORBIDDEN, Html(body)).into_response()
            } else {
                AppError::Forbidden(message).into_response()
            }
        }
    }
}

/// The layers around everything, outermost last: request id, trace span, panic to 500, caller.
/// Counts every API request (the live socket, which stays open, aside) with its latency and
/// whether it failed on the server, for the system health module.
async fn measure(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let counted = req.uri().path().starts_with("/api/") && req.uri().path() != "/api/v1/live";
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    if counted {
        let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
        state.request_stats.record(state.clock.now(), latency_ms, res.status().is_server_error());
    }
    res
}

pub fn layers(router: Router<AppState>, state: AppState) -> Router<AppState> {
    router
        .layer(middleware::from_fn_with_state(state.clone(), identify))
        .layer(middleware::from_fn_with_state(state, measure))
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
                    // The path only: query strings may carry things that do not belong in logs.
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

/// A header value from a string we built ourselves.
pub fn header_value(value: &str) -> HeaderValue {
    // Our cookies and locations are ASCII; an impossible failure degrades to an empty value.
    HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn reads_and_bearer_requests_need_no_origin() {
        assert!(check_same_origin(&Method::GET, &HeaderMap::new()).is_ok());
        assert!(check_same_origin(&Method::POST, &headers(&[("authorization", "Bearer x")])).is_ok());
    }

    #[test]
    fn other_authorization_schemes_do_not_skip_the_origin_check() {
        // A browser behind basic auth sends this by itself, together with the session cookie.
        assert!(check_same_origin(&Method::POST, &headers(&[("authorization", "Basic dTpw")])).is_err());
    }

    #[test]
    fn a_mutation_must_come_from_this_site() {
        let same = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]);
        assert!(check_same_origin(&Method::POST, &same).is_ok());
        let other = headers(&[("host", "127.0.0.1:3000"), ("origin", "https://evil.example")]);
        assert!(check_same_origin(&Method::POST, &other).unwrap_err().contains("evil.example"));
        assert!(check_same_origin(&Method::POST, &headers(&[("host", "a")])).is_err());
        assert!(check_same_origin(&Method::POST, &headers(&[("sec-fetch-site", "cross-site")])).is_err());
        assert!(check_same_origin(&Method::POST, &headers(&[("sec-fetch-site", "same-origin")])).is_ok());
    }
}
