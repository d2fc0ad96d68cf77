//! The dashboard's new-test form as typed, read into `POST /api/v1/experiments`' request: a
//! creative test (a control creative, variants among the campaign's other creatives, and
//! optionally a new challenger written from the control's clone — Module 5's "A/B test (clone +
//! modify)") or a campaign test (a control campaign and variant campaigns); the split, the
//! primary metric, guardrails, the smallest lift and the duration. Pure, so it is unit-tested;
//! each field that cannot be read is named with the form's own field name.

use analytics::experiment::Metric;

use crate::wire::{ArmInput, CreativeInput, ExperimentKind, FieldError, NewExperiment};

/// The form's fields, as the browser sends them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentForm {
    pub name: String,
    /// `creative` or `campaign`.
    pub kind: String,
    pub campaign_id: String,
    pub control_creative_id: String,
    /// Ticked creatives of the campaign to test against the control.
    pub variant_creatives: Vec<String>,
    /// A new challenger: included when ticked.
    pub with_challenger: bool,
    pub challenger_name: String,
    pub challenger_headline: String,
    pub challenger_body: String,
    pub challenger_cta: String,
    /// Ticked campaigns to test against the control campaign (`campaign_id`).
    pub variant_campaigns: Vec<String>,
    /// Percent per arm in order (control first), e.g. `20, 40, 40`; empty for an even split.
    pub split: String,
    pub primary_metric: String,
    pub guardrails: Vec<String>,
    pub minimum_effect_percent: String,
    pub duration_days: String,
    pub auto_ship: bool,
}

fn problem(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError { field: field.to_owned(), reason: reason.into() }
}

fn uuid(text: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(text.trim()).ok()
}

impl ExperimentForm {
    /// The API request, or every field that cannot be read (the API checks the rest).
    pub fn into_request(self) -> Result<NewExperiment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = match self.kind.trim() {
            "" | "creative" => ExperimentKind::Creative,
            "campaign" => ExperimentKind::Campaign,
            other => {
                errors.push(problem("kind", format!("a test is of creatives or of campaigns, not '{other}'")));
                ExperimentKind::Creative
            }
        };
        let campaign_id = uuid(&self.campaign_id);
        if campaign_id.is_none() {
            errors.push(problem("campaign_id", "choose the campaign"));
        }
        let mut arms = Vec::new();
        match kind {
            ExperimentKind::Campaign => {
                arms.push(ArmInput { label: None, creative_id: None, new_creative: None, campaign_id, share_percent: None });
                for text in &self.variant_campaigns {
                    match uuid(text) {
                        Some(id) if Some(id) != campaign_id => arms.push(ArmInput { label: None, creative_id: None, new_creative: None, campaign_id: Some(id), share_percent: None }),
                        Some(_) => {}
                        None => errors.push(problem("variant_campaigns", format!("'{text}' is not a campaign"))),
                    }
                }
            }
            _ => {
                let control = uuid(&self.control_creative_id);
                if control.is_none() {
                    errors.push(problem("control_creative_id", "choose the creative to challenge"));
                }
                arms.push(ArmInput { label: None, creative_id: control, new_creative: None, campaign_id: None, share_percent: None });
                for text in &self.variant_creatives {
                    match uuid(text) {
                        Some(id) if Some(id) != control => arms.push(ArmInput { label: None, creative_id: Some(id), new_creative: None, campaign_id: None, share_percent: None }),
                        Some(_) => {}
                        None => errors.push(problem("variant_creatives", format!("'{text}' is not a creative"))),
                    }
                }
                if self.with_challenger {
                    let new_creative = CreativeInput { id: None, name: self.challenger_name, headline: self.challenger_headline, body: self.challenger_body, call_to_action: self.challenger_cta };
                    arms.push(ArmInput { label: None, creative_id: None, new_creative: Some(new_creative), campaign_id: None, share_percent: None });
                }
            }
        }
        if arms.len() < 2 {
            let field = if kind == ExperimentKind::Campaign { "variant_campaigns" } else { "variant_creatives" };
            errors.push(problem(field, "choose at least one variant (or add a challenger) to test against the control"));
        }
        let split: Vec<&str> = self.split.split([',', '/', ' ']).map(str::trim).filter(|s| !s.is_empty()).collect();
        if !split.is_empty() {
            if split.len() != arms.len() {
                errors.push(problem("split", format!("give one share per arm ({}: the control first), or leave it empty for an even split", arms.len())));
            } else {
                for (arm, text) in arms.iter_mut().zip(&split) {
                    match text.trim_end_matches('%').parse::<f64>() {
                        Ok(share) => arm.share_percent = Some(share),
                        Err(_) => errors.push(problem("split", format!("'{text}' is not a percent"))),
                    }
                }
            }
        }
        let primary_metric: Option<Metric> = self.primary_metric.trim().parse().map_err(|e: String| errors.push(problem("primary_metric", e))).ok();
        let guardrails: Vec<Metric> = self.guardrails.iter().filter_map(|g| g.parse().map_err(|e: String| errors.push(problem("guardrails", e))).ok()).collect();
        let minimum_effect_percent = match self.minimum_effect_percent.trim() {
            "" => None,
            text => text.trim_end_matches('%').trim().parse::<f64>().map_err(|_| errors.push(problem("minimum_effect_percent", format!("must be a number of percent, got '{text}'")))).ok(),
        };
        let duration_days = match self.duration_days.trim() {
            "" => None,
            text => text.parse::<u32>().map_err(|_| errors.push(problem("duration_days", format!("must be a whole number of days, got '{text}'")))).ok(),
        };
        let (Some(campaign_id), Some(primary_metric), true) = (campaign_id, primary_metric, errors.is_empty()) else {
            return Err(errors);
        };
        Ok(NewExperiment {
            name: self.name,
            kind,
            campaign_id,
            arms,
            control: Some(0),
            primary_metric,
            guardrails: Some(guardrails),
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

/// The form field an API field error belongs to (`arms[2].new_creative.headline` → the
/// challenger's headline; any other arm problem → the variants).
pub fn form_field(api_field: &str) -> &str {
    if let Some(rest) = api_field.split_once(".new_creative.").map(|(_, rest)| rest) {
        return match rest {
            "name" => "challenger_name",
            "headline" => "challenger_headline",
            "body" => "challenger_body",
            "call_to_action" => "challenger_cta",
            _ => "with_challenger",
        };
    }
    match api_field {
        "arms[0].creative_id" | "arms[0]" => "control_creative_id",
        f if f.ends_with("share_percent") => "split",
        f if f.starts_with("arms[") && f.contains("campaign_id") => "variant_campaigns",
        f if f.starts_with("arms") => "variant_creatives",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> String {
        uuid::Uuid::from_u128(n).to_string()
    }

    fn filled() -> ExperimentForm {
        ExperimentForm {
            name: "Headline test".into(),
            kind: "creative".into(),
            campaign_id: id(1),
            control_creative_id: id(2),
            variant_creatives: vec![id(3)],
            with_challenger: true,
            challenger_name: "B".into(),
            challenger_headline: "Only 100 left".into(),
            challenger_body: "This weekend".into(),
            challenger_cta: "Grab it".into(),
            split: "20, 40, 40".into(),
            primary_metric: "click_rate".into(),
            guardrails: vec!["unsubscribe_rate".into()],
            minimum_effect_percent: "20%".into(),
            duration_days: "7".into(),
            auto_ship: true,
            ..ExperimentForm::default()
        }
    }

    #[test]
    fn a_creative_test_has_the_control_the_ticked_variants_and_the_challenger_with_the_split() {
        let request = filled().into_request().unwrap();
        assert_eq!(request.kind, ExperimentKind::Creative);
        assert_eq!(request.arms.len(), 3);
        assert_eq!(request.arms[0].creative_id, Some(uuid::Uuid::from_u128(2)));
        assert_eq!(request.arms[1].creative_id, Some(uuid::Uuid::from_u128(3)));
        assert_eq!(request.arms[2].new_creative.as_ref().unwrap().headline, "Only 100 left");
        assert_eq!(request.arms.iter().map(|a| a.share_percent).collect::<Vec<_>>(), [Some(20.0), Some(40.0), Some(40.0)]);
        assert_eq!(request.guardrails, Some(vec![Metric::UnsubscribeRate]));
        assert_eq!((request.minimum_effect_percent, request.duration_days, request.auto_ship), (Some(20.0), Some(7), true));
    }

    #[test]
    fn a_campaign_test_has_the_control_campaign_first() {
        let form = ExperimentForm { kind: "campaign".into(), variant_campaigns: vec![id(9), id(1)], split: String::new(), with_challenger: false, ..filled() };
        let request = form.into_request().unwrap();
        assert_eq!(request.arms.iter().map(|a| a.campaign_id).collect::<Vec<_>>(), [Some(uuid::Uuid::from_u128(1)), Some(uuid::Uuid::from_u128(9))]);
        assert!(request.arms.iter().all(|a| a.share_percent.is_none()));
    }

    #[test]
    fn unreadable_fields_are_named() {
        let form = ExperimentForm { primary_metric: "ctr".into(), minimum_effect_percent: "lots".into(), duration_days: "a week".into(), split: "50, 50".into(), ..filled() };
        let fields: Vec<String> = form.into_request().unwrap_err().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["split", "primary_metric", "minimum_effect_percent", "duration_days"]);
        let lonely = ExperimentForm { variant_creatives: vec![], with_challenger: false, split: String::new(), ..filled() };
        assert_eq!(lonely.into_request().unwrap_err()[0].field, "variant_creatives");
        assert_eq!(form_field("arms[2].new_creative.headline"), "challenger_headline");
        assert_eq!(form_field("arms.share_percent"), "split");
        assert_eq!(form_field("arms[1].creative_id"), "variant_creatives");
    }
}
