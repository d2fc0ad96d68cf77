//! The dashboard's campaign form, read into a `POST /api/v1/campaigns` request. Reading is pure
//! (unit-tested here); each field that cannot be read is named with the form's own field name, so
//! the page shows the reason beside it. The catalogue then checks the request as the API does.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use analytics::events::ConsentMethod;
use analytics::{CampaignType, DeliveryChannel, SegmentType};

use crate::api::CreativeFields;
use crate::wire::{CreativeInput, FieldError, NewCampaignRequest};

/// The form as typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CampaignForm {
    pub name: String,
    pub campaign_type: String,
    pub channels: Vec<String>,
    pub target_segments: Vec<String>,
    /// Comma-separated region codes.
    pub target_regions: String,
    /// Dollars.
    pub budget: String,
    /// `YYYY-MM-DDTHH:MM` (a `datetime-local` input), UTC; empty for none.
    pub starts_at: String,
    pub ends_at: String,
    /// Percent; empty for the default (10).
    pub holdout_percent: String,
    /// `double_opt_in`, `single_opt_in`, `implied`, `imported`; empty for none.
    pub consent_method: String,
    pub has_opt_out_link: bool,
    pub shares_data_with_third_parties: bool,
    /// Empty for no cap.
    pub frequency_cap_per_week: String,
    pub creatives: Vec<CreativeFields>,
}

/// The consent methods a campaign may declare, with their labels.
pub const CONSENT_METHODS: [(&str, &str); 4] =
    [("double_opt_in", "Double opt-in"), ("single_opt_in", "Single opt-in"), ("implied", "Implied"), ("imported", "Imported list")];

fn error(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.to_owned(), reason: reason.into() }
}

/// A `datetime-local` value (seconds optional) or an RFC 3339 time, as UTC.
fn parse_time(text: &str) -> Result<Option<DateTime<Utc>>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(Some(t.with_timezone(&Utc)));
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .map(|t| Some(Utc.from_utc_datetime(&t)))
        .ok_or_else(|| format!("'{text}' is not a date and time (YYYY-MM-DD HH:MM, UTC)"))
}

impl CampaignForm {
    /// The API request, or every field that cannot be read.
    pub fn into_request(self) -> Result<NewCampaignRequest, Vec<FieldError>> {
        let mut errors = Vec::new();
        let campaign_type = match self.campaign_type.parse::<CampaignType>() {
            Ok(t) => Some(t),
            Err(_) => {
                errors.push(error("campaign_type", "choose a campaign type"));
                None
            }
        };
        let mut channels = Vec::new();
        for c in &self.channels {
            match c.parse::<DeliveryChannel>() {
                Ok(c) => channels.push(c),
                Err(e) => errors.push(error("channels", e.to_string())),
            }
        }
        let mut target_segments = Vec::new();
        for s in &self.target_segments {
            match s.parse::<SegmentType>() {
                Ok(s) => target_segments.push(s),
                Err(e) => errors.push(error("target_segments", e.to_string())),
            }
        }
        let target_regions: Vec<String> = self.target_regions.split(',').map(str::trim).filter(|r| !r.is_empty()).map(str::to_owned).collect();
        let budget_cents = match crate::format::parse_dollars(&self.budget) {
            Ok(cents) => Some(cents),
            Err(reason) => {
                errors.push(error("budget", reason));
                None
            }
        };
        let mut time = |field: &str, text: &str| match parse_time(text) {
            Ok(t) => t,
            Err(reason) => {
                errors.push(error(field, reason));
                None
            }
        };
        let starts_at = time("starts_at", &self.starts_at);
        let ends_at = time("ends_at", &self.ends_at);
        let holdout_percent = match self.holdout_percent.trim() {
            "" => None,
            text => match text.trim_end_matches('%').trim().parse::<f64>() {
                Ok(v) if v.is_finite() => Some(v),
                _ => {
                    errors.push(error("holdout_percent", format!("'{text}' is not a percentage (0 to 50)")));
                    None
                }
            },
        };
        let consent_method = match self.consent_method.trim() {
            "" => None,
            text => match serde_json::from_value::<ConsentMethod>(serde_json::Value::String(text.to_owned())) {
                Ok(m) => Some(m),
                Err(_) => {
                    errors.push(error("consent_method", format!("'{text}' is not a consent method")));
                    None
                }
            },
        };
        let frequency_cap_per_week = match self.frequency_cap_per_week.trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(error("frequency_cap_per_week", format!("'{text}' is not a whole number of deliveries (1 to 50)")));
                    None
                }
            },
        };
        // Empty creative slots are skipped; the catalogue checks the others field by field.
        let creatives: Vec<CreativeInput> = self
            .creatives
            .into_iter()
            .filter(|c| ![&c.name, &c.headline, &c.body, &c.call_to_action].iter().all(|f| f.trim().is_empty()))
            .map(|c| CreativeInput { id: None, name: c.name, headline: c.headline, body: c.body, call_to_action: c.call_to_action })
            .collect();
        match (errors.is_empty(), campaign_type, budget_cents) {
            (true, Some(campaign_type), Some(budget_cents)) => Ok(NewCampaignRequest {
                id: None,
                name: self.name,
                campaign_type,
                channels,
                target_segments,
                target_regions,
                budget_cents,
                starts_at,
                ends_at,
                holdout_percent,
                creatives,
                consent_method,
                has_opt_out_link: self.has_opt_out_link,
                shares_data_with_third_parties: self.shares_data_with_third_parties,
                frequency_cap_per_week,
            }),
            _ => Err(errors),
        }
    }
}

/// The form field a catalogue error names (the API's `budget_cents` is the form's `budget`).
pub fn form_field(api_field: &str) -> &str {
    match api_field {
        "budget_cents" => "budget",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> CampaignForm {
        CampaignForm {
            name: "Weekend cashback".into(),
            campaign_type: "CASHBACK".into(),
            channels: vec!["push".into(), "email".into()],
            target_segments: vec!["HIGH_SPENDER".into()],
            target_regions: " US-CA, US-NY ,".into(),
            budget: "$12,500.50".into(),
            starts_at: "2026-12-01T09:00".into(),
            ends_at: "2026-12-08T09:00:00".into(),
            holdout_percent: "15".into(),
            consent_method: "double_opt_in".into(),
            has_opt_out_link: true,
            shares_data_with_third_parties: false,
            frequency_cap_per_week: "3".into(),
            creatives: vec![
                CreativeFields { name: "A".into(), headline: "Save".into(), body: "Now".into(), call_to_action: "Go".into() },
                CreativeFields::default(),
            ],
        }
    }

    #[test]
    fn a_filled_form_reads_into_the_apis_request() {
        let r = filled().into_request().unwrap();
        assert_eq!(r.campaign_type, CampaignType::Cashback);
        assert_eq!(r.channels, [DeliveryChannel::Push, DeliveryChannel::Email]);
        assert_eq!(r.target_regions, ["US-CA", "US-NY"]);
        assert_eq!(r.budget_cents, 1_250_050);
        assert_eq!(r.starts_at, Some(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()));
        assert_eq!(r.ends_at, Some(Utc.with_ymd_and_hms(2026, 12, 8, 9, 0, 0).unwrap()));
        assert_eq!((r.holdout_percent, r.frequency_cap_per_week), (Some(15.0), Some(3)));
        assert_eq!(r.consent_method, Some(ConsentMethod::DoubleOptIn));
        assert_eq!(r.creatives.len(), 1, "the empty slot is skipped");
    }

    #[test]
    fn every_unreadable_field_is_named_with_the_forms_name() {
        let form = CampaignForm {
            campaign_type: "".into(),
            channels: vec!["fax".into()],
            budget: "lots".into(),
            starts_at: "tomorrow".into(),
            holdout_percent: "a tenth".into(),
            consent_method: "shrug".into(),
            frequency_cap_per_week: "-1".into(),
            ..filled()
        };
        let errors = form.into_request().unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["campaign_type", "channels", "budget", "starts_at", "holdout_percent", "consent_method", "frequency_cap_per_week"]);
        assert!(errors.iter().all(|e| !e.reason.is_empty()));
        assert_eq!(form_field("budget_cents"), "budget");
    }
}
