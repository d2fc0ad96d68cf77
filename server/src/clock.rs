//! The one time source. Every time-dependent rule ("5 minutes", "30 days", "7 days running",
//! scheduled jobs, uptime) reads [`Clock::now`], never the system time directly, so tests and the
//! simulator can fix time or move it forward instead of waiting.

use std::sync::{Arc, PoisonError, RwLock};

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// System time plus an offset (zero unless someone advanced the clock).
    System { offset: Duration },
    /// A time that only moves when told to.
    Fixed(DateTime<Utc>),
}

/// A cheap-to-clone handle; clones share the same time.
#[derive(Debug, Clone)]
pub struct Clock {
    mode: Arc<RwLock<Mode>>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl Clock {
    /// Real time.
    pub fn system() -> Clock {
        Clock { mode: Arc::new(RwLock::new(Mode::System { offset: Duration::zero() })) }
    }

    /// A clock standing still at `at` until [`advance`](Self::advance)d or [`set`](Self::set).
    pub fn fixed(at: DateTime<Utc>) -> Clock {
        Clock { mode: Arc::new(RwLock::new(Mode::Fixed(at))) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        // A poisoned lock still holds a valid mode (it is plain data), so keep using it.
        match *self.mode.read().unwrap_or_else(PoisonError::into_inner) {
            Mode::System { offset } => Utc::now() + offset,
            Mode::Fixed(at) => at,
        }
    }

    /// How far this clock runs ahead of the system's (negative: behind).
    pub fn ahead_of_system(&self) -> Duration {
        self.now() - Utc::now()
    }

    /// Moves time forward (or back, with a negative duration) for every clone of this clock.
    pub fn advance(&self, by: Duration) {
        let mut mode = self.mode.write().unwrap_or_else(PoisonError::into_inner);
        *mode = match *mode {
            Mode::System { offset } => Mode::System { offset: offset + by },
            Mode::Fixed(at) => Mode::Fixed(at + by),
        };
    }

    /// Stops the clock at `at`.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.mode.write().unwrap_or_else(PoisonError::into_inner) = Mode::Fixed(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_fixed_clock_moves_only_when_advanced_and_clones_share_it() {
        let start = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
        let clock = Clock::fixed(start);
        let other = clock.clone();
        assert_eq!(clock.now(), start);
        other.advance(Duration::minutes(5));
        assert_eq!(clock.now(), start + Duration::minutes(5));
    }

    #[test]
    fn an_advanced_system_clock_runs_ahead_of_real_time() {
        let clock = Clock::system();
        clock.advance(Duration::days(30));
        let ahead = clock.now() - Utc::now();
        assert!(ahead > Duration::days(29) && ahead <= Duration::days(30), "{ahead}");
    }
}
