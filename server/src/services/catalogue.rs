//! The campaign catalogue: campaigns and their creatives. (The catalogue API with its status
//! transitions builds on these.)

use analytics::CampaignType;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set};
use uuid::Uuid;

use crate::entities::{campaigns, creatives};
use crate::error::Result;

/// A creative: one headline / body / call-to-action variant.
#[derive(Debug, Clone)]
pub struct NewCreative {
    pub name: String,
    pub headline: String,
    pub body: String,
    pub call_to_action: String,
}

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub name: String,
    pub campaign_type: CampaignType,
    pub budget_cents: i64,
    /// Basis points of the audience held out (1000 = 10%).
    pub holdout_share_bp: i32,
    pub creatives: Vec<NewCreative>,
}

/// Stores a campaign (as a draft) with its creatives; returns their ids.
pub async fn create_campaign(db: &impl ConnectionTrait, campaign: NewCampaign, now: DateTime<Utc>) -> Result<(Uuid, Vec<Uuid>)> {
    let id = Uuid::new_v4();
    campaigns::ActiveModel {
        id: Set(id),
        name: Set(campaign.name),
        campaign_type: Set(campaign.campaign_type.as_str().to_owned()),
        status: Set("draft".to_owned()),
        budget_cents: Set(campaign.budget_cents),
        holdout_share_bp: Set(campaign.holdout_share_bp),
        target_segment: Set(None),
        starts_at: Set(None),
        ends_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(db)
    .await?;
    let mut creative_ids = Vec::new();
    for creative in campaign.creatives {
        let creative_id = Uuid::new_v4();
        creatives::ActiveModel {
            id: Set(creative_id),
            campaign_id: Set(id),
            name: Set(creative.name),
            headline: Set(creative.headline),
            body: Set(creative.body),
            call_to_action: Set(creative.call_to_action),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        creative_ids.push(creative_id);
    }
    Ok((id, creative_ids))
}
