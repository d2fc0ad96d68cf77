//! Server functions: called directly while rendering on the server, over HTTP from the browser.
//! Each one only validates its input and delegates to the server's [`crate::backend::Backend`].

use leptos::prelude::*;
use leptos::server;

use crate::wire::{EventVolume, HealthReport, LatencySample};

/// The longest window the event-volume chart may ask for: 30 days of hours.
pub const MAX_VOLUME_HOURS: u32 = 720;

#[server]
pub async fn load_health() -> Result<HealthReport, ServerFnError> {
    Ok(crate::backend::backend()?.health().await)
}

#[server]
pub async fn load_database_latency() -> Result<Vec<LatencySample>, ServerFnError> {
    Ok(crate::backend::backend()?.database_latency().await)
}

#[server]
pub async fn load_event_volume(hours: u32) -> Result<EventVolume, ServerFnError> {
    if hours == 0 || hours > MAX_VOLUME_HOURS {
        return Err(ServerFnError::new(format!(
            "hours must be between 1 and {MAX_VOLUME_HOURS}, got {hours}"
        )));
    }
    crate::backend::backend()?.event_volume(hours).await
}
