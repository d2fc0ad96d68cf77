//! Server functions: called directly while rendering on the server, over HTTP from the browser.
//! Each one only validates its input and delegates to the server's [`crate::backend::Backend`].
//! Each declares its access in [`SERVER_FN_ACCESS`]; the server refuses to start if one does not.

use leptos::prelude::*;
use leptos::server;

use crate::access::{Access, Capability, Me, Module};
use crate::wire::{EventVolume, HealthReport, LatencySample};

/// The longest window the event-volume chart may ask for: 30 days of hours.
pub const MAX_VOLUME_HOURS: u32 = 720;

/// Where server functions are mounted.
pub const PREFIX: &str = "/api/fn";

/// The access each server function requires, by its path. Checked by the request pipeline.
pub const SERVER_FN_ACCESS: &[(&str, Access)] = &[
    ("/api/fn/load_me", Access::Public),
    ("/api/fn/load_health", Access::Requires(Capability::View(Module::SystemHealth))),
    ("/api/fn/load_database_latency", Access::Requires(Capability::View(Module::SystemHealth))),
    ("/api/fn/load_event_volume", Access::Requires(Capability::View(Module::KpiCards))),
];

/// Who is signed in, if anyone (the sign-in page asks too, so it is public).
#[server(prefix = "/api/fn", endpoint = "load_me")]
pub async fn load_me() -> Result<Option<Me>, ServerFnError> {
    Ok(crate::backend::caller().principal().map(Me::of))
}

#[server(prefix = "/api/fn", endpoint = "load_health")]
pub async fn load_health() -> Result<HealthReport, ServerFnError> {
    Ok(crate::backend::backend()?.health().await)
}

#[server(prefix = "/api/fn", endpoint = "load_database_latency")]
pub async fn load_database_latency() -> Result<Vec<LatencySample>, ServerFnError> {
    Ok(crate::backend::backend()?.database_latency().await)
}

#[server(prefix = "/api/fn", endpoint = "load_event_volume")]
pub async fn load_event_volume(hours: u32) -> Result<EventVolume, ServerFnError> {
    if hours == 0 || hours > MAX_VOLUME_HOURS {
        return Err(ServerFnError::new(format!(
            "hours must be between 1 and {MAX_VOLUME_HOURS}, got {hours}"
        )));
    }
    crate::backend::backend()?.event_volume(hours).await
}
