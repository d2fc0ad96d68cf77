//! `swipesavvy load-live`: the live bench's load tool. It opens many WebSocket clients on
//! `/api/v1/live` spread over several filter sets, produces purchase events at a steady rate
//! through the ingestion API, and measures, for every committed batch and every client, the time
//! from the batch's acknowledgement (its commit) to the next update that client receives.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};

use crate::error::{AppError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct LiveLoadReport {
    pub clients: usize,
    pub filter_sets: usize,
    pub seconds: f64,
    pub events_sent: u64,
    pub batches: usize,
    pub updates_received: u64,
    /// Batch commit → next update, per client and batch, milliseconds.
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    /// Clients whose connection closed before the end.
    pub clients_dropped: usize,
    /// (client, batch) pairs with no update before the end.
    pub missed: u64,
}

/// The filter sets clients subscribe with: segments, platforms and their pairs.
fn filter_set(i: usize) -> serde_json::Value {
    let segments = analytics::SegmentType::ALL;
    let platforms = ["iOS", "Android", "Web"];
    match i % 20 {
        0 => serde_json::json!({}),
        k @ 1..=8 => serde_json::json!({ "segment": segments[k - 1].as_str() }),
        k @ 9..=11 => serde_json::json!({ "platform": platforms[k - 9] }),
        k => serde_json::json!({ "segment": segments[(k - 12) % 8].as_str(), "platform": platforms[k % 3] }),
    }
}

pub async fn run(url: &str, api_key: &str, token: &str, clients: usize, filter_sets: usize, rate: u64, seconds: u64) -> Result<LiveLoadReport> {
    if clients == 0 || filter_sets == 0 || filter_sets > 20 || rate == 0 {
        return Err(AppError::Config("give at least one client, 1–20 filter sets and a rate above 0".to_owned()));
    }
    let base = url.trim_end_matches('/');
    let ws_url = format!("{}/api/v1/live", base.replacen("http", "ws", 1));
    // Each client keeps the times of the updates it received.
    let received: Arc<Vec<Mutex<Vec<Instant>>>> = Arc::new((0..clients).map(|_| Mutex::new(Vec::new())).collect());
    let closed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for i in 0..clients {
        let mut request = ws_url.as_str().into_client_request().map_err(|e| AppError::Config(format!("bad URL {ws_url}: {e}")))?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| AppError::Config(e.to_string()))?;
        request.headers_mut().insert("authorization", bearer);
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| AppError::Config(format!("cannot open {ws_url}: {e}")))?;
        let subscribe = serde_json::json!({ "type": "subscribe", "filters": filter_set(i % filter_sets) }).to_string();
        socket.send(Message::Text(subscribe.into())).await.map_err(|e| AppError::Config(e.to_string()))?;
        let (received, closed) = (received.clone(), closed.clone());
        tasks.push(tokio::spawn(async move {
            while let Some(message) = socket.next().await {
                match message {
                    Ok(Message::Text(text)) if text.contains("\"type\":\"update\"") => received[i].lock().await.push(Instant::now()),
                    Ok(Message::Close(_)) | Err(_) => {
                        closed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        return;
                    }
                    Ok(_) => {}
                }
            }
        }));
    }
    // Let every snapshot arrive before the clock starts.
    tokio::time::sleep(Duration::from_secs(2)).await;

    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().map_err(|e| AppError::Internal(e.into()))?;
    let endpoint = format!("{base}/api/v1/events");
    let segments = analytics::SegmentType::ALL;
    let platforms = ["iOS", "Android", "Web"];
    let started = Instant::now();
    let mut commits: Vec<Instant> = Vec::new();
    let mut sent = 0u64;
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    for second in 0..seconds {
        ticker.tick().await;
        let now = chrono::Utc::now().to_rfc3339();
        let batch: Vec<serde_json::Value> = (0..rate)
            .map(|i| {
                let n = second * rate + i;
                serde_json::json!({
                    "event_id": uuid::Uuid::new_v4().to_string(), "event_type": "user_purchased", "timestamp": now,
                    "user_id": format!("live-{n}"), "source": "backend",
                    "properties": { "order_id": uuid::Uuid::new_v4().to_string(), "order_value": 20.0 + (n % 30) as f64 },
                    "context": { "platform": platforms[(n % 3) as usize], "region": "US-CA", "user_segment": segments[(n % 8) as usize].as_str() }
                })
            })
            .collect();
        // Batches of at most 1,000, one after another: each acknowledgement is a commit.
        for chunk in batch.chunks(crate::ingest::MAX_BATCH) {
            let response = client
                .post(&endpoint)
                .bearer_auth(api_key)
                .json(chunk)
                .send()
                .await
                .map_err(|e| AppError::Config(format!("cannot reach {endpoint}: {e}")))?;
            if !response.status().is_success() {
                return Err(AppError::Config(format!("the server answered {}", response.status())));
            }
            commits.push(Instant::now());
            sent += chunk.len() as u64;
        }
    }
    // Give the last batch its chance to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let elapsed = started.elapsed().as_secs_f64();
    for task in &tasks {
        task.abort();
    }

    let mut latencies = Vec::new();
    let (mut missed, mut updates) = (0u64, 0u64);
    for times in received.iter() {
        let times = times.lock().await;
        updates += times.len() as u64;
        for commit in &commits {
            match times.iter().find(|t| *t >= commit) {
                Some(t) => latencies.push(t.duration_since(*commit).as_secs_f64() * 1000.0),
                None => missed += 1,
            }
        }
    }
    latencies.sort_by(f64::total_cmp);
    let pct = |p: f64| latencies.get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or(f64::NAN);
    Ok(LiveLoadReport {
        clients,
        filter_sets,
        seconds: elapsed,
        events_sent: sent,
        batches: commits.len(),
        updates_received: updates,
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        clients_dropped: closed.load(std::sync::atomic::Ordering::Relaxed),
        missed,
    })
}
