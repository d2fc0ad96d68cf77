//! Holdout assignment: deterministic, pinned and documented, shared by the server and the
//! simulator. A user is in a campaign's holdout group when the first 8 bytes of
//! SHA-256(`holdout:v1:<campaign uuid>:<user id>`), read as a big-endian integer and divided by
//! 2^64, fall below the campaign's holdout share. The same user is always in the same group.

use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A number in [0, 1) fixed for this campaign and user.
pub fn position(campaign: Uuid, user_id: &str) -> f64 {
    let digest = Sha256::digest(format!("holdout:v1:{}:{user_id}", campaign.hyphenated()).as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) as f64 / 18_446_744_073_709_551_616.0
}

/// Whether the user is held out of the campaign (`share` in [0, 1]).
pub fn is_holdout(campaign: Uuid, user_id: &str, share: f64) -> bool {
    position(campaign, user_id) < share
}

/// Which deliverable creative a treatment user gets: the treatment part of the range,
/// `[share, 1)`, cut into one slice per creative in proportion to its weight, so each creative's
/// share of users is fixed by the weights and a user moves only when the weights change. `None`
/// for a held-out user or when there is no creative (or no weight) to deliver.
pub fn creative_slot(position: f64, share: f64, weights: &[u32]) -> Option<usize> {
    let total: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if total == 0 || position < share || share >= 1.0 {
        return None;
    }
    let target = (position - share) / (1.0 - share) * total as f64;
    let mut end = 0.0;
    for (slot, weight) in weights.iter().enumerate() {
        end += f64::from(*weight);
        if target < end {
            return Some(slot);
        }
    }
    weights.iter().rposition(|w| *w > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_assignment_is_pinned_and_stable() {
        let campaign = Uuid::parse_str("6f1c0f64-5a55-4a8e-9a0e-2f4f1b1f0c11").unwrap();
        // Pinned: changing the hash input would silently move users between groups.
        let p = position(campaign, "u-42");
        assert_eq!(p, position(campaign, "u-42"));
        assert!((0.0..1.0).contains(&p));
        let expected = {
            let d = Sha256::digest(b"holdout:v1:6f1c0f64-5a55-4a8e-9a0e-2f4f1b1f0c11:u-42");
            u64::from_be_bytes([d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]]) as f64 / 2f64.powi(64)
        };
        assert_eq!(p, expected);
        // And the value itself (SHA-256 of that string begins 689a93aaf30568c7), so a change of
        // hash function or byte order is caught too.
        assert_eq!(p, 0.4086086552006428);
    }

    #[test]
    fn about_the_share_of_users_is_held_out() {
        let campaign = Uuid::from_u128(7);
        let held = (0..20_000).filter(|i| is_holdout(campaign, &format!("u-{i}"), 0.10)).count();
        // 10% of 20,000 = 2,000 ± 4 standard errors (≈ 170).
        assert!((1_830..=2_170).contains(&held), "{held}");
    }

    #[test]
    fn treatment_users_are_split_over_the_deliverable_creatives_by_weight() {
        let even = [100, 100, 100];
        assert_eq!(creative_slot(0.05, 0.10, &even), None, "held out");
        assert_eq!(creative_slot(0.5, 0.10, &[]), None, "nothing to deliver");
        assert_eq!(creative_slot(0.10, 0.10, &even), Some(0));
        assert_eq!(creative_slot(0.999_999, 0.10, &even), Some(2));
        // (0.55 − 0.10) ÷ 0.90 = 0.5 → the middle of three.
        assert_eq!(creative_slot(0.55, 0.10, &even), Some(1));
        let campaign = Uuid::from_u128(9);
        let mut counts = [0usize; 4];
        for i in 0..20_000 {
            if let Some(slot) = creative_slot(position(campaign, &format!("u-{i}")), 0.2, &[100, 100, 100, 100]) {
                counts[slot] += 1;
            }
        }
        // 80% of 20,000 ÷ 4 = 4,000 each ± 4 standard errors (≈ 250).
        assert!(counts.iter().all(|c| (3_750..=4_250).contains(c)), "{counts:?}");
        // A boost of 30%: 130 ÷ 230 of the treatment users, about 56.5%.
        let boosted = (0..20_000).filter(|i| creative_slot(position(campaign, &format!("u-{i}")), 0.0, &[130, 100]) == Some(0)).count();
        assert!((11_000..=11_600).contains(&boosted), "{boosted}");
    }
}
