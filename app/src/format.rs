//! Number and time formatting per the design system: tabular, with separators, never `NaN`.

/// The dash shown where a value cannot be given (with a tooltip that says why).
pub const MISSING: &str = "—";

/// `1284` → `1,284`; negative numbers keep their sign.
pub fn count(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A duration in seconds as people say it: `45 s`, `12 min`, `2 h 15 min`, `3 d 4 h`.
pub fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3_599 => format!("{} min", s / 60),
        3_600..=86_399 => {
            let minutes = (s % 3_600) / 60;
            if minutes == 0 { format!("{} h", s / 3_600) } else { format!("{} h {minutes} min", s / 3_600) }
        }
        _ => {
            let hours = (s % 86_400) / 3_600;
            if hours == 0 { format!("{} d", s / 86_400) } else { format!("{} d {hours} h", s / 86_400) }
        }
    }
}

/// Milliseconds with one decimal below 10 ms and none above; `—` for a non-finite value.
pub fn millis(value: f64) -> String {
    if !value.is_finite() {
        MISSING.to_owned()
    } else if value < 10.0 {
        format!("{value:.1} ms")
    } else {
        format!("{} ms", count(value.round() as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_284), "1,284");
        assert_eq!(count(1_000_000), "1,000,000");
        assert_eq!(count(-45_230), "-45,230");
    }

    #[test]
    fn durations_read_like_speech() {
        assert_eq!(duration(45), "45 s");
        assert_eq!(duration(720), "12 min");
        assert_eq!(duration(8_100), "2 h 15 min");
        assert_eq!(duration(7_200), "2 h");
        assert_eq!(duration(273_600), "3 d 4 h");
        assert_eq!(duration(-5), "0 s");
    }

    #[test]
    fn millis_never_prints_nan() {
        assert_eq!(millis(f64::NAN), MISSING);
        assert_eq!(millis(3.24), "3.2 ms");
        assert_eq!(millis(1_234.4), "1,234 ms");
    }
}
