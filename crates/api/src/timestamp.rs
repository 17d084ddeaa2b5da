//! Timestamps in responses, written the way chrono's serde writes them (RFC 3339 in UTC with
//! `Z`, and a fraction of 3, 6 or 9 digits only when there is one) but in one piece.
//!
//! chrono's own `Serialize` goes through `Display`, which hands serde_json some twenty small
//! pieces per timestamp, each scanned for characters to escape; a page of 50 meetings holds 250
//! timestamps, and that was the largest cost of the list after SQLite itself.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::Serializer;

/// Longest form: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const MAX: usize = 30;

fn digits(out: &mut [u8], mut n: u32) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// Write `t` into `buf`; `None` for years chrono writes with a sign (outside 0000–9999).
fn format(t: &DateTime<Utc>, buf: &mut [u8; MAX]) -> Option<usize> {
    let year = u32::try_from(t.year()).ok().filter(|y| *y <= 9999)?;
    digits(&mut buf[0..4], year);
    buf[4] = b'-';
    digits(&mut buf[5..7], t.month());
    buf[7] = b'-';
    digits(&mut buf[8..10], t.day());
    buf[10] = b'T';
    digits(&mut buf[11..13], t.hour());
    buf[13] = b':';
    digits(&mut buf[14..16], t.minute());
    buf[16] = b':';
    digits(&mut buf[17..19], t.second());
    let nanos = t.nanosecond();
    let mut end = 19;
    if nanos >= 1_000_000_000 {
        // A leap second: rare enough to leave to chrono.
        return None;
    }
    if nanos != 0 {
        buf[19] = b'.';
        let (value, width) = if nanos.is_multiple_of(1_000_000) {
            (nanos / 1_000_000, 3)
        } else if nanos.is_multiple_of(1_000) {
            (nanos / 1_000, 6)
        } else {
            (nanos, 9)
        };
        digits(&mut buf[20..20 + width], value);
        end = 20 + width;
    }
    buf[end] = b'Z';
    Some(end + 1)
}

/// `#[serde(serialize_with = "crate::timestamp::utc")]`
pub fn utc<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; MAX];
    match format(t, &mut buf).and_then(|n| std::str::from_utf8(&buf[..n]).ok()) {
        Some(text) => s.serialize_str(text),
        None => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

/// `#[serde(serialize_with = "crate::timestamp::utc_opt")]`
pub fn utc_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => utc(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "utc")] DateTime<Utc>);

    /// Byte for byte what chrono's serde writes, for whole seconds, milli-, micro- and
    /// nanosecond fractions, and the years at the edges.
    #[test]
    fn writes_what_chrono_writes() {
        let base = Utc.with_ymd_and_hms(2026, 3, 29, 1, 2, 3).single().unwrap();
        let mut cases = vec![
            base,
            Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).single().unwrap(),
            Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
                .single()
                .unwrap(),
            Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).single().unwrap(),
        ];
        for nanos in [1, 120_000_000, 123_000, 123_456_000, 5, 999_999_999] {
            cases.push(base.with_nanosecond(nanos).unwrap());
        }
        for t in cases {
            assert_eq!(
                serde_json::to_string(&Ours(t)).unwrap(),
                serde_json::to_string(&t).unwrap(),
                "{t:?}"
            );
        }
    }
}
