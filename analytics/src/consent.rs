//! Marketing consent: which legal regime a region falls under, and whether a user may receive a
//! message on a channel given the latest consent record (issue #7, spec Module 11).
//!
//! The regimes are data (the `consent_regimes` table); these functions only interpret them:
//! - an **opt-in** regime (GDPR, CASL) needs an express opt-in on record for the channel: an
//!   `opted_in` with a method other than `implied`;
//! - an **opt-out** regime (most US states) allows delivery unless the latest record opts out.
//!
//! A region matches the regime with the longest matching prefix, on code boundaries (`US-CA`
//! matches `US-CA`, then `US`; `USA` does not match `US`); the `*` row covers every other region
//! and a user whose region is unknown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::DeliveryChannel;
use crate::events::{ConsentMethod, ConsentStatus, Event, Payload, UnsubscribeType};

/// The row that covers regions no other row matches.
pub const ANY_REGION: &str = "*";

#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Express consent required before any marketing message.
    OptIn,
    /// Eligible unless the user has opted out.
    OptOut,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::OptIn => "opt_in",
            Mode::OptOut => "opt_out",
        }
    }

    pub fn parse(name: &str) -> Option<Mode> {
        match name {
            "opt_in" => Some(Mode::OptIn),
            "opt_out" => Some(Mode::OptOut),
            _ => None,
        }
    }
}

/// One row of the regime table.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regime {
    /// A region code prefix such as `EU`, `US-CA`, or `*`.
    pub region_prefix: String,
    /// The law it stands for, e.g. `GDPR`.
    pub name: String,
    pub mode: Mode,
}

/// Whether `prefix` covers `region` on a code boundary.
fn covers(prefix: &str, region: &str) -> bool {
    region == prefix || (region.len() > prefix.len() && region.starts_with(prefix) && region.as_bytes()[prefix.len()] == b'-')
}

/// The regime of `region` (None: unknown region): the longest covering prefix, else the `*` row.
pub fn regime_for<'a>(regimes: &'a [Regime], region: Option<&str>) -> Option<&'a Regime> {
    let specific = region.and_then(|region| {
        regimes
            .iter()
            .filter(|r| r.region_prefix != ANY_REGION && covers(&r.region_prefix, region))
            .max_by_key(|r| r.region_prefix.len())
    });
    specific.or_else(|| regimes.iter().find(|r| r.region_prefix == ANY_REGION))
}

/// One consent fact of a user on one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRecord {
    pub channel: DeliveryChannel,
    pub status: ConsentStatus,
    pub method: ConsentMethod,
    pub occurred_at: DateTime<Utc>,
    /// Where it was given (`settings`, `signup`, `message_link`…), when known.
    pub source: Option<String>,
    /// The user's region when it was given, when known.
    pub region: Option<String>,
}

/// The consent facts an event states: a `consent_updated` one, a `user_unsubscribed` one per
/// channel it withdraws; any other event none.
pub fn records_from(event: &Event) -> Vec<ConsentRecord> {
    match &event.payload {
        Payload::ConsentUpdated(c) => vec![ConsentRecord {
            channel: c.channel,
            status: c.status,
            method: c.method,
            occurred_at: event.occurred_at,
            source: c.source.clone(),
            region: c.region.clone().or_else(|| event.context.region.clone()),
        }],
        Payload::UserUnsubscribed(u) => unsubscribed_channels(u.unsubscribe_type)
            .iter()
            .map(|&channel| ConsentRecord {
                channel,
                status: ConsentStatus::OptedOut,
                method: ConsentMethod::Unsubscribe,
                occurred_at: event.occurred_at,
                source: Some(u.unsubscribe_reason.clone().map_or("unsubscribe".to_owned(), |r| format!("unsubscribe: {r}"))),
                region: event.context.region.clone(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The channels a `user_unsubscribed` withdraws consent on; a frequency-cap request asks for fewer
/// messages, not none, so it withdraws nothing.
pub fn unsubscribed_channels(kind: UnsubscribeType) -> &'static [DeliveryChannel] {
    match kind {
        UnsubscribeType::AllCampaigns => &[DeliveryChannel::Push, DeliveryChannel::Email, DeliveryChannel::Sms, DeliveryChannel::InApp],
        UnsubscribeType::PushOnly => &[DeliveryChannel::Push],
        UnsubscribeType::EmailOnly => &[DeliveryChannel::Email],
        UnsubscribeType::FrequencyCap => &[],
    }
}

/// The latest record on `channel` at or before `at` (ties: the later in `records` wins, so pass
/// them in the order they were recorded).
pub fn latest_at(records: &[ConsentRecord], channel: DeliveryChannel, at: DateTime<Utc>) -> Option<&ConsentRecord> {
    records.iter().filter(|r| r.channel == channel && r.occurred_at <= at).fold(None, |best: Option<&ConsentRecord>, r| match best {
        Some(b) if b.occurred_at > r.occurred_at => Some(b),
        _ => Some(r),
    })
}

/// The answer for one user, channel and regime, with the words a compliance officer reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Eligibility {
    pub eligible: bool,
    pub reason: String,
}

/// Whether a message may go out under `regime` given the latest record on the channel.
pub fn eligibility(regime: &Regime, channel: DeliveryChannel, latest: Option<&ConsentRecord>) -> Eligibility {
    let law = format!("{} ({})", regime.name, regime.mode.as_str().replace('_', "-"));
    let (eligible, why) = match (regime.mode, latest) {
        (_, Some(r)) if r.status == ConsentStatus::OptedOut => (false, format!("opted out of {channel} on {}", r.occurred_at.format("%Y-%m-%d"))),
        (Mode::OptIn, Some(r)) if r.method == ConsentMethod::Implied => {
            (false, format!("only implied consent to {channel} on record; {law} needs express consent"))
        }
        (Mode::OptIn, Some(r)) => (true, format!("express consent to {channel} ({}) on {}", method_name(r.method), r.occurred_at.format("%Y-%m-%d"))),
        (Mode::OptIn, None) => (false, format!("no consent to {channel} on record; {law} needs express consent")),
        (Mode::OptOut, Some(r)) => (true, format!("opted in to {channel} on {}", r.occurred_at.format("%Y-%m-%d"))),
        (Mode::OptOut, None) => (true, format!("no opt-out from {channel} on record; {law} allows delivery")),
    };
    Eligibility { eligible, reason: if eligible { why } else { format!("{why} under {law}") } }
}

/// Whether a user's region falls under one of a campaign's target regions (none: every region).
pub fn targeted(target_regions: &[String], region: Option<&str>) -> bool {
    target_regions.is_empty() || region.is_some_and(|region| target_regions.iter().any(|t| covers(t, region)))
}

/// How much of a campaign's audience it may reach (Module 11's "78% opt-in").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AudienceEligibility {
    /// Users in the target segments and regions.
    pub audience: u64,
    /// Of them, those reachable on at least one of the campaign's channels.
    pub eligible: u64,
    /// Reachable users per channel, in the order the channels were given.
    pub by_channel: Vec<(DeliveryChannel, u64)>,
    /// (regime, audience, eligible) per regime, by name.
    pub by_regime: Vec<(String, u64, u64)>,
}

impl AudienceEligibility {
    /// Eligible ÷ audience; `None` for an empty audience.
    pub fn share(&self) -> Option<f64> {
        (self.audience > 0).then(|| self.eligible as f64 / self.audience as f64)
    }
}

/// Counts who of the audience (each user as their consent facts, oldest first) may be reached at
/// `at` on `channels`. A user's region is the latest their facts name.
pub fn audience_eligibility<'a>(
    regimes: &[Regime],
    users: impl Iterator<Item = &'a [ConsentRecord]>,
    channels: &[DeliveryChannel],
    target_regions: &[String],
    at: DateTime<Utc>,
) -> AudienceEligibility {
    let mut out = AudienceEligibility { by_channel: channels.iter().map(|c| (*c, 0)).collect(), ..Default::default() };
    let mut by_regime: std::collections::BTreeMap<String, (u64, u64)> = std::collections::BTreeMap::new();
    for records in users {
        let region = records.iter().rev().find_map(|r| r.region.as_deref());
        if !targeted(target_regions, region) {
            continue;
        }
        out.audience += 1;
        let regime = regime_for(regimes, region);
        let mut reachable = false;
        for (channel, count) in &mut out.by_channel {
            if regime.is_some_and(|regime| eligibility(regime, *channel, latest_at(records, *channel, at)).eligible) {
                *count += 1;
                reachable = true;
            }
        }
        out.eligible += u64::from(reachable);
        let entry = by_regime.entry(regime.map_or_else(|| "none".to_owned(), |r| r.name.clone())).or_default();
        entry.0 += 1;
        entry.1 += u64::from(reachable);
    }
    out.by_regime = by_regime.into_iter().map(|(name, (a, e))| (name, a, e)).collect();
    out
}

/// Who of the known users may be reached now, per channel and per region (Module 11's consent
/// dashboard). A user counts under the latest region their facts name ("unknown" when none).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Population {
    pub users: u64,
    /// (channel, users reachable on it).
    pub by_channel: Vec<(DeliveryChannel, u64)>,
    /// (region, regime name, users, reachable on at least one channel), by region.
    pub by_region: Vec<(String, String, u64, u64)>,
}

pub fn population<'a>(regimes: &[Regime], users: impl Iterator<Item = &'a [ConsentRecord]>, at: DateTime<Utc>) -> Population {
    let channels = DeliveryChannel::ALL;
    let mut out = Population { by_channel: channels.iter().map(|c| (*c, 0)).collect(), ..Default::default() };
    let mut regions: std::collections::BTreeMap<String, (String, u64, u64)> = std::collections::BTreeMap::new();
    for records in users {
        out.users += 1;
        let region = records.iter().rev().find_map(|r| r.region.as_deref());
        let regime = regime_for(regimes, region);
        let mut any = false;
        for (channel, count) in &mut out.by_channel {
            if regime.is_some_and(|r| eligibility(r, *channel, latest_at(records, *channel, at)).eligible) {
                *count += 1;
                any = true;
            }
        }
        let entry = regions.entry(region.unwrap_or("unknown").to_owned()).or_insert_with(|| (regime.map_or_else(|| "none".to_owned(), |r| r.name.clone()), 0, 0));
        entry.1 += 1;
        entry.2 += u64::from(any);
    }
    out.by_region = regions.into_iter().map(|(region, (regime, users, reachable))| (region, regime, users, reachable)).collect();
    out
}

pub fn method_name(method: ConsentMethod) -> &'static str {
    match method {
        ConsentMethod::DoubleOptIn => "double opt-in",
        ConsentMethod::SingleOptIn => "single opt-in",
        ConsentMethod::Implied => "implied",
        ConsentMethod::Imported => "imported",
        ConsentMethod::Unsubscribe => "unsubscribe",
    }
}

/// The regime table a new installation starts with (editable afterwards: it is data).
pub fn default_regimes() -> Vec<Regime> {
    let row = |prefix: &str, name: &str, mode| Regime { region_prefix: prefix.to_owned(), name: name.to_owned(), mode };
    vec![
        row("EU", "GDPR", Mode::OptIn),
        row("GB", "UK GDPR / PECR", Mode::OptIn),
        row("CA", "CASL", Mode::OptIn),
        row("US", "CAN-SPAM / US state law", Mode::OptOut),
        row("US-CA", "CCPA/CPRA", Mode::OptOut),
        row("US-VA", "VCDPA", Mode::OptOut),
        row("US-CO", "CPA", Mode::OptOut),
        row("US-UT", "UCPA", Mode::OptOut),
        row("US-CT", "CTDPA", Mode::OptOut),
        // An unknown region gets the strictest treatment.
        row(ANY_REGION, "unknown region (strictest rule)", Mode::OptIn),
    ]
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, 12, 0, 0).unwrap()
    }

    fn record(status: ConsentStatus, method: ConsentMethod, day: u32) -> ConsentRecord {
        ConsentRecord { channel: DeliveryChannel::Email, status, method, occurred_at: at(day), source: None, region: None }
    }

    #[test]
    fn the_longest_prefix_on_a_code_boundary_wins_and_star_covers_the_rest() {
        let regimes = default_regimes();
        assert_eq!(regime_for(&regimes, Some("US-CA")).unwrap().name, "CCPA/CPRA");
        assert_eq!(regime_for(&regimes, Some("US-TX")).unwrap().name, "CAN-SPAM / US state law");
        assert_eq!(regime_for(&regimes, Some("EU-DE")).unwrap().mode, Mode::OptIn);
        assert_eq!(regime_for(&regimes, Some("CA-ON")).unwrap().name, "CASL");
        // `CAN` is not under `CA`, and an unknown region is treated strictly.
        assert_eq!(regime_for(&regimes, Some("CAN")).unwrap().region_prefix, ANY_REGION);
        assert_eq!(regime_for(&regimes, None).unwrap().mode, Mode::OptIn);
        assert!(regime_for(&regimes[..1], Some("JP")).is_none(), "no star row, no regime");
    }

    #[test]
    fn opt_in_needs_express_consent_and_opt_out_needs_no_record() {
        let regimes = default_regimes();
        let gdpr = regime_for(&regimes, Some("EU-FR")).unwrap();
        let us = regime_for(&regimes, Some("US-NY")).unwrap();
        let email = DeliveryChannel::Email;
        let none = eligibility(gdpr, email, None);
        assert!(!none.eligible && none.reason.contains("GDPR (opt-in)"), "{}", none.reason);
        assert!(eligibility(gdpr, email, Some(&record(ConsentStatus::OptedIn, ConsentMethod::DoubleOptIn, 1))).eligible);
        assert!(!eligibility(gdpr, email, Some(&record(ConsentStatus::OptedIn, ConsentMethod::Implied, 1))).eligible);
        assert!(eligibility(us, email, None).eligible);
        assert!(eligibility(us, email, Some(&record(ConsentStatus::OptedIn, ConsentMethod::Implied, 1))).eligible);
        let out = eligibility(us, email, Some(&record(ConsentStatus::OptedOut, ConsentMethod::Unsubscribe, 2)));
        assert!(!out.eligible && out.reason.contains("opted out of email on 2026-11-02"), "{}", out.reason);
    }

    #[test]
    fn the_record_in_force_is_the_latest_before_the_delivery_on_its_channel() {
        let records = vec![
            record(ConsentStatus::OptedIn, ConsentMethod::SingleOptIn, 1),
            record(ConsentStatus::OptedOut, ConsentMethod::Unsubscribe, 5),
            ConsentRecord { channel: DeliveryChannel::Push, status: ConsentStatus::OptedIn, method: ConsentMethod::SingleOptIn, occurred_at: at(6), source: None, region: None },
        ];
        assert_eq!(latest_at(&records, DeliveryChannel::Email, at(3)).unwrap().status, ConsentStatus::OptedIn);
        assert_eq!(latest_at(&records, DeliveryChannel::Email, at(9)).unwrap().status, ConsentStatus::OptedOut);
        assert!(latest_at(&records, DeliveryChannel::Push, at(5)).is_none(), "later facts do not count");
        assert!(latest_at(&records, DeliveryChannel::Sms, at(9)).is_none());
        assert_eq!(unsubscribed_channels(UnsubscribeType::AllCampaigns).len(), 4);
        assert!(unsubscribed_channels(UnsubscribeType::FrequencyCap).is_empty());
    }

    #[test]
    fn the_audience_share_counts_users_reachable_on_any_channel_within_the_target_regions() {
        let regimes = default_regimes();
        let fact = |channel, status, method, region: &str| ConsentRecord {
            channel,
            status,
            method,
            occurred_at: at(1),
            source: None,
            region: Some(region.to_owned()),
        };
        let users: Vec<Vec<ConsentRecord>> = vec![
            // EU, push consent only: reachable (on push).
            vec![fact(DeliveryChannel::Push, ConsentStatus::OptedIn, ConsentMethod::DoubleOptIn, "EU-DE")],
            // EU, nothing express: not reachable.
            vec![fact(DeliveryChannel::Email, ConsentStatus::OptedIn, ConsentMethod::Implied, "EU-FR")],
            // US, opted out of both: not reachable.
            vec![
                fact(DeliveryChannel::Push, ConsentStatus::OptedOut, ConsentMethod::Unsubscribe, "US-TX"),
                fact(DeliveryChannel::Email, ConsentStatus::OptedOut, ConsentMethod::Unsubscribe, "US-TX"),
            ],
            // US, opted out of push only: reachable by email.
            vec![fact(DeliveryChannel::Push, ConsentStatus::OptedOut, ConsentMethod::Unsubscribe, "US-CA")],
            // Outside the target regions when they are set.
            vec![fact(DeliveryChannel::Push, ConsentStatus::OptedIn, ConsentMethod::SingleOptIn, "CA-ON")],
        ];
        let channels = [DeliveryChannel::Push, DeliveryChannel::Email];
        let all = audience_eligibility(&regimes, users.iter().map(Vec::as_slice), &channels, &[], at(2));
        assert_eq!((all.audience, all.eligible), (5, 3));
        assert_eq!(all.by_channel, vec![(DeliveryChannel::Push, 2), (DeliveryChannel::Email, 1)]);
        let targeted = audience_eligibility(&regimes, users.iter().map(Vec::as_slice), &channels, &["EU".into(), "US".into()], at(2));
        assert_eq!((targeted.audience, targeted.eligible), (4, 2));
        assert_eq!(targeted.share(), Some(0.5));
        assert!(targeted.by_regime.contains(&("GDPR".to_owned(), 2, 1)), "{:?}", targeted.by_regime);
        assert_eq!(audience_eligibility(&regimes, std::iter::empty(), &channels, &[], at(2)).share(), None);

        let everyone = population(&regimes, users.iter().map(Vec::as_slice), at(2));
        assert_eq!(everyone.users, 5);
        assert!(everyone.by_channel.contains(&(DeliveryChannel::Push, 2)) && everyone.by_channel.contains(&(DeliveryChannel::Sms, 2)), "{everyone:?}");
        assert!(everyone.by_region.contains(&("EU-FR".to_owned(), "GDPR".to_owned(), 1, 0)), "{everyone:?}");
    }
}
