//! `swipesavvy load`: a load generator for the ingestion API (the benchmark's producer). It sends
//! batches of valid purchase events with several requests in flight and prints the sustained
//! rate and the batch latencies.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use crate::error::{AppError, Result};

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub events: u64,
    pub batches: u64,
    pub seconds: f64,
    pub events_per_second: f64,
    pub p50_batch_ms: f64,
    pub p99_batch_ms: f64,
}

fn batch(size: usize, offset: u64) -> Vec<serde_json::Value> {
    let now = Utc::now().to_rfc3339();
    (0..size)
        .map(|i| {
            json!({
                "event_id": Uuid::new_v4().to_string(), "event_type": "user_purchased", "timestamp": now,
                "user_id": format!("load-{}", offset + i as u64), "source": "backend",
                "properties": { "order_id": Uuid::new_v4().to_string(), "order_value": 25.0, "payment_method": "card" },
                "context": { "platform": "iOS", "region": "US-CA", "user_segment": "FREQUENT_SHOPPER" }
            })
        })
        .collect()
}

/// Sends `events` events in batches of `batch_size` with `concurrency` requests in flight.
pub async fn run(url: &str, api_key: &str, events: u64, batch_size: usize, concurrency: usize) -> Result<LoadReport> {
    if batch_size == 0 || batch_size > crate::ingest::MAX_BATCH || concurrency == 0 {
        return Err(AppError::Config(format!("batch size must be 1 to {} and concurrency at least 1", crate::ingest::MAX_BATCH)));
    }
    let client = reqwest::Client::builder().timeout(Duration::from_secs(120)).build().map_err(|e| AppError::Internal(e.into()))?;
    let endpoint = format!("{}/api/v1/events", url.trim_end_matches('/'));
    let batches = events.div_ceil(batch_size as u64);
    // Bodies are prepared before the clock starts: the producer's JSON work is not the server's.
    let bodies: Vec<bytes::Bytes> = (0..batches)
        .map(|b| bytes::Bytes::from(serde_json::to_vec(&batch(batch_size, b * batch_size as u64)).unwrap_or_default()))
        .collect();
    let queue = Arc::new(tokio::sync::Mutex::new(bodies.into_iter()));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, endpoint, key, queue) = (client.clone(), endpoint.clone(), api_key.to_owned(), queue.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let Some(body) = queue.lock().await.next() else { break };
                let sent = Instant::now();
                let response = client
                    .post(&endpoint)
                    .bearer_auth(&key)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| AppError::Config(format!("cannot reach {endpoint}: {e}")))?;
                if !response.status().is_success() {
                    return Err(AppError::Config(format!("the server answered {}", response.status())));
                }
                let _ = response.bytes().await;
                latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, AppError>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.map_err(|e| AppError::Internal(e.into()))??);
    }
    let seconds = started.elapsed().as_secs_f64();
    latencies.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| latencies.get(((latencies.len() as f64 * p).ceil() as usize).saturating_sub(1)).copied().unwrap_or(0.0);
    let sent = batches * batch_size as u64;
    Ok(LoadReport {
        events: sent,
        batches,
        seconds,
        events_per_second: sent as f64 / seconds.max(1e-9),
        p50_batch_ms: pct(0.50),
        p99_batch_ms: pct(0.99),
    })
}
