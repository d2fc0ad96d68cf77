//! Wiring: connect, migrate, build the state and router, start jobs, listen.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Settings;
use crate::error::{AppError, Result};
use crate::state::AppState;
use crate::{db, http, jobs};

/// A bound, ready-to-run server. Tests build one on port 0.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub state: AppState,
    /// Every route with its declared access (the route-by-role tests walk it).
    pub inventory: std::sync::Arc<http::pipeline::Inventory>,
}

impl Application {
    /// Connects to and migrates the database, binds the listener, starts background jobs.
    pub async fn build(settings: Settings, clock: Clock) -> Result<Application> {
        let db = db::connect(&settings.database).await?;
        db::migrate_up(&db).await?;
        let listener = TcpListener::bind(settings.addr)
            .await
            .map_err(|err| AppError::Config(format!("cannot listen on {}: {err}", settings.addr)))?;
        let state = AppState::new(db, settings, clock);
        state.audit.check_key(&state.db).await?;
        state.metrics.load(&state.db).await?;
        let (router, inventory) = http::router(state.clone())?;
        tokio::spawn(jobs::database_probe::run(state.clone()));
        tokio::spawn(jobs::change_feed::run(state.clone()));
        tokio::spawn(jobs::segmentation::run(state.clone()));
        tokio::spawn(jobs::data_refresh::run(state.clone()));
        tokio::spawn(jobs::audit_checkpoint::run(state.clone()));
        tokio::spawn(jobs::retention::run(state.clone()));
        tokio::spawn(jobs::experiments::run(state.clone()));
        tokio::spawn(jobs::recommendations::run(state.clone()));
        tokio::spawn(jobs::alerts::run(state.clone()));
        tokio::spawn(jobs::reports::run(state.clone()));
        // Pay for the decoy hash now, not in the first sign-in's timing.
        tokio::task::spawn_blocking(crate::auth::password::warm_up);
        Ok(Application { listener, router, state, inventory })
    }

    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.listener.local_addr().map_err(|err| AppError::Internal(err.into()))
    }

    /// Serves until ctrl-c or SIGTERM.
    pub async fn run_until_stopped(self) -> Result<()> {
        // Trailing slashes are trimmed before routing, so `/admin/` is `/admin`, with its access check.
        let app = tower::Layer::layer(&tower_http::normalize_path::NormalizePathLayer::trim_trailing_slash(), self.router);
        let app = axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<SocketAddr>(app);
        let served = axum::serve(self.listener, app).with_graceful_shutdown(shutdown_signal()).await.map_err(|err| AppError::Internal(err.into()));
        // The chain's head as it is at shutdown, so nothing written since the last hour can be cut.
        // A failure is logged inside.
        let _ = jobs::audit_checkpoint::once(&self.state).await;
        served
    }
}

/// `swipesavvy serve`.
pub async fn serve(settings: Settings, demo_accounts: bool, demo_data: bool) -> Result<()> {
    tracing::info!(
        database = %settings.database.describe(),
        addr = %settings.addr,
        site_root = %settings.site_root.display(),
        log_format = ?settings.log_format,
        "starting SwipeSavvy Analytics {}",
        env!("CARGO_PKG_VERSION")
    );
    if !settings.site_root.join("pkg").exists() {
        tracing::warn!(
            site_root = %settings.site_root.display(),
            "the built site is missing: pages render but will not hydrate; run `cargo xtask build` or pass --site-root"
        );
    }
    let app = Application::build(settings, Clock::system()).await?;
    if demo_accounts {
        crate::commands::create_demo_accounts(&app.state.db, app.state.clock.now()).await?;
    }
    if demo_data {
        use sea_orm::{EntityTrait, PaginatorTrait};
        if crate::entities::events::Entity::find().count(&app.state.db).await? == 0 {
            println!("Loading a simulated demo data set (30 days, 2,000 users, 12 campaigns)…");
            let days = 30;
            let config = analytics::simulator::SimConfig {
                seed: 42,
                users: 2_000,
                days,
                campaigns: 12,
                start: analytics::simulator::start_for(app.state.clock.now(), days),
                holdout_share: 0.10,
                faults: analytics::simulator::Faults::default(),
                experiments: 0,
            };
            crate::services::simulate::run(crate::services::simulate::Target::Database(&app.state), config, None).await?;
        }
    }
    let addr = app.local_addr()?;
    tracing::info!("listening on http://{addr}");
    println!("SwipeSavvy Analytics is running at http://{addr}");
    app.run_until_stopped().await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
