//! Regulatory checks (spec Module 11): for one campaign, each law that applies to the regions it
//! targets and what that law asks, judged from stored facts only. Every check names the fact it
//! used and that fact's date, so a compliance officer can see why it passed or failed; a law
//! whose requirement no stored fact covers is not guessed at.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::consent::{ANY_REGION, Mode, Regime};
use crate::events::ConsentMethod;

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    Pass,
    Warn,
    Fail,
}

/// One requirement of one law for one campaign.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// The law (a regime's name, e.g. `GDPR`).
    pub law: String,
    /// What it asks, e.g. "Consent method".
    pub requirement: String,
    pub status: CheckStatus,
    /// The stored fact the verdict rests on, in words.
    pub fact: String,
    /// When that fact was last recorded.
    pub fact_at: Option<DateTime<Utc>>,
}

/// The stored facts about a campaign the checks read.
#[derive(Debug, Clone, PartialEq)]
pub struct CampaignFacts {
    pub target_regions: Vec<String>,
    pub consent_method: Option<ConsentMethod>,
    pub has_opt_out_link: bool,
    pub shares_data_with_third_parties: bool,
    /// When the campaign's declarations were last changed.
    pub declared_at: DateTime<Utc>,
    /// Deliveries refused for want of consent in the last 30 days, with the newest hour of one.
    pub recent_violations: (i64, Option<DateTime<Utc>>),
    /// The latest retention run: when, and whether it succeeded.
    pub last_retention_run: Option<(DateTime<Utc>, bool)>,
}

/// Whether a campaign targeting `targets` (none: everywhere) reaches the regime's regions.
fn applies(regime: &Regime, targets: &[String]) -> bool {
    if targets.is_empty() {
        return true;
    }
    let within = |outer: &str, inner: &str| inner == outer || (inner.starts_with(outer) && inner.as_bytes().get(outer.len()) == Some(&b'-'));
    targets.iter().any(|t| within(&regime.region_prefix, t) || within(t, &regime.region_prefix))
}

fn method(m: Option<ConsentMethod>) -> String {
    m.map_or_else(|| "not declared".to_owned(), |m| crate::consent::method_name(m).to_owned())
}

/// Every check of every law that applies to the campaign, laws in the regime table's order.
pub fn checks(facts: &CampaignFacts, regimes: &[Regime], now: DateTime<Utc>) -> Vec<Check> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for regime in regimes.iter().filter(|r| r.region_prefix != ANY_REGION && applies(r, &facts.target_regions)) {
        if !seen.insert(regime.name.clone()) {
            continue;
        }
        let mut check = |requirement: &str, status, fact: String, fact_at| {
            out.push(Check { law: regime.name.clone(), requirement: requirement.to_owned(), status, fact, fact_at });
        };
        let scope = if facts.target_regions.is_empty() { "every region".to_owned() } else { facts.target_regions.join(", ") };
        check("Campaign scope", CheckStatus::Pass, format!("targets {scope}, which includes {} ({})", regime.region_prefix, regime.name), Some(facts.declared_at));
        if regime.mode == Mode::OptIn {
            let status = match facts.consent_method {
                Some(ConsentMethod::DoubleOptIn) => CheckStatus::Pass,
                Some(ConsentMethod::SingleOptIn | ConsentMethod::Imported) => CheckStatus::Warn,
                _ => CheckStatus::Fail,
            };
            let note = match status {
                CheckStatus::Pass => "express and confirmed",
                CheckStatus::Warn => "express, but unconfirmed: double opt-in is the proof regulators expect",
                CheckStatus::Fail => "express consent is required",
            };
            check("Express consent", status, format!("consent method: {} ({note})", method(facts.consent_method)), Some(facts.declared_at));
        }
        let link = if facts.has_opt_out_link { CheckStatus::Pass } else { CheckStatus::Fail };
        let requirement = if regime.mode == Mode::OptIn { "Right to object: unsubscribe link in every message" } else { "Opt-out option provided" };
        check(requirement, link, format!("opt-out link in every message: {}", if facts.has_opt_out_link { "yes" } else { "no" }), Some(facts.declared_at));
        // The state privacy laws (CCPA/CPRA, VCDPA, CPA, UCPA, CTDPA) each give a right to opt out
        // of the sale or sharing of personal data (and of targeted advertising).
        if regime.region_prefix.starts_with("US-") {
            let (status, fact) = if facts.shares_data_with_third_parties {
                (CheckStatus::Warn, "shares personal data with third parties: an opt-out of sale, sharing and targeted advertising must be offered")
            } else {
                (CheckStatus::Pass, "personal data not sold or shared with third parties")
            };
            check("Sale or sharing of personal data", status, fact.to_owned(), Some(facts.declared_at));
        }
        if regime.name.contains("GDPR") {
            let (status, fact, at) = match facts.last_retention_run {
                Some((at, true)) if now - at <= Duration::hours(48) => (CheckStatus::Pass, "retention job ran and succeeded".to_owned(), Some(at)),
                Some((at, true)) => (CheckStatus::Warn, format!("retention job last succeeded {} days ago", (now - at).num_days()), Some(at)),
                Some((at, false)) => (CheckStatus::Fail, "the latest retention run failed".to_owned(), Some(at)),
                None => (CheckStatus::Fail, "the retention job has never run".to_owned(), None),
            };
            check("Data retention enforced", status, fact, at);
        }
        let (violations, last) = facts.recent_violations;
        let status = if violations == 0 { CheckStatus::Pass } else { CheckStatus::Fail };
        check("No delivery without consent (30 days)", status, format!("{violations} deliveries refused for want of consent in the last 30 days"), last);
    }
    out
}

/// The worst status among `checks` (Pass when there are none).
pub fn overall(checks: &[Check]) -> CheckStatus {
    checks.iter().map(|c| c.status).max().unwrap_or(CheckStatus::Pass)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::consent::default_regimes;

    fn facts(regions: &[&str]) -> CampaignFacts {
        CampaignFacts {
            target_regions: regions.iter().map(|r| r.to_string()).collect(),
            consent_method: Some(ConsentMethod::DoubleOptIn),
            has_opt_out_link: true,
            shares_data_with_third_parties: false,
            declared_at: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(),
            recent_violations: (0, None),
            last_retention_run: Some((Utc.with_ymd_and_hms(2026, 11, 29, 3, 0, 0).unwrap(), true)),
        }
    }

    #[test]
    fn only_the_laws_of_the_targeted_regions_apply() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let regimes = default_regimes();
        let laws = |regions: &[&str]| {
            let mut laws: Vec<String> = checks(&facts(regions), &regimes, now).into_iter().map(|c| c.law).collect();
            laws.dedup();
            laws
        };
        assert_eq!(laws(&["EU-DE"]), ["GDPR"]);
        assert_eq!(laws(&["US-CA"]), ["CAN-SPAM / US state law", "CCPA/CPRA"]);
        assert_eq!(laws(&["US"]).len(), 6, "a whole country brings each of its states' laws");
        assert_eq!(laws(&[]).len(), 9, "no target regions: every law");
        let all = checks(&facts(&["EU-FR", "CA-QC"]), &regimes, now);
        assert_eq!(overall(&all), CheckStatus::Pass, "{all:?}");
    }

    #[test]
    fn each_failure_names_its_fact() {
        let now = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        let regimes = default_regimes();
        let mut bad = facts(&["EU-DE", "US-CA"]);
        bad.consent_method = Some(ConsentMethod::Implied);
        bad.has_opt_out_link = false;
        bad.shares_data_with_third_parties = true;
        bad.recent_violations = (3, Some(now));
        bad.last_retention_run = None;
        let all = checks(&bad, &regimes, now);
        let status = |law: &str, requirement: &str| all.iter().find(|c| c.law == law && c.requirement.starts_with(requirement)).map(|c| (c.status, c.fact.clone())).unwrap();
        assert_eq!(status("GDPR", "Express consent").0, CheckStatus::Fail);
        assert!(status("GDPR", "Express consent").1.contains("implied"));
        assert_eq!(status("GDPR", "Right to object").0, CheckStatus::Fail);
        assert_eq!(status("GDPR", "Data retention").1, "the retention job has never run");
        assert_eq!(status("CCPA/CPRA", "Sale or sharing").0, CheckStatus::Warn);
        let mut virginia = bad.clone();
        virginia.target_regions = vec!["US-VA".into()];
        assert!(checks(&virginia, &regimes, now).iter().any(|c| c.law == "VCDPA" && c.requirement.starts_with("Sale or sharing") && c.status == CheckStatus::Warn));
        assert!(status("CCPA/CPRA", "No delivery").1.starts_with("3 deliveries"));
        assert_eq!(overall(&all), CheckStatus::Fail);
        // A retention run three days ago is a warning, a single opt-in too.
        let mut stale = facts(&["EU-DE"]);
        stale.last_retention_run = Some((now - Duration::days(3), true));
        stale.consent_method = Some(ConsentMethod::SingleOptIn);
        assert_eq!(overall(&checks(&stale, &regimes, now)), CheckStatus::Warn);
    }
}
