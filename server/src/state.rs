//! The application state every handler and job shares: cheap to clone, `Arc`s inside.

use std::sync::Arc;

use axum::extract::FromRef;
use chrono::{DateTime, Utc};
use leptos::config::LeptosOptions;
use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::config::Settings;
use crate::auth::rate_limit::KeyRateLimit;
use crate::auth::throttle::LoginThrottle;
use crate::jobs::database_probe::LatencyHistory;
use crate::services::metrics::MetricsHub;
use crate::services::system_log::PendingProbes;

#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    /// When this server started, by its clock.
    pub started_at: DateTime<Utc>,
    pub latency_history: LatencyHistory,
    pub login_throttle: LoginThrottle,
    pub key_rate_limit: KeyRateLimit,
    /// The in-memory metrics rollup (filled by `MetricsHub::load` at start).
    pub metrics: MetricsHub,
    /// Live views computed at the latest version, shared by WebSocket clients.
    pub live_views: crate::http::live::LiveViews,
    /// Health probes waiting to be written (metric 24).
    pub probe_log: PendingProbes,
    /// The audit log's key and checkpoint file.
    pub audit: crate::services::audit::Audit,
    /// The API's latency and errors of the last hour, measured here (Module 9).
    pub request_stats: crate::http::request_stats::RequestStats,
    /// Dashboard views computed once per store version and few seconds, shared by requests.
    pub views: crate::http::view_cache::ViewCache,
    /// Recommendations each engine run opened, for the live WebSocket.
    pub new_recommendations: tokio::sync::broadcast::Sender<Arc<Vec<app::wire::RecommendationNotice>>>,
    /// One engine run at a time in this process: the schedule's and a refresh's runs would
    /// otherwise both try to open the same situation.
    pub engine_turn: Arc<tokio::sync::Mutex<()>>,
    /// What each background job did last (Module 9's job list).
    pub jobs: crate::jobs::board::JobBoard,
    pub leptos_options: LeptosOptions,
}

impl AppState {
    pub fn new(db: DatabaseConnection, settings: Settings, clock: Clock) -> AppState {
        let leptos_options = LeptosOptions::builder()
            .output_name("swipesavvy")
            .site_root(settings.site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(settings.addr)
            .build();
        let key_rate_limit = KeyRateLimit::new(settings.key_requests_per_minute);
        AppState {
            db,
            started_at: clock.now(),
            clock,
            latency_history: LatencyHistory::default(),
            login_throttle: LoginThrottle::default(),
            key_rate_limit,
            metrics: MetricsHub::new(settings.metrics.clone()),
            probe_log: PendingProbes::default(),
            live_views: Default::default(),
            audit: crate::services::audit::Audit::new(&settings),
            request_stats: Default::default(),
            views: Default::default(),
            new_recommendations: tokio::sync::broadcast::channel(16).0,
            engine_turn: Default::default(),
            jobs: Default::default(),
            settings: Arc::new(settings),
            leptos_options,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
