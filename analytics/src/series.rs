//! Time series helpers: dense hourly buckets for charts.

use chrono::{DateTime, Duration, DurationRound, Utc};
use serde::{Deserialize, Serialize};

/// One hour of a series: the hour's start (UTC) and a count.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourBucket {
    pub hour_start: DateTime<Utc>,
    pub count: i64,
}

/// The start of the UTC hour that contains `t`.
pub fn hour_floor(t: DateTime<Utc>) -> DateTime<Utc> {
    // Truncating a UTC time to a whole hour cannot overflow; fall back to `t` on the impossible error.
    t.duration_trunc(Duration::hours(1)).unwrap_or(t)
}

/// A dense series of the `hours` whole hours ending with the hour that contains `now`, oldest first.
///
/// `sparse` holds the hours that had something (any order, hours outside the window are ignored,
/// counts of the same hour are added); every other hour of the window is present with a zero,
/// so a chart never draws a line across a gap as if it were data.
pub fn hourly_series(now: DateTime<Utc>, hours: u32, sparse: &[HourBucket]) -> Vec<HourBucket> {
    let last = hour_floor(now);
    let first = last - Duration::hours(i64::from(hours.saturating_sub(1)));
    let mut dense: Vec<HourBucket> = (0..i64::from(hours))
        .map(|i| HourBucket { hour_start: first + Duration::hours(i), count: 0 })
        .collect();
    for bucket in sparse {
        let start = hour_floor(bucket.hour_start);
        if start < first || start > last {
            continue;
        }
        let index = (start - first).num_hours() as usize;
        dense[index].count += bucket.count;
    }
    dense
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap()
    }

    #[test]
    fn fills_missing_hours_with_zero_and_ends_at_the_current_hour() {
        let series = hourly_series(at(10, 42), 4, &[HourBucket { hour_start: at(8, 0), count: 5 }]);
        let starts: Vec<_> = series.iter().map(|b| b.hour_start).collect();
        assert_eq!(starts, vec![at(7, 0), at(8, 0), at(9, 0), at(10, 0)]);
        let counts: Vec<_> = series.iter().map(|b| b.count).collect();
        assert_eq!(counts, vec![0, 5, 0, 0]);
    }

    #[test]
    fn ignores_hours_outside_the_window_and_adds_duplicates() {
        let sparse = [
            HourBucket { hour_start: at(1, 0), count: 100 },
            HourBucket { hour_start: at(10, 0), count: 2 },
            HourBucket { hour_start: at(10, 30), count: 3 },
            HourBucket { hour_start: at(11, 0), count: 7 },
        ];
        let series = hourly_series(at(10, 5), 2, &sparse);
        assert_eq!(series.iter().map(|b| b.count).collect::<Vec<_>>(), vec![0, 5]);
    }

    #[test]
    fn zero_hours_is_an_empty_series() {
        assert!(hourly_series(at(10, 5), 0, &[]).is_empty());
    }
}
