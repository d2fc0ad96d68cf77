//! `swipesavvy simulate --to-db`: loads the simulator's world (campaigns, creatives, spend) into
//! the catalogue and its events through the ingestion path (validation, deduplication,
//! rollups), and writes the ground truth. Re-running with the same seed adds nothing new: the
//! campaigns exist and the events are recognised as duplicates.
//!
//! `--experiments N` runs creative tests with known true effects on the first N campaigns (see
//! `analytics::simulator`) and records them as experiments that started on their campaign's day:
//! backdated, so only the direct load creates them (`--to-url` refuses them).

use std::path::Path;
use std::time::Instant;

use analytics::simulator::{self, SimConfig, Truth, World};
use chrono::{DateTime, Duration, Utc};
use futures_util::StreamExt;
use sea_orm::{ActiveModelTrait, EntityTrait, Set, TransactionTrait};

use crate::entities::{campaigns, creatives, experiments, spend};
use crate::error::{AppError, Result};
use crate::ingest::{self, MAX_BATCH, Producer};
use crate::progress::{Progress, Unit};
use crate::state::AppState;

/// What a load did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadSummary {
    pub events: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub rejected: u64,
}

impl LoadSummary {
    /// Counts what ingestion said of one batch (an event with several problems is one rejected).
    fn add(&mut self, result: &app::wire::IngestResult) {
        self.accepted += result.accepted as u64;
        self.duplicates += result.duplicates as u64;
        self.rejected += result.rejected.iter().map(|r| r.index).collect::<std::collections::BTreeSet<_>>().len() as u64;
    }
}

/// Writes the world's campaigns, creatives and spend, skipping campaigns already there.
pub async fn load_catalogue(state: &AppState, world: &World, now: DateTime<Utc>) -> Result<()> {
    let txn = state.db.begin().await?;
    for campaign in &world.campaigns {
        if campaigns::Entity::find_by_id(campaign.id).one(&txn).await?.is_some() {
            continue;
        }
        let delivered_at = world.config.start + Duration::days(i64::from(campaign.day));
        let window_end = delivered_at + Duration::days(1 + simulator::WINDOW_DAYS);
        let status = if window_end <= now { "completed" } else { "active" };
        campaigns::ActiveModel {
            id: Set(campaign.id),
            name: Set(campaign.name.clone()),
            campaign_type: Set(campaign.campaign_type.as_str().to_owned()),
            status: Set(status.to_owned()),
            budget_cents: Set(campaign.budget_cents),
            holdout_share_bp: Set((world.config.holdout_share * 10_000.0).round() as i32),
            channels: Set(campaign.channel.as_str().to_owned()),
            target_segments: Set(campaign.target_segments.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")),
            target_regions: Set(String::new()),
            consent_method: Set(Some("double_opt_in".to_owned())),
            has_opt_out_link: Set(true),
            shares_data_with_third_parties: Set(false),
            frequency_cap_per_week: Set(None),
            starts_at: Set(Some(delivered_at)),
            ends_at: Set(Some(window_end)),
            created_by: Set("simulator".to_owned()),
            created_at: Set(delivered_at - Duration::days(1)),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
        for creative in &campaign.creatives {
            creatives::ActiveModel {
                id: Set(creative.id),
                campaign_id: Set(campaign.id),
                name: Set(creative.name.clone()),
                headline: Set(creative.headline.clone()),
                body: Set(creative.body.clone()),
                call_to_action: Set(creative.call_to_action.clone()),
                status: Set(app::wire::CreativeStatus::Active.as_str().to_owned()),
                weight_percent: Set(100),
                created_at: Set(delivered_at - Duration::days(1)),
            }
            .insert(&txn)
            .await?;
        }
        for line in world.spend.iter().filter(|s| s.campaign_id == campaign.id) {
            spend::ActiveModel {
                id: sea_orm::ActiveValue::NotSet,
                campaign_id: Set(line.campaign_id),
                channel: Set(line.channel.as_str().to_owned()),
                period_start: Set(line.day_start),
                granularity: Set("day".to_owned()),
                amount_cents: Set(line.amount_cents),
                recorded_by: Set("simulator".to_owned()),
                recorded_at: Set(now),
            }
            .insert(&txn)
            .await?;
        }
    }
    txn.commit().await?;
    Ok(())
}

/// Batches `to_db` ingests at once.
const IN_FLIGHT: usize = 4;

/// Simulates `config` into the database; returns the truth and what the ingestion did.
pub async fn to_db(state: &AppState, config: SimConfig, mut progress: impl FnMut(u32, &LoadSummary)) -> Result<(Truth, LoadSummary)> {
    config.check().map_err(AppError::Config)?;
    let world = simulator::world(&config);
    load_catalogue(state, &world, state.clock.now()).await?;

    // The model runs on a blocking thread and hands over one day at a time: memory holds a day.
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u32, Vec<serde_json::Value>)>(2);
    let generator = tokio::task::spawn_blocking(move || {
        simulator::run(&world, |day, events| {
            let _ = tx.blocking_send((day, events));
        })
    });
    // History is older than 30 days when the simulation is long: load it as a backfill.
    let producer = Producer { key_id: None, rules: analytics::events::Rules { allow_backfill: true } };
    let mut summary = LoadSummary::default();
    while let Some((day, events)) = rx.recv().await {
        let mut events = events.into_iter().peekable();
        let mut batches = Vec::new();
        while events.peek().is_some() {
            batches.push(events.by_ref().take(MAX_BATCH).collect::<Vec<serde_json::Value>>());
        }
        summary.events += batches.iter().map(|b| b.len() as u64).sum::<u64>();
        // Several batches at once, as producers send them: one alone leaves a core idle while it
        // waits on the database. A duplicate stored by a concurrent batch is decided again.
        let mut results = futures_util::stream::iter(batches.into_iter().map(|batch| ingest::ingest(state, batch, producer))).buffer_unordered(IN_FLIGHT);
        while let Some(result) = results.next().await {
            summary.add(&result?);
        }
        progress(day, &summary);
    }
    let truth = generator.await.map_err(|err| AppError::Internal(err.into()))?;
    load_experiments(state, &truth, state.clock.now()).await?;
    Ok((truth, summary))
}

/// Records the truth's experiments as creative tests of their campaigns (arms labelled with the
/// creatives' names), running if their planned end is still ahead, else stopped at it; those
/// already there (a rerun) are left as they are.
pub async fn load_experiments(state: &AppState, truth: &Truth, now: DateTime<Utc>) -> Result<()> {
    use app::wire::ExperimentStatus;
    if truth.experiments.is_empty() {
        return Ok(());
    }
    let txn = state.db.begin().await?;
    for experiment in &truth.experiments {
        if experiments::Entity::find_by_id(experiment.id).one(&txn).await?.is_some() {
            continue;
        }
        let campaign = campaigns::Entity::find_by_id(experiment.campaign_id)
            .one(&txn)
            .await?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the simulated experiment {}'s campaign is missing", experiment.id)))?;
        let mut arms = Vec::with_capacity(experiment.arms.len());
        for arm in &experiment.arms {
            let creative = creatives::Entity::find_by_id(arm.creative_id)
                .one(&txn)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the simulated experiment {}'s creative {} is missing", experiment.id, arm.creative_id)))?;
            arms.push(crate::services::experiments::ArmSpec { label: creative.name, share_bp: arm.share_bp, creative_id: Some(arm.creative_id), campaign_id: None });
        }
        let ends = experiment.started_at + Duration::days(i64::from(experiment.duration_days));
        let (status, stopped_at) = if ends > now { (ExperimentStatus::Running, None) } else { (ExperimentStatus::Stopped, Some(ends)) };
        let aa = experiment.arms.iter().all(|a| a.click_multiplier == 1.0);
        experiments::ActiveModel {
            id: Set(experiment.id),
            name: Set(format!("{}: {}", if aa { "Simulated A/A test" } else { "Simulated creative test" }, campaign.name)),
            kind: Set(app::wire::ExperimentKind::Creative.as_str().to_owned()),
            campaign_id: Set(Some(experiment.campaign_id)),
            status: Set(status.as_str().to_owned()),
            arms: Set(serde_json::to_value(&arms).map_err(|e| AppError::Internal(e.into()))?),
            control: Set(0),
            primary_metric: Set(analytics::experiment::Metric::ClickRate.as_str().to_owned()),
            guardrails: Set(analytics::experiment::Metric::UnsubscribeRate.as_str().to_owned()),
            covariate: Set(analytics::experiment::Covariate::Spend.as_str().to_owned()),
            minimum_effect: Set(0.2),
            alpha: Set(0.05),
            power: Set(0.8),
            duration_days: Set(experiment.duration_days as i32),
            baseline: Set(None),
            auto_ship: Set(false),
            started_at: Set(Some(experiment.started_at)),
            stopped_at: Set(stopped_at),
            winner_arm: Set(None),
            decision: Set(Some(format!(
                "Simulated by swipesavvy simulate (seed {}): each arm's true click effect is in the ground-truth file",
                truth.config.seed
            ))),
            imported: Set(None),
            created_by: Set("simulator".to_owned()),
            created_at: Set(experiment.started_at),
            updated_at: Set(now),
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Why `--to-url` (and `--live`) take no `--experiments`.
const EXPERIMENTS_NEED_DB: &str = "--experiments needs --to-db: simulated experiments start on their campaign's day in the past, and the API starts a test only now";

/// Where `swipesavvy simulate` sends its world.
pub enum Target<'a> {
    Database(&'a AppState),
    Url { base: String, api_key: String },
}

/// `swipesavvy simulate`, printing progress and a summary, writing the truth file.
pub async fn run(target: Target<'_>, config: SimConfig, truth_path: Option<&Path>) -> Result<()> {
    let started = Instant::now();
    let days = config.days;
    let mut bar = Progress::new("simulate", Some(u64::from(days)), Unit::Items);
    let progress = |day: u32, s: &LoadSummary| bar.update(u64::from(day) + 1, s.events, "events");
    let result = match target {
        Target::Database(state) => to_db(state, config, progress).await,
        Target::Url { base, api_key } => to_url(&base, &api_key, config, progress).await,
    };
    bar.finish();
    let (truth, summary) = result?;
    if let Some(path) = truth_path {
        let text = serde_json::to_string_pretty(&truth).map_err(|e| AppError::Internal(e.into()))?;
        std::fs::write(path, text).map_err(|err| AppError::Config(format!("cannot write the truth file {}: {err}", path.display())))?;
    }
    println!(
        "simulated {} users over {} days with {} campaigns: {} events ({} stored, {} already there, {} rejected) in {:.1?}{}",
        truth.config.users,
        truth.config.days,
        truth.campaigns.len(),
        summary.events,
        summary.accepted,
        summary.duplicates,
        summary.rejected,
        started.elapsed(),
        match truth.experiments.len() {
            0 => String::new(),
            n => format!("; {n} experiments with known effects (in the truth file)"),
        }
    );
    Ok(())
}

/// Simulates `config` into a running SwipeSavvy over its public API, as a real producer would:
/// campaigns through the catalogue, spend through the ledger, events in batches. The key needs
/// the `catalogue`, `events` and (for history older than 30 days) `backfill` scopes. Busy
/// answers (429) and failures are retried: ingestion is idempotent, so a retry never doubles.
pub async fn to_url(base: &str, api_key: &str, config: SimConfig, mut progress: impl FnMut(u32, &LoadSummary)) -> Result<(Truth, LoadSummary)> {
    config.check().map_err(AppError::Config)?;
    if config.experiments > 0 {
        return Err(AppError::Config(EXPERIMENTS_NEED_DB.to_owned()));
    }
    let base = base.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .map_err(|e| AppError::Internal(e.into()))?;
    let world = simulator::world(&config);
    create_catalogue(&client, &base, api_key, &world).await?;

    let (tx, mut rx) = tokio::sync::mpsc::channel::<(u32, Vec<serde_json::Value>)>(2);
    let generator = tokio::task::spawn_blocking(move || {
        simulator::run(&world, |day, events| {
            let _ = tx.blocking_send((day, events));
        })
    });
    let mut summary = LoadSummary::default();
    while let Some((day, events)) = rx.recv().await {
        let mut events = events.into_iter().peekable();
        while events.peek().is_some() {
            let batch: Vec<serde_json::Value> = events.by_ref().take(MAX_BATCH).collect();
            summary.events += batch.len() as u64;
            let response = send(&client, &format!("{base}/api/v1/events"), api_key, &batch).await?;
            if !response.status().is_success() {
                return Err(refused("sending events", response).await);
            }
            let result: app::wire::IngestResult = response.json().await.map_err(|e| AppError::Internal(e.into()))?;
            summary.add(&result);
        }
        progress(day, &summary);
    }
    let truth = generator.await.map_err(|err| AppError::Internal(err.into()))?;
    Ok((truth, summary))
}

/// Creates the world's campaigns (with their creatives) through the catalogue API and records
/// the spend of those it created; campaigns already there (a rerun) are left as they are.
async fn create_catalogue(client: &reqwest::Client, base: &str, api_key: &str, world: &World) -> Result<()> {
    let mut created = std::collections::HashSet::new();
    for campaign in &world.campaigns {
        let request = app::wire::NewCampaignRequest {
            id: Some(campaign.id),
            name: campaign.name.clone(),
            campaign_type: campaign.campaign_type,
            channels: vec![campaign.channel],
            target_segments: campaign.target_segments.clone(),
            target_regions: Vec::new(),
            budget_cents: campaign.budget_cents,
            starts_at: None,
            ends_at: None,
            holdout_percent: Some(world.config.holdout_share * 100.0),
            creatives: campaign
                .creatives
                .iter()
                .map(|c| app::wire::CreativeInput {
                    id: Some(c.id),
                    name: c.name.clone(),
                    headline: c.headline.clone(),
                    body: c.body.clone(),
                    call_to_action: c.call_to_action.clone(),
                })
                .collect(),
            consent_method: Some(analytics::events::ConsentMethod::DoubleOptIn),
            has_opt_out_link: true,
            shares_data_with_third_parties: false,
            frequency_cap_per_week: None,
        };
        let response = send(client, &format!("{base}/api/v1/campaigns"), api_key, &request).await?;
        // A campaign already there (a rerun) is fine; its spend was recorded with it.
        match response.status() {
            s if s.is_success() => {
                created.insert(campaign.id);
            }
            reqwest::StatusCode::CONFLICT => {}
            _ => return Err(refused("creating a campaign", response).await),
        }
    }
    let spend = app::wire::SpendRequest {
        entries: world
            .spend
            .iter()
            .filter(|s| created.contains(&s.campaign_id))
            .map(|s| app::wire::SpendEntry {
                campaign_id: s.campaign_id,
                channel: s.channel,
                period_start: s.day_start,
                granularity: "day".to_owned(),
                amount_cents: s.amount_cents,
            })
            .collect(),
    };
    if !spend.entries.is_empty() {
        let response = send(client, &format!("{base}/api/v1/spend"), api_key, &spend).await?;
        if !response.status().is_success() {
            return Err(refused("recording spend", response).await);
        }
    }
    Ok(())
}

/// How often `--live` re-reads the campaigns' state from the product.
pub const LIVE_REFRESH: std::time::Duration = std::time::Duration::from_secs(2);
/// How often `--live` sends a batch.
const LIVE_TICK: std::time::Duration = std::time::Duration::from_millis(500);

/// `swipesavvy simulate --live`: creates the world's campaigns (if missing), then produces
/// events in real time at about `events_per_second`, re-reading each campaign's state through
/// `GET /api/v1/campaigns/{id}` every [`LIVE_REFRESH`] and obeying it (see
/// `analytics::simulator::live`). Runs until ctrl-c, or for `run_for` when given.
pub async fn live(base: &str, api_key: &str, config: SimConfig, events_per_second: f64, run_for: Option<std::time::Duration>) -> Result<()> {
    config.check().map_err(AppError::Config)?;
    if config.experiments > 0 {
        return Err(AppError::Config(format!("{EXPERIMENTS_NEED_DB} (a live simulation follows the tests started in the product)")));
    }
    if !(events_per_second > 0.0 && events_per_second <= 100_000.0) {
        return Err(AppError::Config("--rate must be between 0 and 100,000 events per second".to_owned()));
    }
    let base = base.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .map_err(|e| AppError::Internal(e.into()))?;
    let world = simulator::world(&config);
    create_catalogue(&client, &base, api_key, &world).await?;
    let mut model = simulator::live::LiveModel::new(&world);

    let started = Instant::now();
    let mut progress = Progress::new("simulate --live", None, Unit::Items);
    let mut campaigns: Vec<simulator::live::LiveCampaign> = Vec::new();
    let mut refreshed: Option<Instant> = None;
    let mut sent: u64 = 0;
    let mut ticker = tokio::time::interval(LIVE_TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let per_tick = events_per_second * LIVE_TICK.as_secs_f64();
    let mut carry = 0.0;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = tokio::signal::ctrl_c() => break,
        }
        if run_for.is_some_and(|limit| started.elapsed() >= limit) {
            break;
        }
        if refreshed.is_none_or(|at| at.elapsed() >= LIVE_REFRESH) {
            campaigns = read_campaigns(&client, &base, api_key, &world).await?;
            refreshed = Some(Instant::now());
        }
        let due = carry + per_tick;
        let count = due.floor();
        carry = due - count;
        let now = Utc::now();
        let events = model.tick(&campaigns, now, Duration::milliseconds(LIVE_TICK.as_millis() as i64), count as usize);
        for batch in events.chunks(MAX_BATCH) {
            let response = send(&client, &format!("{base}/api/v1/events"), api_key, &batch).await?;
            if !response.status().is_success() {
                return Err(refused("sending events", response).await);
            }
            sent += batch.len() as u64;
        }
        progress.update(sent, sent, "events");
    }
    progress.finish();
    let paused = campaigns.iter().filter(|c| !c.delivers()).count();
    println!("sent {sent} live events in {:.1?} ({} campaigns, {paused} stopped by the product)", started.elapsed(), campaigns.len());
    Ok(())
}

/// GETs JSON; `None` when the product answers 404.
async fn get_json<T: serde::de::DeserializeOwned>(client: &reqwest::Client, base: &str, path: &str, api_key: &str, what: &str) -> Result<Option<T>> {
    let response = client
        .get(format!("{base}{path}"))
        .bearer_auth(api_key)
        .send()
        .await
        .map_err(|err| AppError::Config(format!("cannot reach {base}: {err}")))?;
    if response.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !response.status().is_success() {
        return Err(refused(what, response).await);
    }
    response.json().await.map(Some).map_err(|e| AppError::Internal(e.into()))
}

/// The creative tests running on the world's campaigns, by campaign (`GET /api/v1/experiments`,
/// then each running one's arms from `GET /api/v1/experiments/{id}`).
async fn read_experiments(client: &reqwest::Client, base: &str, api_key: &str, world: &World) -> Result<std::collections::HashMap<uuid::Uuid, simulator::live::LiveExperiment>> {
    use app::wire::{ExperimentKind, ExperimentStatus};
    let mut running = std::collections::HashMap::new();
    let summaries: Vec<app::wire::ExperimentSummary> = get_json(client, base, "/api/v1/experiments", api_key, "listing the experiments").await?.unwrap_or_default();
    for summary in summaries {
        let Some(campaign) = summary.campaign_id else { continue };
        if summary.status != ExperimentStatus::Running
            || summary.kind != ExperimentKind::Creative
            || running.contains_key(&campaign)
            || !world.campaigns.iter().any(|c| c.id == campaign)
        {
            continue;
        }
        let path = format!("/api/v1/experiments/{}", summary.id);
        let Some(view) = get_json::<app::wire::ExperimentView>(client, base, &path, api_key, "reading an experiment").await? else { continue };
        if view.status != ExperimentStatus::Running {
            continue;
        }
        // A creative test's arms are creatives; one without (never stored) is skipped.
        let Some(creatives) = view.arms.iter().map(|a| a.creative_id).collect::<Option<Vec<_>>>() else { continue };
        let shares_bp = view.arms.iter().map(|a| (a.share_percent * 100.0).round() as u32).collect();
        running.insert(campaign, simulator::live::LiveExperiment { id: view.id, shares_bp, creatives });
    }
    Ok(running)
}

/// The world's campaigns as the product has them now; one the product no longer knows sends nothing.
async fn read_campaigns(client: &reqwest::Client, base: &str, api_key: &str, world: &World) -> Result<Vec<simulator::live::LiveCampaign>> {
    let mut experiments = read_experiments(client, base, api_key, world).await?;
    let mut campaigns = Vec::with_capacity(world.campaigns.len());
    for campaign in &world.campaigns {
        let response = client
            .get(format!("{base}/api/v1/campaigns/{}", campaign.id))
            .bearer_auth(api_key)
            .send()
            .await
            .map_err(|err| AppError::Config(format!("cannot reach {base}: {err}")))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            continue;
        }
        if !response.status().is_success() {
            return Err(refused("reading a campaign", response).await);
        }
        let view: app::wire::CampaignView = response.json().await.map_err(|e| AppError::Internal(e.into()))?;
        campaigns.push(simulator::live::LiveCampaign {
            id: view.id,
            campaign_type: view.campaign_type,
            channel: view.channels.first().copied().unwrap_or(campaign.channel),
            target_segments: view.target_segments,
            // A paused creative is not sent (a draft test's challenger, a shipped test's losers).
            creatives: view.creatives.iter().filter(|c| c.status == app::wire::CreativeStatus::Active).map(|c| c.id).collect(),
            status: view.status,
            budget_cents: view.budget_cents,
            holdout_share: view.holdout_percent / 100.0,
            frequency_cap_per_week: view.frequency_cap_per_week,
            experiment: experiments.remove(&view.id),
        });
    }
    Ok(campaigns)
}

/// POSTs JSON, waiting out 429s (their `Retry-After`) and retrying failures a few times.
async fn send<T: serde::Serialize>(client: &reqwest::Client, url: &str, key: &str, body: &T) -> Result<reqwest::Response> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match client.post(url).bearer_auth(key).json(body).send().await {
            Ok(response) if response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS && attempt < 20 => {
                let wait = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1);
                tokio::time::sleep(std::time::Duration::from_secs(wait.min(60))).await;
            }
            Ok(response) if response.status().is_server_error() && attempt < 5 => {
                tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await;
            }
            Ok(response) => return Ok(response),
            Err(_) if attempt < 5 => tokio::time::sleep(std::time::Duration::from_millis(500 * attempt)).await,
            Err(err) => return Err(AppError::Config(format!("cannot reach {url}: {err}"))),
        }
    }
}

async fn refused(what: &str, response: reqwest::Response) -> AppError {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    AppError::Config(format!("{what} was refused with {status}: {}", body.chars().take(500).collect::<String>()))
}
