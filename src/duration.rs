//! Human durations such as `30s`, `15m`, `6h`, `90d`, `250ms` or `1h30m`.

use std::time::Duration;

/// Why a text is not a duration; each message quotes the text and says what would work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    #[error("empty duration (expected e.g. 30s, 15m, 6h, 90d)")]
    Empty,
    #[error("invalid duration '{0}' (expected e.g. 30s, 15m, 6h, 90d)")]
    NoNumber(String),
    #[error("invalid duration '{0}': missing unit (ms, s, m, h, d)")]
    NoUnit(String),
    #[error("invalid duration '{text}': unknown unit '{unit}'")]
    UnknownUnit { text: String, unit: String },
    #[error("invalid duration '{0}': too large")]
    TooLarge(String),
}

/// Parses a duration made of one or more `<number><unit>` parts (units: ms, s, m, h, d).
pub(crate) fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let too_large = || DurationError::TooLarge(text.to_string());
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(DurationError::NoNumber(text.to_string()));
        }
        let number: u64 = rest[..digits].parse().map_err(|_| too_large())?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let millis_per_unit: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => return Err(DurationError::NoUnit(text.to_string())),
            other => {
                return Err(DurationError::UnknownUnit {
                    text: text.to_string(),
                    unit: other.to_string(),
                });
            }
        };
        let millis = number.checked_mul(millis_per_unit).ok_or_else(too_large)?;
        total = total
            .checked_add(Duration::from_millis(millis))
            .ok_or_else(too_large)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_single_and_compound_units() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("6h").unwrap(), Duration::from_secs(21_600));
        assert_eq!(
            parse_duration("90d").unwrap(),
            Duration::from_secs(90 * 86_400)
        );
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5_400));
    }

    #[test]
    fn rejects_missing_or_unknown_units_with_the_reason() {
        assert_eq!(
            parse_duration("30"),
            Err(DurationError::NoUnit("30".into()))
        );
        let unknown = parse_duration("3w").unwrap_err();
        assert!(
            unknown.to_string().contains("unknown unit 'w'"),
            "{unknown}"
        );
        assert_eq!(parse_duration(" "), Err(DurationError::Empty));
        assert_eq!(
            parse_duration("h"),
            Err(DurationError::NoNumber("h".into()))
        );
        assert_eq!(
            parse_duration("99999999999999999999d"),
            Err(DurationError::TooLarge("99999999999999999999d".into()))
        );
    }
}
