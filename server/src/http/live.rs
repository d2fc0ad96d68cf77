//! `GET /api/v1/live`: a WebSocket that pushes KPI updates as events are committed.
//!
//! Protocol (JSON text frames):
//! - the client sends `{"type": "subscribe", "filters": {"segment": "VIP", "from": "2026-11-01", …}}`
//!   (the query parameters of `/api/v1/metrics`, as strings); it may send it again to change them;
//! - to people who may see the Action Center, `{"type": "recommendations", "opened": [...]}` as
//!   soon as an engine run finds new ones (id, type, priority level, title, priority score);
//! - the server answers `{"type": "snapshot", "version", "metrics", "leaderboard"}` (the five KPI
//!   cards and the top 10 campaigns), then after each change `{"type": "update", "version",
//!   "metrics", "leaderboard"}` with only the metrics whose value changed and the leaderboard if it
//!   changed; a bad subscription gets `{"type": "error", "errors": [{field, reason}]}`.
//!
//! Changes are coalesced: a client gets at most one update per `COALESCE` however many batches
//! commit. A client that cannot take a message within `SEND_TIMEOUT` is disconnected, so a slow
//! reader never makes the server buffer for it; one that falls behind the change feed skips to
//! the latest state. Reconnecting and subscribing again starts with a fresh snapshot.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use analytics::metrics::compute::{Parts, Window, second_ceil, tally_windows};
use analytics::metrics::{KPI_CARDS, MetricValue, Query as MetricQuery, SortColumn, Tally};
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use app::wire::LeaderboardRow;

use super::metrics::{leaderboard_rows_of, parse_scope};
use crate::error::AppError;
use crate::services::system_log;
use crate::state::AppState;

/// The shortest time between two updates to one client.
const COALESCE: StdDuration = StdDuration::from_millis(250);
/// A client that cannot take a message in this time is dropped.
const SEND_TIMEOUT: StdDuration = StdDuration::from_secs(5);
/// Leaderboard rows pushed.
const TOP: usize = 10;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientMessage {
    Subscribe {
        #[serde(default)]
        filters: HashMap<String, String>,
    },
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ServerMessage<'a> {
    Snapshot { version: u64, metrics: &'a [MetricValue], leaderboard: &'a [LeaderboardRow] },
    Update { version: u64, metrics: Vec<&'a MetricValue>, #[serde(skip_serializing_if = "Option::is_none")] leaderboard: Option<&'a [LeaderboardRow]> },
    Error { errors: Vec<app::wire::FieldError> },
    Recommendations { opened: &'a [app::wire::RecommendationNotice] },
}

/// What a client is shown for its filters at one version.
struct View {
    version: u64,
    metrics: Vec<MetricValue>,
    leaderboard: Vec<LeaderboardRow>,
}

#[utoipa::path(get, path = "/api/v1/live", tag = "metrics", description = "Upgrades to a WebSocket: send `{\"type\": \"subscribe\", \"filters\": {...}}`, receive a `snapshot` then `update`s of the KPI cards and the top campaigns", responses((status = 101, description = "Switching to the WebSocket protocol"), (status = 403, body = app::wire::ErrorBody, description = "A cross-site upgrade")))]
pub async fn live(State(state): State<AppState>, caller: Option<axum::Extension<app::access::Caller>>, upgrade: WebSocketUpgrade) -> Response {
    let sees_actions = caller.is_some_and(|axum::Extension(c)| c.principal().is_some_and(|p| p.role.allows(app::access::Capability::View(app::access::Module::ActionCenter))));
    upgrade.max_message_size(64 * 1024).on_upgrade(move |socket| serve(state, socket, sees_actions))
}

async fn serve(state: AppState, mut socket: WebSocket, sees_actions: bool) {
    let mut changes = state.metrics.subscribe();
    let mut recommendations = state.new_recommendations.subscribe();
    // The subscription's filters as sent; a `range` is resolved again at each computation, so
    // "the last 7 days" keeps ending now.
    let mut subscription: Option<Vec<(String, String)>> = None;
    let mut shown: Option<Arc<View>> = None;
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(Message::Text(text))) => text,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                match parse_subscription(&text, state.clock.now()) {
                    Ok(pairs) => {
                        subscription = Some(pairs);
                        shown = None;
                    }
                    Err(errors) => {
                        if !send(&mut socket, &ServerMessage::Error { errors }).await {
                            return;
                        }
                        continue;
                    }
                }
            }
            opened = recommendations.recv(), if sees_actions => {
                match opened {
                    Ok(opened) => {
                        if !send(&mut socket, &ServerMessage::Recommendations { opened: &opened }).await {
                            return;
                        }
                    }
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
                continue;
            }
            change = changes.recv(), if shown.is_some() => {
                match change {
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
                // Let a burst settle, then take everything it brought at once.
                tokio::time::sleep(COALESCE).await;
                while !matches!(changes.try_recv(), Err(tokio::sync::broadcast::error::TryRecvError::Empty | tokio::sync::broadcast::error::TryRecvError::Closed)) {}
            }
        }
        let Some(pairs) = subscription.as_ref() else { continue };
        let view = match compute(&state, pairs).await {
            Ok(view) => view,
            Err(err) => {
                tracing::warn!(error = %err.one_line(), "live view not computed");
                continue;
            }
        };
        let message = match &shown {
            None => ServerMessage::Snapshot { version: view.version, metrics: &view.metrics, leaderboard: &view.leaderboard },
            Some(before) => {
                let changed: Vec<&MetricValue> = view
                    .metrics
                    .iter()
                    .filter(|m| before.metrics.iter().find(|b| b.id == m.id).is_none_or(|b| b.value != m.value || b.complete != m.complete))
                    .collect();
                let leaderboard_changed = before.leaderboard.len() != view.leaderboard.len()
                    || before.leaderboard.iter().zip(&view.leaderboard).any(|(a, b)| serde_json::to_value(a).ok() != serde_json::to_value(b).ok());
                if changed.is_empty() && !leaderboard_changed {
                    continue;
                }
                ServerMessage::Update { version: view.version, metrics: changed, leaderboard: leaderboard_changed.then_some(view.leaderboard.as_slice()) }
            }
        };
        if !send(&mut socket, &message).await {
            return;
        }
        shown = Some(view);
    }
}

/// The filters of a subscribe message, sorted, once they have been checked.
fn parse_subscription(text: &str, now: DateTime<Utc>) -> Result<Vec<(String, String)>, Vec<app::wire::FieldError>> {
    let field_error = |field: &str, reason: String| vec![app::wire::FieldError { field: field.to_owned(), reason }];
    let message: ClientMessage = serde_json::from_str(text).map_err(|e| field_error("message", format!("not a subscribe message: {e}")))?;
    let ClientMessage::Subscribe { filters } = message;
    let mut pairs: Vec<(String, String)> = filters.into_iter().collect();
    pairs.sort();
    parse_scope(&pairs, &[], now).map_err(|err| match err {
        AppError::Validation(errors) => errors,
        other => field_error("filters", other.one_line()),
    })?;
    Ok(pairs)
}

/// Sends one message, or reports that the client is gone or too slow.
async fn send(socket: &mut WebSocket, message: &ServerMessage<'_>) -> bool {
    let Ok(text) = serde_json::to_string(message) else { return false };
    matches!(tokio::time::timeout(SEND_TIMEOUT, socket.send(Message::Text(text.into()))).await, Ok(Ok(())))
}

/// The KPI cards and the top of the leaderboard for a scope, shared by every client with the
/// same filters at the same version.
async fn compute(state: &AppState, pairs: &[(String, String)]) -> crate::error::Result<Arc<View>> {
    let key = serde_json::to_string(pairs).unwrap_or_default();
    let version = state.metrics.version();
    if let Some(view) = state.live_views.get(&key, version) {
        return Ok(view);
    }
    // A change wakes every client at once: the first of a filter set computes, the others wait
    // for its answer instead of all computing the same thing.
    let gate = state.live_views.gate(&key);
    let _turn = gate.lock().await;
    if let Some(view) = state.live_views.get(&key, state.metrics.version()) {
        return Ok(view);
    }
    let now = state.clock.now();
    let scope = parse_scope(pairs, &[], now)?;
    let system = system_log::stats(&state.db).await?;
    let hub = state.metrics.clone();
    let view = tokio::task::spawn_blocking(move || {
        hub.read(|store| {
            let query = MetricQuery { store, system: &system, filter: &scope.filter, config: &hub.config, from: scope.from, to: scope.to, now };
            let to: DateTime<Utc> = scope.to.unwrap_or(now).min(now);
            let from = scope.from.unwrap_or(to - Duration::days(7));
            // The cards' windows and the leaderboard's in one walk over the users.
            let board = Window { from: second_ceil(from), to: second_ceil(to), parts: Parts::ALL };
            let mut windows = query.windows(&KPI_CARDS);
            windows.retain(|w| (w.from, w.to) != (board.from, board.to));
            windows.push(board);
            let tallies: HashMap<(i64, i64), Tally> = windows.iter().map(|w| (w.from, w.to)).zip(tally_windows(store, &scope.filter, &hub.config, &windows)).collect();
            let mut leaderboard = leaderboard_rows_of(store, &scope.filter, &tallies[&(board.from, board.to)], SortColumn::Roas, true);
            leaderboard.truncate(TOP);
            View { version: store.version, metrics: query.from_tallies(&KPI_CARDS, &tallies), leaderboard }
        })
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let view = Arc::new(view);
    state.live_views.put(key, view.clone());
    Ok(view)
}

/// Views computed at the latest version, by filter: a thousand clients on twenty filter sets cost
/// twenty computations per change, not a thousand.
#[derive(Clone, Default)]
pub struct LiveViews {
    views: Arc<std::sync::Mutex<(u64, HashMap<String, Arc<View>>)>>,
    /// One computation at a time per filter set.
    gates: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl LiveViews {
    fn gate(&self, key: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self.gates.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Filter sets nobody is computing any more are forgotten, so the map stays small.
        if gates.len() > 10_000 {
            gates.retain(|_, gate| Arc::strong_count(gate) > 1);
        }
        gates.entry(key.to_owned()).or_default().clone()
    }

    fn get(&self, key: &str, version: u64) -> Option<Arc<View>> {
        let views = self.views.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        (views.0 == version).then(|| views.1.get(key).cloned()).flatten()
    }

    fn put(&self, key: String, view: Arc<View>) {
        let mut views = self.views.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if view.version > views.0 {
            *views = (view.version, HashMap::new());
        }
        if view.version == views.0 {
            views.1.insert(key, view);
        }
    }
}
