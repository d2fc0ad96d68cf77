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

/// Dollars with separators and cents: `$12,345.67`, `-$3.10`; `—` for a non-finite value.
pub fn money(dollars: f64) -> String {
    if !dollars.is_finite() {
        return MISSING.to_owned();
    }
    let cents = (dollars.abs() * 100.0).round() as i64;
    let sign = if dollars < 0.0 && cents > 0 { "-" } else { "" };
    format!("{sign}${}.{:02}", count(cents / 100), cents % 100)
}

/// Money for cards and axes: millions shortened (`$1.2M`), anything less in full.
pub fn money_compact(dollars: f64) -> String {
    if dollars.is_finite() && dollars.abs() >= 1_000_000.0 {
        let sign = if dollars < 0.0 { "-" } else { "" };
        format!("{sign}${}M", fixed(dollars.abs() / 1_000_000.0, 1))
    } else {
        money(dollars)
    }
}

/// A value shown with `show`, or "—" when there is none (the reason goes in the cell's title).
pub fn or_missing(value: Option<f64>, show: impl Fn(f64) -> String) -> String {
    value.map_or_else(|| MISSING.to_owned(), show)
}

/// A number with `places` decimals, a tie rounded away from zero after scaling, as spreadsheets
/// do: 580 ÷ 400 = 1.45 shows as 1.5. (Rust's formatting and JavaScript's `toFixed` round the
/// nearest binary value, 1.4499…, so they would show 1.4; `end2end/tests/format.ts` mirrors
/// this function, not `toFixed`.)
pub fn fixed(value: f64, places: usize) -> String {
    let scale = 10f64.powi(places as i32);
    let rounded = (value * scale).round() / scale;
    format!("{rounded:.places$}")
}

/// A value already in percent: one decimal, two below 1% (`3.8%`, `0.45%`).
pub fn percent(value: f64) -> String {
    if !value.is_finite() {
        MISSING.to_owned()
    } else if value != 0.0 && value.abs() < 1.0 {
        format!("{}%", fixed(value, 2))
    } else {
        format!("{}%", fixed(value, 1))
    }
}

/// A multiple: `4.2×`.
pub fn ratio(value: f64) -> String {
    if value.is_finite() { format!("{}×", fixed(value, 1)) } else { MISSING.to_owned() }
}

/// A relative change (0.05 = 5%) with its sign: `+5.0%`, `-12.3%`.
pub fn change(fraction: f64) -> String {
    if !fraction.is_finite() {
        return MISSING.to_owned();
    }
    let percent = fraction * 100.0;
    let sign = if percent > 0.0 { "+" } else if percent < 0.0 { "-" } else { "" };
    format!("{sign}{}%", fixed(percent.abs(), 1))
}

/// A metric's value in its unit; `compact` shortens millions of dollars (cards).
pub fn metric(value: f64, unit: analytics::metrics::Unit, compact: bool) -> String {
    use analytics::metrics::Unit;
    match unit {
        Unit::Ratio => ratio(value),
        Unit::Percent => percent(value),
        Unit::Dollars if compact => money_compact(value),
        Unit::Dollars => money(value),
        Unit::Count => count(value.round() as i64),
        Unit::Months => format!("{} months", fixed(value, 1)),
        Unit::Hours => duration((value * 3_600.0).round() as i64),
        Unit::Minutes => duration((value * 60.0).round() as i64),
    }
}

/// A target as people say it: `≥ 3.5×`, `≤ $15.00`, `75.0%–105.0%`.
pub fn target(target: analytics::metrics::Target, unit: analytics::metrics::Unit) -> String {
    match (target.low, target.high) {
        (Some(low), Some(high)) => format!("{}–{}", metric(low, unit, true), metric(high, unit, true)),
        (Some(low), None) => format!("≥ {}", metric(low, unit, true)),
        (None, Some(high)) => format!("≤ {}", metric(high, unit, true)),
        (None, None) => MISSING.to_owned(),
    }
}

/// Dollars with at most two decimals as exact cents (`"12.5"` → 1250, `"-3"` → -300): the one
/// parser of dollar amounts, for files (`swipesavvy import-spend`) and for what people type.
pub fn dollars_to_cents(text: &str) -> Result<i64, String> {
    let bad = || format!("'{text}' is not an amount in dollars such as 125.40");
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() || !whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit()) {
        return Err(bad());
    }
    if fraction.len() > 2 {
        return Err(format!("'{text}' has more than two decimals (cents)"));
    }
    let whole: i64 = if whole.is_empty() { 0 } else { whole.parse().map_err(|_| bad())? };
    let fraction: i64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    let cents = whole.checked_mul(100).and_then(|w| w.checked_add(fraction)).ok_or_else(bad)?;
    Ok(if negative { -cents } else { cents })
}

/// Dollars as a person types them (`20000`, `$20,000.50`) into cents: the `$`, separators and
/// spaces are dropped, then [`dollars_to_cents`]; a negative amount is refused.
pub fn parse_dollars(text: &str) -> Result<i64, String> {
    let cleaned: String = text.trim().trim_start_matches('$').chars().filter(|c| *c != ',').collect();
    if cleaned.starts_with('-') {
        return Err(format!("'{text}' is negative; give an amount of 0 or more"));
    }
    dollars_to_cents(&cleaned)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ties_round_away_from_zero_like_the_browser() {
        assert_eq!(ratio(0.25), "0.3×");
        assert_eq!(percent(0.125), "0.13%");
        assert_eq!(change(-0.0125), "-1.3%");
        assert_eq!(fixed(2.5, 0), "3");
    }

    use super::*;

    #[test]
    fn money_and_rates_follow_the_design_rules() {
        assert_eq!(money(12_345.674), "$12,345.67");
        assert_eq!(money(-3.1), "-$3.10");
        assert_eq!(money(0.0), "$0.00");
        assert_eq!(money(f64::NAN), MISSING);
        assert_eq!(money_compact(1_234_567.0), "$1.2M");
        assert_eq!(money_compact(485.0), "$485.00");
        assert_eq!(percent(3.84), "3.8%");
        assert_eq!(percent(0.456), "0.46%");
        assert_eq!(percent(0.0), "0.0%");
        assert_eq!(ratio(4.22), "4.2×");
        assert_eq!(change(0.05), "+5.0%");
        assert_eq!(change(-0.123), "-12.3%");
        assert_eq!(change(f64::INFINITY), MISSING);
    }

    #[test]
    fn targets_read_with_their_direction() {
        use analytics::metrics::{Target, Unit};
        assert_eq!(target(Target { low: Some(3.5), high: None }, Unit::Ratio), "≥ 3.5×");
        assert_eq!(target(Target { low: None, high: Some(15.0) }, Unit::Dollars), "≤ $15.00");
        assert_eq!(target(Target { low: Some(75.0), high: Some(105.0) }, Unit::Percent), "75.0%–105.0%");
    }

    #[test]
    fn dollars_become_exact_cents() {
        assert_eq!(dollars_to_cents("125.40"), Ok(12_540));
        assert_eq!(dollars_to_cents("12.5"), Ok(1_250));
        assert_eq!(dollars_to_cents("7"), Ok(700));
        assert_eq!(dollars_to_cents(".99"), Ok(99));
        assert_eq!(dollars_to_cents("-3"), Ok(-300));
        assert!(dollars_to_cents("1.005").unwrap_err().contains("two decimals"));
        assert!(dollars_to_cents("$5").is_err());
        assert!(dollars_to_cents("").is_err());
        assert!(dollars_to_cents("1e3").is_err());
    }

    #[test]
    fn dollars_as_typed_become_cents_or_a_reason() {
        assert_eq!(parse_dollars("20000"), Ok(2_000_000));
        assert_eq!(parse_dollars("$20,000.5"), Ok(2_000_050));
        assert_eq!(parse_dollars(" 0.07 "), Ok(7));
        assert!(parse_dollars("-5").unwrap_err().contains("negative"));
        assert!(parse_dollars("1.234").unwrap_err().contains("two decimals"));
        assert!(parse_dollars("ten").unwrap_err().contains("not an amount"));
        assert!(parse_dollars("").is_err());
        assert!(parse_dollars("99999999999999999999").is_err());
    }

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
