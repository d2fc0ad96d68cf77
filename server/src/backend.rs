//! The server's side of `app::backend::Backend`: what rendered pages and server functions read.

use app::backend::Backend;
use app::wire::{EventVolume, HealthReport, LatencySample};
use leptos::prelude::ServerFnError;

use crate::error::AppError;
use crate::services;
use crate::state::AppState;

pub struct ServerBackend {
    state: AppState,
}

impl ServerBackend {
    pub fn new(state: AppState) -> ServerBackend {
        ServerBackend { state }
    }
}

/// Server functions show the message of client errors; internal detail only goes to the log.
fn to_server_fn_error(err: AppError) -> ServerFnError {
    match err {
        AppError::Database(_) | AppError::Internal(_) | AppError::Config(_) => {
            tracing::error!(error = %err.one_line(), "server function failed");
            ServerFnError::new("something went wrong on our side; the error has been logged")
        }
        other => ServerFnError::new(other.to_string()),
    }
}

#[async_trait::async_trait]
impl Backend for ServerBackend {
    async fn health(&self) -> HealthReport {
        services::health::check(&self.state).await
    }

    async fn database_latency(&self) -> Vec<LatencySample> {
        self.state.latency_history.snapshot()
    }

    async fn event_volume(&self, hours: u32) -> Result<EventVolume, ServerFnError> {
        services::event_volume::hourly(&self.state.db, self.state.clock.now(), hours).await.map_err(to_server_fn_error)
    }
}
