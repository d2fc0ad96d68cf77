//! Progress of long command-line runs (`simulate`, `import`, `rebuild`): an indicatif bar with
//! rate and ETA when stderr is a terminal, and a plain line every few seconds when it is not
//! (logs, CI, tests) — one helper for all three commands.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How often the plain line is written when stderr is not a terminal.
pub const LINE_EVERY: Duration = Duration::from_secs(3);

/// What the position counts, for the bar and the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Items (days, events); the rate is in `rate_of` per second.
    Items,
    /// Bytes of a file; the rate shown is of `rate_of`, counted in the message.
    Bytes,
}

/// A progress report for one run. `label` starts every plain line (`import: …`).
pub struct Progress {
    label: &'static str,
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    /// When the last plain line was written (the start, before the first).
    last_line: Instant,
    total: Option<u64>,
    unit: Unit,
}

impl Progress {
    /// `total`: the final position when known (days, bytes), for the bar's ETA.
    pub fn new(label: &'static str, total: Option<u64>, unit: Unit) -> Progress {
        let terminal = std::io::stderr().is_terminal();
        Progress::with_terminal(label, total, unit, terminal)
    }

    fn with_terminal(label: &'static str, total: Option<u64>, unit: Unit, terminal: bool) -> Progress {
        let bar = terminal.then(|| {
            let (bar, template) = match (total, unit) {
                (Some(total), Unit::Bytes) => {
                    (indicatif::ProgressBar::new(total), "{prefix}: {bar:40} {bytes}/{total_bytes} {msg} ETA {eta}")
                }
                (Some(total), Unit::Items) => (indicatif::ProgressBar::new(total), "{prefix}: {bar:40} {pos}/{len} {msg} ETA {eta}"),
                (None, _) => (indicatif::ProgressBar::new_spinner(), "{prefix}: {spinner} {msg} ({elapsed})"),
            };
            bar.set_style(indicatif::ProgressStyle::with_template(template).unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()));
            bar.set_prefix(label);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        let started = Instant::now();
        Progress { label, bar, started, last_line: started, total, unit }
    }

    /// Moves to `position` (of `total`); `count` of `what` (e.g. 12,000 "events") gives the rate.
    pub fn update(&mut self, position: u64, count: u64, what: &str) {
        let rate = count as f64 / self.started.elapsed().as_secs_f64().max(0.001);
        let message = format!("{count} {what} ({rate:.0}/s)");
        match &self.bar {
            Some(bar) => {
                bar.set_position(position);
                bar.set_message(message);
            }
            // A short run prints nothing but its summary; a long one a line every LINE_EVERY.
            None if self.last_line.elapsed() >= LINE_EVERY => {
                eprintln!("{}: {}{message}", self.label, self.of_total(position));
                self.last_line = Instant::now();
            }
            None => {}
        }
    }

    fn of_total(&self, position: u64) -> String {
        match (self.total, self.unit) {
            (Some(total), Unit::Items) => format!("{position}/{total}, "),
            (Some(total), Unit::Bytes) if total > 0 => format!("{:.0}%, ", 100.0 * position as f64 / total as f64),
            _ => String::new(),
        }
    }

    /// Clears the bar (the command prints its own summary).
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_a_terminal_there_is_no_bar_and_lines_are_spaced() {
        let mut progress = Progress::with_terminal("test", Some(10), Unit::Items, false);
        assert!(progress.bar.is_none());
        let before = progress.last_line;
        progress.update(1, 100, "events");
        assert_eq!(progress.last_line, before, "no line within {LINE_EVERY:?} of the start");
        progress.last_line = Instant::now() - LINE_EVERY;
        progress.update(2, 200, "events");
        assert!(progress.last_line.elapsed() < LINE_EVERY, "a line once {LINE_EVERY:?} passed");
        assert_eq!(progress.of_total(2), "2/10, ");
    }

    #[test]
    fn on_a_terminal_the_bar_follows_the_position() {
        let mut progress = Progress::with_terminal("test", Some(1_000), Unit::Bytes, true);
        progress.update(500, 20, "rows");
        assert_eq!(progress.bar.as_ref().map(|b| b.position()), Some(500));
        progress.finish();
    }
}
