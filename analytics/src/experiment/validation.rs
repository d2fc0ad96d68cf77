//! The statistics against the simulator's truth: A/A error rates with and without peeking, and
//! interval coverage with known effects. Fixed seeds, so each run sees the same experiments.

use super::analysis::{Analysis, Design, analyse};
use super::{Metric, Outcome};
use crate::simulator::experiment::{ExperimentSim, SimArm, SimMember, run};
use crate::stats::Moments;

fn arms(click: [f64; 2], lift: [f64; 2]) -> Vec<SimArm> {
    (0..2)
        .map(|i| SimArm {
            label: ["A", "B"][i].to_owned(),
            share_bp: 5_000,
            click_rate: click[i],
            revenue_lift: lift[i],
        })
        .collect()
}

fn design(outcome: Outcome, baseline: f64, days: u32, elapsed: u32) -> Design {
    Design {
        arms: vec![("A".to_owned(), 0.5), ("B".to_owned(), 0.5)],
        control: 0,
        outcomes: vec![outcome],
        guardrails: 0,
        alpha: 0.05,
        power: 0.8,
        minimum_effect: 0.10,
        baseline: Some(baseline),
        duration_days: f64::from(days),
        elapsed_days: f64::from(elapsed),
    }
}

/// Per arm, the members who joined up to and including `day`.
fn moments(members: &[SimMember], day: u32, value: impl Fn(&SimMember) -> f64) -> Vec<Moments> {
    let mut per_arm = vec![Moments::default(); 2];
    for m in members.iter().filter(|m| m.day <= day) {
        per_arm[m.arm].push(value(m), m.pre_spend);
    }
    per_arm
}

fn analysis(per_arm: Vec<Moments>, covariate: bool) -> Analysis {
    Analysis {
        users: per_arm.iter().map(|m| m.n).collect(),
        outcomes: vec![Ok(per_arm)],
        covariate,
    }
}

#[test]
fn a_a_tests_hold_their_error_rate_and_peeking_needs_the_sequential_test() {
    const EXPERIMENTS: u64 = 1_000;
    const DAYS: u32 = 7;
    let (mut fixed, mut sequential, mut naive) = (0, 0, 0);
    for seed in 1..=EXPERIMENTS {
        let sim = ExperimentSim {
            seed,
            users_per_day: 300,
            days: DAYS,
            arms: arms([0.10, 0.10], [0.0, 0.0]),
        };
        let (_, members) = run(&sim);
        let (mut any_sequential, mut any_naive) = (false, false);
        for day in 0..DAYS {
            let per_arm = moments(&members, day, |m| f64::from(u8::from(m.clicked)));
            let results = analyse(
                &design(Metric::ClickRate.outcome(), 0.10, DAYS, day + 1),
                &analysis(per_arm, false),
            );
            let c = &results.outcomes[0].comparisons[0];
            let naive_p = c.test.map_or(1.0, |t| t.p_value);
            any_naive |= naive_p < 0.05;
            any_sequential |= c.sequential_p_value.unwrap_or(1.0) < 0.05;
            if day == DAYS - 1 && naive_p < 0.05 {
                fixed += 1;
            }
        }
        sequential += u32::from(any_sequential);
        naive += u32::from(any_naive);
    }
    let rate = |k: u32| f64::from(k) / EXPERIMENTS as f64;
    println!(
        "A/A over {EXPERIMENTS} experiments: fixed horizon {:.1}%, daily naive z-test {:.1}%, daily sequential {:.1}%",
        rate(fixed) * 100.0,
        rate(naive) * 100.0,
        rate(sequential) * 100.0
    );
    assert!(
        (0.03..=0.07).contains(&rate(fixed)),
        "fixed-horizon false positives {}",
        rate(fixed)
    );
    assert!(
        rate(sequential) <= 0.05,
        "sequential false positives with daily looks {}",
        rate(sequential)
    );
    assert!(
        rate(naive) > 0.05,
        "a naive daily z-test inflates false positives: {}",
        rate(naive)
    );
}

#[test]
fn intervals_cover_known_effects_and_cuped_narrows_without_bias() {
    const EXPERIMENTS: u64 = 500;
    const DAYS: u32 = 7;
    let (mut click_cover, mut revenue_cover, mut cuped_cover) = (0, 0, 0);
    let (mut plain_width, mut cuped_width, mut cuped_error, mut cuped_error_sq) =
        (0.0, 0.0, 0.0, 0.0);
    for seed in 10_001..10_001 + EXPERIMENTS {
        let sim = ExperimentSim {
            seed,
            users_per_day: 300,
            days: DAYS,
            arms: arms([0.10, 0.12], [0.0, 0.10]),
        };
        let (_, members) = run(&sim);
        let clicks = analyse(
            &design(Metric::ClickRate.outcome(), 0.10, DAYS, DAYS),
            &analysis(
                moments(&members, DAYS, |m| f64::from(u8::from(m.clicked))),
                false,
            ),
        );
        let c = &clicks.outcomes[0].comparisons[0];
        click_cover += u32::from(c.interval.unwrap().contains(sim.true_click_difference(1)));

        let revenue = analyse(
            &design(Metric::RevenuePerUser.outcome(), 27.5, DAYS, DAYS),
            &analysis(moments(&members, DAYS, |m| m.revenue), true),
        );
        let truth = sim.true_revenue_difference(1);
        let r = &revenue.outcomes[0].comparisons[0];
        let (plain, adjusted) = (r.interval.unwrap(), r.adjusted_interval.unwrap());
        revenue_cover += u32::from(plain.contains(truth));
        cuped_cover += u32::from(adjusted.contains(truth));
        plain_width += plain.high - plain.low;
        cuped_width += adjusted.high - adjusted.low;
        let error = r.adjusted_difference.unwrap() - truth;
        cuped_error += error;
        cuped_error_sq += error * error;
        assert!(revenue.outcomes[0].variance_reduction.unwrap() > 0.0);
    }
    let n = EXPERIMENTS as f64;
    let share = |k: u32| f64::from(k) / n;
    println!(
        "coverage over {EXPERIMENTS}: click {:.1}%, revenue {:.1}%, CUPED {:.1}%; mean width {:.3} → {:.3} with CUPED",
        share(click_cover) * 100.0,
        share(revenue_cover) * 100.0,
        share(cuped_cover) * 100.0,
        plain_width / n,
        cuped_width / n
    );
    for (name, k) in [
        ("click", click_cover),
        ("revenue", revenue_cover),
        ("CUPED", cuped_cover),
    ] {
        assert!(
            (0.92..=0.98).contains(&share(k)),
            "{name} intervals cover the truth in {:.1}%",
            share(k) * 100.0
        );
    }
    assert!(
        cuped_width < plain_width,
        "CUPED narrows the interval when the covariate correlates"
    );
    // No bias: the mean error is within 3 standard errors of zero.
    let mean_error = cuped_error / n;
    let sd = (cuped_error_sq / n - mean_error * mean_error).sqrt();
    assert!(
        mean_error.abs() < 3.0 * sd / n.sqrt(),
        "mean error {mean_error} (sd {sd})"
    );
}
