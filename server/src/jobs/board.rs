//! What each background job did last, for Module 9's job list (`GET /api/v1/system`): every
//! job's loop takes a [`Turn`] for each pass and marks it failed with the error it logs, so a job
//! that keeps failing shows as failing, with its error, not only in the server's log.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use app::wire::JobView;
use chrono::{DateTime, Utc};

use crate::clock::Clock;

#[derive(Debug, Clone, Default)]
struct Record {
    about: &'static str,
    every_seconds: u64,
    runs: u64,
    failures: u64,
    running_since: Option<DateTime<Utc>>,
    last_started_at: Option<DateTime<Utc>>,
    last_finished_at: Option<DateTime<Utc>>,
    last_took_ms: Option<u64>,
    last_ok: Option<bool>,
    last_error: Option<String>,
    last_failed_at: Option<DateTime<Utc>>,
}

/// The jobs of this process, by name.
#[derive(Clone, Default)]
pub struct JobBoard(Arc<Mutex<BTreeMap<&'static str, Record>>>);

impl JobBoard {
    fn with<T>(&self, f: impl FnOnce(&mut BTreeMap<&'static str, Record>) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Names a job and how often it runs, before its first pass; the job's loop takes its
    /// passes from the answer.
    pub fn register(&self, name: &'static str, about: &'static str, every_seconds: u64) -> Job {
        self.with(|jobs| {
            let record = jobs.entry(name).or_default();
            record.about = about;
            record.every_seconds = every_seconds;
        });
        Job { board: self.clone(), name }
    }

    /// Every job, by name.
    pub fn list(&self) -> Vec<JobView> {
        self.with(|jobs| {
            jobs.iter()
                .map(|(name, r)| JobView {
                    name: (*name).to_owned(),
                    about: r.about.to_owned(),
                    every_seconds: r.every_seconds,
                    runs: r.runs,
                    failures: r.failures,
                    running_since: r.running_since,
                    last_started_at: r.last_started_at,
                    last_finished_at: r.last_finished_at,
                    last_took_ms: r.last_took_ms,
                    last_ok: r.last_ok,
                    last_error: r.last_error.clone(),
                    last_failed_at: r.last_failed_at,
                })
                .collect()
        })
    }
}

/// A registered job.
pub struct Job {
    board: JobBoard,
    name: &'static str,
}

impl Job {
    /// One pass, timed by the server's clock and a monotonic timer; it counts as succeeded
    /// unless [`Turn::fail`] is called before it ends.
    pub fn turn(&self, clock: &Clock) -> Turn {
        let now = clock.now();
        self.board.with(|jobs| jobs.entry(self.name).or_default().running_since = Some(now));
        Turn { board: self.board.clone(), name: self.name, clock: clock.clone(), started_at: now, timer: std::time::Instant::now(), error: None }
    }
}

/// A pass in progress; it is recorded when dropped.
pub struct Turn {
    board: JobBoard,
    name: &'static str,
    clock: Clock,
    started_at: DateTime<Utc>,
    timer: std::time::Instant,
    error: Option<String>,
}

impl Turn {
    /// Marks the pass failed with what went wrong (the last of several errors is kept).
    pub fn fail(&mut self, error: impl Into<String>) {
        self.error = Some(error.into());
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        let finished = self.clock.now();
        let took = self.timer.elapsed().as_millis() as u64;
        let error = self.error.take();
        self.board.with(|jobs| {
            let r = jobs.entry(self.name).or_default();
            r.runs += 1;
            r.running_since = None;
            r.last_started_at = Some(self.started_at);
            r.last_finished_at = Some(finished);
            r.last_took_ms = Some(took);
            r.last_ok = Some(error.is_none());
            if let Some(error) = error {
                r.failures += 1;
                r.last_error = Some(error);
                r.last_failed_at = Some(finished);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pass_is_recorded_with_its_outcome_and_a_failure_keeps_its_error() {
        let clock = Clock::fixed(DateTime::from_timestamp(1_700_000_000, 0).unwrap());
        let board = JobBoard::default();
        let probe = board.register("probe", "checks the database", 10);
        drop(probe.turn(&clock));
        let mut failing = probe.turn(&clock);
        failing.fail(crate::error::AppError::Unavailable("the database is down".to_owned()).one_line());
        assert_eq!(board.list()[0].running_since, Some(clock.now()), "in progress until it ends");
        drop(failing);
        let job = &board.list()[0];
        assert_eq!((job.runs, job.failures, job.last_ok), (2, 1, Some(false)));
        assert_eq!(job.last_error.as_deref(), Some("service unavailable: the database is down"));
        drop(probe.turn(&clock));
        assert_eq!(board.list()[0].last_ok, Some(true), "the latest pass succeeded; the error stays for reading");
    }
}
