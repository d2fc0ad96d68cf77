//! The live feed: after hydration the page opens `/api/v1/live`, subscribes with its filters and
//! writes what the server pushes into signals that the KPI cards and the leaderboard read. The
//! socket reconnects by itself (1 s, then doubling up to 15 s) and says so while it does.
//!
//! Protocol (server side: `server/src/http/live.rs`): send `{"type":"subscribe","filters":{…}}`;
//! receive a `snapshot`, then `update`s carrying only the metrics that changed and the top of the
//! leaderboard when it changed, and (for those who may see the Action Center) `recommendations`
//! as soon as the engine finds new ones.

use leptos::prelude::*;
use serde::Deserialize;

use analytics::metrics::MetricValue;

use crate::filters::QueryPairs;
use crate::wire::LeaderboardRow;

/// Where the connection stands, for the indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveStatus {
    /// Not started (server rendering, or before hydration).
    Idle,
    Connecting,
    Live,
    Reconnecting,
}

/// A message from the server.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    Snapshot { version: u64, metrics: Vec<MetricValue>, leaderboard: Vec<LeaderboardRow> },
    Update { version: u64, metrics: Vec<MetricValue>, #[serde(default)] leaderboard: Option<Vec<LeaderboardRow>> },
    Error { errors: Vec<crate::wire::FieldError> },
    Recommendations { opened: Vec<crate::wire::RecommendationNotice> },
}

/// What the page reads: the latest values pushed, when they arrived, and the connection's state.
#[derive(Clone, Copy)]
pub struct LiveFeed {
    /// The latest value of each metric pushed since the subscription (empty until then).
    pub metrics: RwSignal<Vec<MetricValue>>,
    /// Bumped whenever the server says the leaderboard changed (tables refetch on it).
    pub leaderboard_version: RwSignal<u64>,
    /// Milliseconds since the Unix epoch of the last message.
    pub updated_at: RwSignal<Option<f64>>,
    pub status: RwSignal<LiveStatus>,
    /// Why the server refused the subscription, if it did.
    pub error: RwSignal<Option<String>>,
    /// Recommendations the engine found since the page opened (newest last).
    pub recommendations: RwSignal<Vec<crate::wire::RecommendationNotice>>,
}

impl LiveFeed {
    /// The pushed value of a metric, if any arrived.
    pub fn metric(&self, id: analytics::metrics::MetricId) -> Option<MetricValue> {
        self.metrics.with(|metrics| metrics.iter().find(|m| m.id == id).cloned())
    }

    pub fn apply(&self, message: LiveMessage) {
        match message {
            // The page was rendered with the same figures; tables refetch only on a change.
            LiveMessage::Snapshot { metrics, .. } => {
                self.metrics.set(metrics);
                self.error.set(None);
            }
            LiveMessage::Update { metrics, leaderboard, .. } => {
                self.metrics.update(|known| {
                    for metric in metrics {
                        match known.iter_mut().find(|k| k.id == metric.id) {
                            Some(slot) => *slot = metric,
                            None => known.push(metric),
                        }
                    }
                });
                if leaderboard.is_some() {
                    self.leaderboard_version.update(|v| *v += 1);
                }
            }
            LiveMessage::Error { errors } => {
                self.error.set(Some(errors.iter().map(|e| format!("{}: {}", e.field, e.reason)).collect::<Vec<_>>().join("; ")));
            }
            LiveMessage::Recommendations { opened } => self.recommendations.update(|known| known.extend(opened)),
        }
        #[cfg(feature = "hydrate")]
        self.updated_at.set(Some(js_sys_now()));
    }
}

/// The subscribe message for a set of filters.
pub fn subscribe_message(filters: &QueryPairs) -> String {
    // A repeated key (`segment=A&segment=B`) is one comma-separated list, as the API reads it.
    let mut map = serde_json::Map::new();
    for (key, value) in &filters.0 {
        match map.get_mut(key) {
            Some(serde_json::Value::String(list)) => {
                list.push(',');
                list.push_str(value);
            }
            _ => {
                map.insert(key.clone(), serde_json::Value::String(value.clone()));
            }
        }
    }
    serde_json::json!({ "type": "subscribe", "filters": map }).to_string()
}

/// Starts the live feed for the filters `filters` (re-subscribing whenever they change). On the
/// server this only creates the signals.
pub fn use_live_feed(filters: Memo<QueryPairs>) -> LiveFeed {
    let feed = LiveFeed {
        metrics: RwSignal::new(Vec::new()),
        leaderboard_version: RwSignal::new(0),
        updated_at: RwSignal::new(None),
        status: RwSignal::new(LiveStatus::Idle),
        error: RwSignal::new(None),
        recommendations: RwSignal::new(Vec::new()),
    };
    #[cfg(feature = "hydrate")]
    browser::start(feed, filters);
    #[cfg(not(feature = "hydrate"))]
    let _ = filters;
    feed
}

#[cfg(feature = "hydrate")]
fn js_sys_now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.time_origin() + p.now())
}

/// New recommendations pushed while the page is open: what they are, and a link to them. `show`
/// (when given) is a button that reloads the page's own list instead of a link.
#[component]
pub fn NewRecommendations(feed: LiveFeed, #[prop(optional)] show: Option<Callback<()>>) -> impl IntoView {
    move || {
        let notices = feed.recommendations.get();
        (!notices.is_empty()).then(|| {
            let titles = notices.iter().rev().take(3).map(|n| format!("{} ({})", n.title, n.level.as_str())).collect::<Vec<_>>().join("; ");
            let text = format!("{} new recommendation{} found: {titles}", notices.len(), if notices.len() == 1 { " was" } else { "s were" });
            view! {
                <p class="notice notice--info" role="status" data-testid="new-recommendations">
                    {text}" "
                    {match show {
                        Some(show) => view! {
                            <button type="button" class="button button--quiet" on:click=move |_| {
                                feed.recommendations.set(Vec::new());
                                show.run(());
                            }>"Show them"</button>
                        }.into_any(),
                        None => view! { <a href="/actions">"Open the Action Center"</a> }.into_any(),
                    }}
                </p>
            }
        })
    }
}

/// "updated 4 s ago" and the connection state, re-read every second.
#[component]
pub fn LiveIndicator(feed: LiveFeed) -> impl IntoView {
    let tick = RwSignal::new(0u64);
    #[cfg(feature = "hydrate")]
    {
        if let Ok(handle) = set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(1)) {
            on_cleanup(move || handle.clear());
        }
    }
    let text = move || {
        tick.track();
        match feed.status.get() {
            LiveStatus::Idle => "Live updates start once the page has loaded".to_owned(),
            LiveStatus::Connecting => "Connecting to live updates…".to_owned(),
            LiveStatus::Reconnecting => "Reconnecting to live updates…".to_owned(),
            LiveStatus::Live => match feed.updated_at.get() {
                #[cfg(feature = "hydrate")]
                Some(at) => format!("Live · updated {} ago", crate::format::duration(((js_sys_now() - at) / 1000.0).floor() as i64)),
                #[cfg(not(feature = "hydrate"))]
                Some(_) => "Live".to_owned(),
                None => "Live".to_owned(),
            },
        }
    };
    let state = move || match feed.status.get() {
        LiveStatus::Live => "live",
        LiveStatus::Reconnecting => "reconnecting",
        LiveStatus::Connecting | LiveStatus::Idle => "idle",
    };
    view! {
        <p class="live" data-state=state role="status" aria-live="polite" data-testid="live-indicator">
            <span class="live__dot" aria-hidden="true"></span>
            <span>{text}</span>
            {move || feed.error.get().map(|e| view! { <span class="live__error">" — " {e}</span> })}
        </p>
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use futures::channel::mpsc;
    use futures::future::{Either, select};
    use futures::{SinkExt, StreamExt};
    use gloo_net::websocket::Message;
    use gloo_net::websocket::futures::WebSocket;
    use leptos::prelude::*;
    use leptos::task::spawn_local;

    use super::{LiveFeed, LiveMessage, LiveStatus, subscribe_message};
    use crate::filters::QueryPairs;

    const FIRST_RETRY_MS: u32 = 1_000;
    const LONGEST_RETRY_MS: u32 = 15_000;

    fn socket_url() -> Option<String> {
        let location = web_sys::window()?.location();
        let scheme = if location.protocol().ok()? == "https:" { "wss" } else { "ws" };
        Some(format!("{scheme}://{}/api/v1/live", location.host().ok()?))
    }

    async fn sleep_ms(ms: u32) {
        let (done, wait) = futures::channel::oneshot::channel::<()>();
        let _ = set_timeout_with_handle(move || { let _ = done.send(()); }, std::time::Duration::from_millis(u64::from(ms)));
        let _ = wait.await;
    }

    /// One task per page: it owns the socket, takes new filters from a channel, and stops when
    /// the page goes away (the channel closes).
    pub fn start(feed: LiveFeed, filters: Memo<QueryPairs>) {
        let (changes, mut wanted) = mpsc::unbounded::<String>();
        // The page can go away while the task sleeps between attempts: it must not touch the
        // page's (then disposed) signals again.
        let alive = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        {
            let alive = alive.clone();
            on_cleanup(move || alive.store(false, std::sync::atomic::Ordering::Relaxed));
        }
        // Every change of the filters (the first run included) becomes a subscription.
        // Values pushed for the old filters no longer apply.
        Effect::new(move |_| {
            let message = subscribe_message(&filters.get());
            feed.metrics.set(Vec::new());
            let _ = changes.unbounded_send(message);
        });
        spawn_local(async move {
            let Some(url) = socket_url() else { return };
            let Some(mut subscription) = wanted.next().await else { return };
            let mut retry = FIRST_RETRY_MS;
            loop {
                if !alive.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                feed.status.set(if feed.updated_at.get_untracked().is_some() { LiveStatus::Reconnecting } else { LiveStatus::Connecting });
                if let Ok(mut socket) = WebSocket::open(&url)
                    && socket.send(Message::Text(subscription.clone())).await.is_ok()
                {
                    loop {
                        let next = {
                            let incoming = socket.next();
                            let change = wanted.next();
                            match select(incoming, change).await {
                                Either::Left((message, _)) => Either::Left(message),
                                Either::Right((change, _)) => Either::Right(change),
                            }
                        };
                        if !alive.load(std::sync::atomic::Ordering::Relaxed) {
                            return;
                        }
                        match next {
                            Either::Left(Some(Ok(Message::Text(text)))) => {
                                if let Ok(message) = serde_json::from_str::<LiveMessage>(&text) {
                                    retry = FIRST_RETRY_MS;
                                    if !matches!(message, LiveMessage::Error { .. }) {
                                        feed.status.set(LiveStatus::Live);
                                    }
                                    feed.apply(message);
                                }
                            }
                            Either::Left(Some(Ok(Message::Bytes(_)))) => {}
                            Either::Left(Some(Err(_)) | None) => break,
                            Either::Right(Some(newer)) => {
                                subscription = newer;
                                if socket.send(Message::Text(subscription.clone())).await.is_err() {
                                    break;
                                }
                            }
                            // The page is gone: close the socket by dropping it.
                            Either::Right(None) => return,
                        }
                    }
                }
                if !alive.load(std::sync::atomic::Ordering::Relaxed) {
                    return;
                }
                feed.status.set(LiveStatus::Reconnecting);
                sleep_ms(retry).await;
                retry = (retry * 2).min(LONGEST_RETRY_MS);
            }
        });
    }
}
