//! Diminishing-returns response curves for budget moves: daily incremental revenue against daily
//! spend, `revenue = a × spend^b` (docs/recommendations.md, "Projections").
//!
//! One campaign's few, near-constant daily spends cannot support a curve of its own, so the
//! elasticity `b` is pooled across campaigns (by type when the type has three or more, else all
//! of them): the slope of log revenue on log spend over the campaigns' 28-day daily averages.
//! Each campaign's scale `a` puts its curve through its own point.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::CampaignType;

/// The fewest campaigns a pooled elasticity is fitted on.
pub const MIN_CAMPAIGNS: usize = 3;
/// The elasticity is kept within these bounds: more spend never earns less, nor more than in
/// proportion.
pub const ELASTICITY_RANGE: (f64, f64) = (0.05, 1.0);

/// One campaign's point: its daily spend and daily incremental revenue (dollars).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub campaign: Uuid,
    pub campaign_type: CampaignType,
    pub daily_spend: f64,
    pub daily_revenue: f64,
}

/// How a curve's elasticity was found.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum CurveMethod {
    /// Fitted on the campaigns of its type.
    ByType { campaigns: usize },
    /// Fitted on all campaigns (too few of its type).
    AllTypes { campaigns: usize },
    /// Too few campaigns to fit: revenue in proportion to spend at its own incremental ROAS.
    Linear,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Curve {
    pub a: f64,
    pub b: f64,
    pub method: CurveMethod,
}

impl Curve {
    /// Daily incremental revenue at a daily spend.
    pub fn revenue(&self, daily_spend: f64) -> f64 {
        if daily_spend <= 0.0 { 0.0 } else { self.a * daily_spend.powf(self.b) }
    }

    /// The change in daily revenue when daily spend moves from `spend` by `delta`.
    pub fn gain(&self, spend: f64, delta: f64) -> f64 {
        self.revenue((spend + delta).max(0.0)) - self.revenue(spend)
    }

    pub fn describe(&self) -> String {
        match self.method {
            CurveMethod::ByType { campaigns } => {
                format!("a diminishing-returns response curve (revenue ∝ spend^{:.2}, elasticity pooled over {campaigns} campaigns of its type)", self.b)
            }
            CurveMethod::AllTypes { campaigns } => {
                format!("a diminishing-returns response curve (revenue ∝ spend^{:.2}, elasticity pooled over all {campaigns} campaigns: too few of its type)", self.b)
            }
            CurveMethod::Linear => "revenue in proportion to spend at the campaign's own incremental ROAS (too few campaigns to fit a response curve)".to_owned(),
        }
    }
}

/// The slope of ln(revenue) on ln(spend), clamped, when the points allow one.
fn elasticity(points: &[&Point]) -> Option<f64> {
    let usable: Vec<(f64, f64)> = points.iter().filter(|p| p.daily_spend > 0.0 && p.daily_revenue > 0.0).map(|p| (p.daily_spend.ln(), p.daily_revenue.ln())).collect();
    if usable.len() < MIN_CAMPAIGNS {
        return None;
    }
    let n = usable.len() as f64;
    let (mx, my) = (usable.iter().map(|p| p.0).sum::<f64>() / n, usable.iter().map(|p| p.1).sum::<f64>() / n);
    let sxx: f64 = usable.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = usable.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    // Spends that hardly differ cannot tell a slope.
    if sxx < 1e-6 {
        return None;
    }
    Some((sxy / sxx).clamp(ELASTICITY_RANGE.0, ELASTICITY_RANGE.1))
}

fn usable_count(points: &[&Point]) -> usize {
    points.iter().filter(|p| p.daily_spend > 0.0 && p.daily_revenue > 0.0).count()
}

/// Each campaign's curve.
pub fn fit(points: &[Point]) -> HashMap<Uuid, Curve> {
    let everyone: Vec<&Point> = points.iter().collect();
    let pooled = elasticity(&everyone);
    let mut by_type: HashMap<CampaignType, Option<(f64, usize)>> = HashMap::new();
    points
        .iter()
        .map(|p| {
            let of_type = *by_type.entry(p.campaign_type).or_insert_with(|| {
                let mine: Vec<&Point> = points.iter().filter(|q| q.campaign_type == p.campaign_type).collect();
                elasticity(&mine).map(|b| (b, usable_count(&mine)))
            });
            let (b, method) = match (of_type, pooled) {
                (Some((b, campaigns)), _) => (b, CurveMethod::ByType { campaigns }),
                (None, Some(b)) => (b, CurveMethod::AllTypes { campaigns: usable_count(&everyone) }),
                (None, None) => (1.0, CurveMethod::Linear),
            };
            let a = if p.daily_spend > 0.0 && p.daily_revenue > 0.0 { p.daily_revenue / p.daily_spend.powf(b) } else { 0.0 };
            (p.campaign, Curve { a, b, method })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(t: CampaignType, spend: f64, revenue: f64) -> Point {
        Point { campaign: Uuid::new_v4(), campaign_type: t, daily_spend: spend, daily_revenue: revenue }
    }

    #[test]
    fn a_pooled_square_root_law_is_recovered_and_each_curve_passes_through_its_campaign() {
        // revenue = k × sqrt(spend) with a different k per campaign but one elasticity.
        let points: Vec<Point> = [(100.0, 3.0), (400.0, 2.9), (900.0, 3.1), (1600.0, 3.0)].iter().map(|(s, k)| point(CampaignType::Cashback, *s, k * f64::sqrt(*s))).collect();
        let curves = fit(&points);
        for p in &points {
            let c = curves[&p.campaign];
            assert!((c.b - 0.5).abs() < 0.05, "elasticity {}", c.b);
            assert!((c.revenue(p.daily_spend) - p.daily_revenue).abs() < 1e-9);
            assert_eq!(c.method, CurveMethod::ByType { campaigns: 4 });
            assert!(c.gain(p.daily_spend, 100.0) < 100.0 * p.daily_revenue / p.daily_spend, "diminishing returns");
        }
    }

    #[test]
    fn too_few_of_a_type_pools_all_and_too_few_in_all_is_linear() {
        let mut points: Vec<Point> = (1..=4).map(|i| point(CampaignType::Discount, 100.0 * i as f64, 50.0 * (i as f64).sqrt())).collect();
        points.push(point(CampaignType::Vip, 300.0, 600.0));
        let curves = fit(&points);
        assert!(matches!(curves[&points[4].campaign].method, CurveMethod::AllTypes { campaigns: 5 }));
        let two = [point(CampaignType::Vip, 100.0, 300.0), point(CampaignType::Vip, 200.0, 500.0)];
        let curves = fit(&two);
        let c = curves[&two[0].campaign];
        assert_eq!(c.method, CurveMethod::Linear);
        assert!((c.gain(100.0, 50.0) - 150.0).abs() < 1e-9, "linear at its own ROAS of 3");
    }

    #[test]
    fn equal_spends_cannot_tell_a_slope_and_no_revenue_gains_nothing() {
        let points: Vec<Point> = (0..4).map(|i| point(CampaignType::Loyalty, 100.0, 100.0 + i as f64)).collect();
        assert_eq!(fit(&points)[&points[0].campaign].method, CurveMethod::Linear);
        let none = point(CampaignType::Loyalty, 100.0, 0.0);
        assert_eq!(fit(&[none])[&none.campaign].gain(100.0, 100.0), 0.0);
    }
}
