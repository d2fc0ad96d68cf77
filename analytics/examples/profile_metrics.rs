//! Times the metric computations on a simulated world (no I/O): `cargo run --release -p analytics --example profile_metrics [users]`.
use std::time::Instant;

use analytics::metrics::{Config, Filter, MetricId, Query, Store, SystemStats};
use analytics::simulator::{Faults, SimConfig, start_for, world};
use chrono::Utc;

fn main() {
    let users: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let now = Utc::now();
    let config = SimConfig { seed: 1, users, days: 30, campaigns: 100, start: start_for(now, 30), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    let w = world(&config);
    let started = Instant::now();
    let (mut store, truth) = Store::from_simulation(&w);
    for s in &w.spend {
        store.add_spend(s.campaign_id, s.day_start, s.amount_cents);
    }
    let n = truth.events;
    println!("{n} events, {} facts loaded in {:?}", store.fact_count(), started.elapsed());
    let system = SystemStats::default();
    let filter = Filter::default();
    let cfg = Config::default();
    let q = Query { store: &store, system: &system, filter: &filter, config: &cfg, from: None, to: None, now };
    for _ in 0..2 {
        let t = Instant::now();
        let _ = q.all();
        println!("all 25: {:?}", t.elapsed());
    }
    println!("windows of all 25: {:?}", q.windows(&MetricId::ALL).iter().map(|w| (w.to - w.from) / 86_400).collect::<Vec<_>>());
    let t = Instant::now();
    let _ = q.some(&analytics::metrics::KPI_CARDS);
    println!("the five KPI cards: {:?}", t.elapsed());
    let to = now.timestamp() + 1;
    for (name, parts, days) in [
        ("7d engagement", analytics::metrics::compute::Parts { engagement: true, ..Default::default() }, 7),
        ("7d incrementality", analytics::metrics::compute::Parts { incrementality: true, ..Default::default() }, 7),
        ("365d customer", analytics::metrics::compute::Parts { customer: true, ..Default::default() }, 365),
        ("7d nothing", analytics::metrics::compute::Parts::default(), 7),
        ("previous 7d engagement", analytics::metrics::compute::Parts { engagement: true, ..Default::default() }, -7),
    ] {
        let (from, to) = if days < 0 { (to + 2 * days * 86_400, to + days * 86_400) } else { (to - days * 86_400, to) };
        let best = (0..5)
            .map(|_| {
                let t = Instant::now();
                let _ = analytics::metrics::compute::tally_parts(&store, &filter, &cfg, from, to, parts);
                t.elapsed()
            })
            .min()
            .unwrap();
        println!("{name:<26} {best:?} (best of 5)");
    }
    for id in MetricId::ALL {
        let t = Instant::now();
        let _ = q.some(&[id]);
        println!("{:<26} {:?}", id.as_str(), t.elapsed());
    }
}
