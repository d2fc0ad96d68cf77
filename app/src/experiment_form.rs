//! The creative-test form (Module 5's "A/B test (clone + modify)") as typed, and its reading
//! into `POST /api/v1/experiments`' request. Pure, so it is tested without a browser.

use crate::wire::{ArmInput, CreativeInput, FieldError, NewExperiment};

/// The form's fields, as the browser sends them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CreativeTestForm {
    pub name: String,
    pub campaign_id: String,
    pub control_creative_id: String,
    pub challenger_name: String,
    pub challenger_headline: String,
    pub challenger_body: String,
    pub challenger_cta: String,
    pub primary_metric: String,
    pub minimum_effect_percent: String,
    pub duration_days: String,
    pub auto_ship: bool,
}

fn problem(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.to_owned(), reason: reason.into() }
}

impl CreativeTestForm {
    /// The API request, or every field that cannot be read (the API checks the rest).
    pub fn into_request(self) -> Result<NewExperiment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let campaign_id = uuid::Uuid::parse_str(self.campaign_id.trim()).map_err(|_| errors.push(problem("campaign_id", "choose the campaign"))).ok();
        let control = uuid::Uuid::parse_str(self.control_creative_id.trim()).map_err(|_| errors.push(problem("control_creative_id", "choose the creative to challenge"))).ok();
        let primary_metric = self.primary_metric.trim().parse().map_err(|e: String| errors.push(problem("primary_metric", e))).ok();
        let minimum_effect_percent = match self.minimum_effect_percent.trim() {
            "" => None,
            text => text.trim_end_matches('%').trim().parse::<f64>().map_err(|_| errors.push(problem("minimum_effect_percent", format!("must be a number of percent, got '{text}'")))).ok(),
        };
        let duration_days = match self.duration_days.trim() {
            "" => None,
            text => text.parse::<u32>().map_err(|_| errors.push(problem("duration_days", format!("must be a whole number of days, got '{text}'")))).ok(),
        };
        let (Some(campaign_id), Some(control), Some(primary_metric)) = (campaign_id, control, primary_metric) else {
            return Err(errors);
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewExperiment {
            name: self.name,
            kind: crate::wire::ExperimentKind::Creative,
            campaign_id,
            arms: vec![
                ArmInput { label: None, creative_id: Some(control), new_creative: None, campaign_id: None, share_percent: None },
                ArmInput {
                    label: None,
                    creative_id: None,
                    new_creative: Some(CreativeInput { id: None, name: self.challenger_name, headline: self.challenger_headline, body: self.challenger_body, call_to_action: self.challenger_cta }),
                    campaign_id: None,
                    share_percent: None,
                },
            ],
            control: Some(0),
            primary_metric,
            guardrails: None,
            covariate: None,
            minimum_effect_percent,
            alpha: None,
            power: None,
            duration_days,
            baseline: None,
            auto_ship: self.auto_ship,
        })
    }
}

/// The form field an API field error belongs to (`arms[1].new_creative.headline` → the
/// challenger's headline).
pub fn form_field(api_field: &str) -> &str {
    match api_field {
        "arms[1].new_creative.name" => "challenger_name",
        "arms[1].new_creative.headline" => "challenger_headline",
        "arms[1].new_creative.body" => "challenger_body",
        "arms[1].new_creative.call_to_action" => "challenger_cta",
        "arms[0].creative_id" | "arms[0]" => "control_creative_id",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> CreativeTestForm {
        CreativeTestForm {
            name: "Headline test".into(),
            campaign_id: uuid::Uuid::from_u128(1).to_string(),
            control_creative_id: uuid::Uuid::from_u128(2).to_string(),
            challenger_name: "B".into(),
            challenger_headline: "Only 100 left".into(),
            challenger_body: "This weekend".into(),
            challenger_cta: "Grab it".into(),
            primary_metric: "click_rate".into(),
            minimum_effect_percent: "20%".into(),
            duration_days: "7".into(),
            auto_ship: true,
        }
    }

    #[test]
    fn a_filled_form_is_a_test_of_the_creative_against_its_challenger() {
        let request = filled().into_request().unwrap();
        assert_eq!(request.arms[0].creative_id, Some(uuid::Uuid::from_u128(2)));
        assert_eq!(request.arms[1].new_creative.as_ref().unwrap().headline, "Only 100 left");
        assert_eq!((request.minimum_effect_percent, request.duration_days, request.auto_ship), (Some(20.0), Some(7), true));
    }

    #[test]
    fn unreadable_fields_are_named() {
        let form = CreativeTestForm { primary_metric: "ctr".into(), minimum_effect_percent: "lots".into(), duration_days: "a week".into(), ..filled() };
        let fields: Vec<String> = form.into_request().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["primary_metric", "minimum_effect_percent", "duration_days"]);
        assert_eq!(form_field("arms[1].new_creative.headline"), "challenger_headline");
    }
}
