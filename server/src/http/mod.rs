//! The HTTP surface: every route is registered here, with the access it requires, and every
//! request passes through the same pipeline (`pipeline.rs`).

mod health;
pub mod pipeline;

use app::{App, shell};
use axum::Router;
use axum::routing::{any, get};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};

use crate::backend::ServerBackend;
use crate::error::AppError;
use crate::state::AppState;
use pipeline::{Access, RouteTable};

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let api = RouteTable::new()
        .add("/health", Access::Public, get(health::health))
        .add("/api/v1/health", Access::Public, get(health::health))
        .add("/api/{*path}", Access::Public, any(api_not_found))
        .into_router();

    // Pages and server functions. Leptos registers its own paths; they get the same pipeline.
    let backend: app::backend::SharedBackend = std::sync::Arc::new(ServerBackend::new(state.clone()));
    let pages = Router::new()
        .leptos_routes_with_context(
            &state,
            generate_route_list(App),
            move || provide_context(backend.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell));
    let pages = pipeline::guard(pages, Access::Public);

    pipeline::layers(api.merge(pages)).with_state(state)
}

/// Unknown API paths answer in JSON, not with the HTML 404 page.
async fn api_not_found(uri: axum::http::Uri) -> AppError {
    AppError::NotFound(format!("the API path {}", uri.path()))
}
