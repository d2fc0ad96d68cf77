//! The vocabulary of the spec (PART 3 module 2 and 3, PART 5 event taxonomy) as closed enums.
//!
//! Each enum round-trips through the exact spelling the spec uses on the wire and in the database,
//! so a typo in an event or a filter is an error that names the bad value, never a silent miss.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A name that is not one of an enum's spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} '{value}': expected one of {expected}")]
pub struct UnknownName {
    pub kind: &'static str,
    pub value: String,
    pub expected: String,
}

/// Declares a closed enum with one wire spelling per variant, plus `ALL`, `as_str`,
/// `Display` and a `FromStr` whose error lists the accepted spellings.
macro_rules! spelled_enum {
    ($(#[$meta:meta])* $name:ident, $kind:literal, { $($variant:ident => $spelling:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name {
            $(#[serde(rename = $spelling)] $variant,)+
        }

        impl $name {
            /// Every variant, in the spec's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The spelling used on the wire and in the database.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $spelling,)+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownName;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($spelling => Ok($name::$variant),)+
                    _ => Err(UnknownName {
                        kind: $kind,
                        value: value.to_owned(),
                        expected: [$($spelling),+].join(", "),
                    }),
                }
            }
        }
    };
}

spelled_enum!(
    /// The eight campaign types of the leaderboard filter (spec module 2).
    CampaignType, "campaign type", {
        Discount => "DISCOUNT",
        Cashback => "CASHBACK",
        Loyalty => "LOYALTY",
        LocationBased => "LOCATION_BASED",
        CategoryPromotion => "CATEGORY_PROMOTION",
        SpendingMilestone => "SPENDING_MILESTONE",
        ReEngagement => "RE_ENGAGEMENT",
        Vip => "VIP",
    }
);

spelled_enum!(
    /// The eight behavioural segments (spec module 3).
    SegmentType, "segment", {
        HighSpender => "HIGH_SPENDER",
        FrequentShopper => "FREQUENT_SHOPPER",
        WeekendShopper => "WEEKEND_SHOPPER",
        CategoryFocused => "CATEGORY_FOCUSED",
        LocationClustered => "LOCATION_CLUSTERED",
        NewShopper => "NEW_SHOPPER",
        Inactive => "INACTIVE",
        SeasonalSpender => "SEASONAL_SPENDER",
    }
);

impl SegmentType {
    /// The rule that puts a user in the segment, as the spec states it (module 3).
    pub fn definition(self) -> &'static str {
        match self {
            SegmentType::HighSpender => "Top 20% of users by spend",
            SegmentType::FrequentShopper => "2 or more purchases a week",
            SegmentType::WeekendShopper => "70% or more of purchases on weekends",
            SegmentType::CategoryFocused => "50% or more of spend in one category",
            SegmentType::LocationClustered => "Purchases at 1 or 2 locations",
            SegmentType::NewShopper => "First purchase less than 30 days ago",
            SegmentType::Inactive => "No purchase for more than 30 days",
            SegmentType::SeasonalSpender => "Spend varies 3x or more across seasons",
        }
    }
}

spelled_enum!(
    /// A campaign's lifecycle: draft → pending_approval → scheduled → active ⇄ paused →
    /// completed → archived (the leaderboard's status filter shows the middle four).
    CampaignStatus, "campaign status", {
        Draft => "draft",
        PendingApproval => "pending_approval",
        Scheduled => "scheduled",
        Active => "active",
        Paused => "paused",
        Completed => "completed",
        Archived => "archived",
    }
);

impl CampaignStatus {
    /// The states a campaign may move to from this one; anything else is an illegal transition.
    pub fn next(self) -> &'static [CampaignStatus] {
        use CampaignStatus::*;
        match self {
            Draft => &[PendingApproval, Archived],
            // Approval schedules it; rejection sends it back to draft.
            PendingApproval => &[Scheduled, Draft],
            Scheduled => &[Active, Draft],
            Active => &[Paused, Completed],
            Paused => &[Active, Completed],
            Completed => &[Archived],
            Archived => &[],
        }
    }

    pub fn can_move_to(self, to: CampaignStatus) -> bool {
        self.next().contains(&to)
    }

    /// Whether the campaign may deliver messages in this state.
    pub fn is_delivering(self) -> bool {
        self == CampaignStatus::Active
    }
}

spelled_enum!(
    /// Where an event was produced (spec PART 5 envelope, `source`).
    EventSource, "source", {
        Mobile => "mobile",
        AdminPortal => "admin_portal",
        Backend => "backend",
    }
);

spelled_enum!(
    /// The client platform (spec PART 5 envelope, `context.platform`).
    Platform, "platform", {
        Ios => "iOS",
        Android => "Android",
        Web => "Web",
    }
);

spelled_enum!(
    /// How a campaign reached the user (spec PART 5, `campaign_delivered.delivery_channel`).
    DeliveryChannel, "delivery channel", {
        Push => "push",
        Email => "email",
        Sms => "sms",
        InApp => "in_app",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_round_trips() {
        for t in CampaignType::ALL {
            assert_eq!(t.as_str().parse::<CampaignType>().unwrap(), *t);
        }
        for s in SegmentType::ALL {
            assert_eq!(s.as_str().parse::<SegmentType>().unwrap(), *s);
            assert_eq!(s.to_string(), s.as_str());
        }
        assert_eq!(CampaignType::ALL.len(), 8);
        assert_eq!(SegmentType::ALL.len(), 8);
    }

    #[test]
    fn unknown_spelling_names_the_value_and_the_choices() {
        let err = "HIGH_SPENDERS".parse::<SegmentType>().unwrap_err();
        let message = err.to_string();
        assert!(message.contains("'HIGH_SPENDERS'"), "{message}");
        assert!(message.contains("HIGH_SPENDER, FREQUENT_SHOPPER"), "{message}");
    }

    #[test]
    fn the_lifecycle_allows_only_its_transitions() {
        use CampaignStatus::*;
        assert!(Draft.can_move_to(PendingApproval));
        assert!(Active.can_move_to(Paused) && Paused.can_move_to(Active));
        assert!(!Draft.can_move_to(Active), "no launch without approval");
        assert!(!Completed.can_move_to(Active));
        assert!(Archived.next().is_empty());
        // Every state is reachable from draft.
        let mut seen = vec![Draft];
        let mut frontier = vec![Draft];
        while let Some(state) = frontier.pop() {
            for next in state.next() {
                if !seen.contains(next) {
                    seen.push(*next);
                    frontier.push(*next);
                }
            }
        }
        assert_eq!(seen.len(), CampaignStatus::ALL.len());
    }

    #[test]
    fn spellings_are_case_sensitive_like_the_spec() {
        assert!("ios".parse::<Platform>().is_err());
        assert_eq!("iOS".parse::<Platform>().unwrap(), Platform::Ios);
    }
}
