//! Times the recommendation engine's measuring on a simulated world (no I/O):
//! `cargo run --release -p analytics --example profile_recommendations [users] [campaigns]`.
use std::time::Instant;

use analytics::domain::CampaignStatus;
use analytics::metrics::compute::{Parts, tally_parts};
use analytics::metrics::{Config, Filter, Store};
use analytics::recommend::{self, CampaignInput, ComplianceFacts, CreativeInput, SystemFacts, Thresholds};
use analytics::simulator::{Faults, SimConfig, start_for, world};
use chrono::Utc;

fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> std::time::Duration {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u32>().ok());
    let users = args.next().flatten().unwrap_or(100_000);
    let campaigns = args.next().flatten().unwrap_or(100);
    let now = Utc::now();
    let config = SimConfig { seed: 1, users, days: 30, campaigns, start: start_for(now, 30), holdout_share: 0.1, faults: Faults::default(), experiments: 0 };
    let w = world(&config);
    let (mut store, _) = Store::from_simulation(&w);
    for s in &w.spend {
        store.add_spend(s.campaign_id, s.day_start, s.amount_cents);
    }
    println!("{users} users, {campaigns} campaigns, {} facts", store.fact_count());
    let inputs: Vec<CampaignInput> = w
        .campaigns
        .iter()
        .map(|c| CampaignInput {
            id: c.id,
            name: c.name.clone(),
            campaign_type: c.campaign_type,
            status: CampaignStatus::Active,
            target_segments: c.target_segments.clone(),
            budget_cents: c.budget_cents,
            holdout_percent: 10.0,
            frequency_cap_per_week: None,
            starts_at: None,
            launched_at: None,
            ends_at: None,
            creatives: c.creatives.iter().map(|k| CreativeInput { id: k.id, name: k.name.clone(), active: true }).collect(),
            running_experiment: false,
            compliance: ComplianceFacts::default(),
        })
        .collect();
    let cfg = Config::default();
    let t = Thresholds::default();
    let to = now.timestamp();
    let all = Filter::default();
    let runs = 7;
    let week = best_of(runs, || tally_parts(&store, &all, &cfg, to - 7 * 86_400, to, Parts { engagement: true, incrementality: true, ..Parts::default() }));
    let week_e = best_of(runs, || tally_parts(&store, &all, &cfg, to - 7 * 86_400, to, Parts { engagement: true, ..Parts::default() }));
    let week_i = best_of(runs, || tally_parts(&store, &all, &cfg, to - 7 * 86_400, to, Parts { incrementality: true, ..Parts::default() }));
    let month = best_of(runs, || tally_parts(&store, &all, &cfg, to - 28 * 86_400, to, Parts { incrementality: true, ..Parts::default() }));
    let sizes = best_of(runs, || analytics::metrics::views::segment_sizes(&store, &all, to));
    let gather = best_of(runs, || recommend::facts::gather(&store, &cfg, now, inputs.clone(), SystemFacts::default()));
    let facts = recommend::facts::gather(&store, &cfg, now, inputs.clone(), SystemFacts::default());
    let rules = best_of(runs, || recommend::evaluate(&facts, &t));
    println!("7d tally (engagement + incrementality) {week:?}; engagement alone {week_e:?}; incrementality alone {week_i:?}");
    println!("28d tally (incrementality) {month:?}; segment sizes {sizes:?}");
    println!("gather {gather:?} (the walk is the rest: ~{:?}); rules {rules:?}", gather.saturating_sub(week + month + sizes));
}
