//! What the rendered pages need from the server, as a trait the server implements.
//!
//! Server functions live in this crate (the browser needs their client halves), but the queries
//! live in the server crate; the server provides an implementation of [`Backend`] as Leptos
//! context, and server functions reach it through [`backend`]. This keeps the database out of
//! the browser build entirely.

use std::sync::Arc;

use leptos::prelude::*;

use crate::wire::{EventVolume, HealthReport, LatencySample};

#[async_trait::async_trait]
pub trait Backend: Send + Sync + 'static {
    /// A fresh health check (database round trip included).
    async fn health(&self) -> HealthReport;
    /// The recent periodic database probes, oldest first.
    async fn database_latency(&self) -> Vec<LatencySample>;
    /// Ingested events per hour for the `hours` hours ending now.
    async fn event_volume(&self, hours: u32) -> Result<EventVolume, ServerFnError>;
}

pub type SharedBackend = Arc<dyn Backend>;

/// Who is calling: the server's pipeline stores it in the request's extensions, which Leptos
/// hands to pages and server functions as `http::request::Parts`.
pub fn caller() -> crate::access::Caller {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<crate::access::Caller>().cloned())
        .unwrap_or(crate::access::Caller::Anonymous)
}

/// The server's [`Backend`], from context.
pub fn backend() -> Result<SharedBackend, ServerFnError> {
    use_context::<SharedBackend>()
        .ok_or_else(|| ServerFnError::new("the server did not provide its backend to the page"))
}
