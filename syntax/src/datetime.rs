use crate::{err, SyntaxError};

/// The longest datetime accepted, in bytes.
pub(crate) const MAX_LEN: usize = 64;

/// The most fractional-second digits accepted.
const MAX_FRACTION_DIGITS: usize = 20;

/// Checks a `datetime`: the intersection of RFC 3339 and ISO 8601 that atproto uses,
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.
///
/// Upper-case `T` and `Z`, a timezone is required, `-00:00` is not allowed, 1 to 20 fraction
/// digits, at most 64 characters. The date must exist in the proleptic Gregorian calendar
/// (leap years included), hours are 00-23, minutes and seconds 00-59 (no leap second), offsets
/// at most 23:59, and the instant, once moved to UTC, must fall within the years 0000 to 9999.
pub fn datetime(s: &str) -> Result<(), SyntaxError> {
    let b = s.as_bytes();
    if b.len() > MAX_LEN {
        return err("a datetime is at most 64 characters long");
    }
    // Fixed part: YYYY-MM-DDTHH:MM:SS is 19 bytes.
    if b.len() < 19 {
        return err("a datetime looks like 1985-04-12T23:20:50.123Z (date, time and timezone)");
    }
    let shape_ok = digits(&b[0..4])
        && b[4] == b'-'
        && digits(&b[5..7])
        && b[7] == b'-'
        && digits(&b[8..10])
        && b[10] == b'T'
        && digits(&b[11..13])
        && b[13] == b':'
        && digits(&b[14..16])
        && b[16] == b':'
        && digits(&b[17..19]);
    if !shape_ok {
        return err("a datetime looks like 1985-04-12T23:20:50.123Z: four-digit year, two-digit month, day, hour, minute and second, upper-case T");
    }
    let year = num(&b[0..4]);
    let month = num(&b[5..7]);
    let day = num(&b[8..10]);
    let hour = num(&b[11..13]);
    let minute = num(&b[14..16]);
    let second = num(&b[17..19]);

    // Optional fraction.
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return err("a datetime's fractional seconds need at least one digit after \".\"");
        }
        if n > MAX_FRACTION_DIGITS {
            return err("a datetime has at most 20 digits of fractional seconds");
        }
    }

    // Required timezone.
    let tz = &b[i..];
    let offset_minutes: i32 =
        match tz {
            [b'Z'] => 0,
            [] => return err("a datetime needs a timezone: \"Z\" or an offset like +01:00"),
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] if digits(&[*h1, *h2, *m1, *m2]) => {
                let h = num(&[*h1, *h2]);
                let m = num(&[*m1, *m2]);
                if h > 23 || m > 59 {
                    return err("a datetime's timezone offset is at most 23:59");
                }
                if *sign == b'-' && h == 0 && m == 0 {
                    return err(
                    "a datetime can not use \"-00:00\" as its timezone; use \"Z\" or \"+00:00\"",
                );
                }
                let total = (h * 60 + m) as i32;
                if *sign == b'-' {
                    -total
                } else {
                    total
                }
            }
            _ => return err(
                "a datetime's timezone is \"Z\" (upper case) or an offset like +01:00 or -07:00",
            ),
        };

    if !(1..=12).contains(&month) {
        return err("a datetime's month is 01 to 12");
    }
    if day == 0 || day > days_in_month(year, month) {
        return err("a datetime's day does not exist in that month");
    }
    if hour > 23 {
        return err("a datetime's hour is 00 to 23");
    }
    if minute > 59 {
        return err("a datetime's minute is 00 to 59");
    }
    if second > 59 {
        return err("a datetime's second is 00 to 59");
    }

    // The instant in UTC must stay within years 0000 to 9999. Only the first and last day of
    // that range can cross it, by at most a day.
    let local_seconds = (hour * 3600 + minute * 60 + second) as i32;
    let offset_seconds = offset_minutes * 60;
    if year == 0 && month == 1 && day == 1 && local_seconds < offset_seconds {
        return err("a datetime can not fall before the year 0000 once moved to UTC");
    }
    if year == 9999 && month == 12 && day == 31 && local_seconds - offset_seconds >= 86_400 {
        return err("a datetime can not fall after the year 9999 once moved to UTC");
    }
    Ok(())
}

#[inline]
fn digits(b: &[u8]) -> bool {
    b.iter().all(u8::is_ascii_digit)
}

/// The value of a run of ASCII digits (already checked).
#[inline]
fn num(b: &[u8]) -> u32 {
    b.iter().fold(0, |acc, &c| acc * 10 + u32::from(c - b'0'))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar() {
        assert!(datetime("2024-02-29T00:00:00Z").is_ok());
        assert!(datetime("2023-02-29T00:00:00Z").is_err());
        assert!(datetime("2000-02-29T00:00:00Z").is_ok());
        assert!(datetime("1900-02-29T00:00:00Z").is_err());
        assert!(datetime("0000-02-29T00:00:00Z").is_ok());
        assert!(datetime("2023-04-31T00:00:00Z").is_err());
        assert!(datetime("2023-12-31T23:59:59Z").is_ok());
        assert!(datetime("2023-12-31T23:59:60Z").is_err());
        assert!(datetime("2023-12-31T24:00:00Z").is_err());
    }

    #[test]
    fn offsets_and_bounds() {
        assert!(datetime("2023-01-01T00:00:00+23:59").is_ok());
        assert!(datetime("2023-01-01T00:00:00+24:00").is_err());
        assert!(datetime("2023-01-01T00:00:00+00:60").is_err());
        assert!(datetime("2023-01-01T00:00:00+00:00").is_ok());
        assert!(datetime("2023-01-01T00:00:00-00:00").is_err());
        assert!(datetime("0000-01-01T01:00:00+01:00").is_ok());
        assert!(datetime("0000-01-01T00:59:59.999+01:00").is_err());
        assert!(datetime("0000-01-01T00:00:00-01:00").is_ok());
        assert!(datetime("9999-12-31T23:59:59Z").is_ok());
        assert!(datetime("9999-12-31T22:59:59-01:00").is_ok());
        assert!(datetime("9999-12-31T23:00:00-01:00").is_err());
    }

    #[test]
    fn fraction_and_length() {
        let twenty = "1985-04-12T23:20:50.12345678901234567890Z";
        assert!(datetime(twenty).is_ok());
        assert!(datetime("1985-04-12T23:20:50.123456789012345678901Z").is_err());
        assert!(datetime("1985-04-12T23:20:50.Z").is_err());
        assert!(datetime("1985-04-12T23:20:50.1.2Z").is_err());
        assert!(datetime("1985-04-12T23:20:50.1").is_err());
        assert!(datetime("").is_err());
        assert!(datetime("1985-04-12T23:20:50\u{e9}").is_err());
        assert!(datetime(&"1".repeat(65)).is_err());
    }
}
