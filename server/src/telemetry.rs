//! Logging: `tracing` to stderr, as text or JSON lines, filtered by the settings.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};
use crate::error::AppError;

pub fn init(settings: &Settings) -> Result<(), AppError> {
    let filter = EnvFilter::try_new(&settings.log_filter)
        .map_err(|err| AppError::Config(format!("invalid log filter '{}': {err}", settings.log_filter)))?;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let installed = match settings.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
    };
    // A subscriber already installed (tests) is fine: keep it.
    let _ = installed;
    Ok(())
}
