//! Local time, cheaply.
//!
//! The script names files by the local date (`date +%Y%m%d`). Asking jiff for the system time
//! zone by name makes it index the whole zoneinfo database on first use (a directory walk that
//! cost a short-lived `lore record` about a millisecond), so unless `TZ` says otherwise the
//! zone is read straight from `/etc/localtime`.

use std::sync::OnceLock;

use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};

/// The local time zone, resolved once per process.
pub fn local_tz() -> &'static TimeZone {
    static TZ: OnceLock<TimeZone> = OnceLock::new();
    TZ.get_or_init(|| {
        if std::env::var_os("TZ").is_none()
            && let Ok(data) = std::fs::read("/etc/localtime")
            && let Ok(tz) = TimeZone::tzif("localtime", &data)
        {
            return tz;
        }
        TimeZone::system()
    })
}

pub fn now() -> ZonedDateTime {
    Timestamp::now().to_zoned_datetime(local_tz().clone())
}

/// Milliseconds since the epoch as local time.
pub fn from_millis(ms: u64) -> Option<ZonedDateTime> {
    Timestamp::from_millisecond(ms as i64)
        .ok()
        .map(|ts| ts.to_zoned_datetime(local_tz().clone()))
}

/// `YYYY-MM-DD HH:MM:SS` in UTC, the format of SQLite's `CURRENT_TIMESTAMP`.
pub fn now_timestamp() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `2.5 s`, `30 s`, `450 ms`: short and exact enough for a status line.
pub fn fmt_duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) || ms >= 10_000 {
        format!("{} s", d.as_secs())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// A stored time as RFC 3339 with an explicit `+00:00` offset (which every RFC 3339 reader
/// takes, older ones included, unlike a bare `Z` in some). The index's times are UTC: SQLite's
/// `CURRENT_TIMESTAMP` and lore's own both are. Other tools' rows may hold a date alone
/// (midnight UTC), fractional seconds, a `T`, or an offset of their own (kept as the instant it
/// names). What cannot be read as a time is `None`: printed as `null`, never as a string that
/// breaks a consumer's parser.
pub fn rfc3339(stored: &str) -> Option<String> {
    use jiff::civil::{Date, DateTime, Time};
    use jiff::{Timestamp, tz::TimeZone};
    let s = stored.trim();
    let instant = if let Ok(ts) = s.parse::<Timestamp>() {
        ts
    } else if let Ok(dt) = s.parse::<DateTime>() {
        TimeZone::UTC.to_timestamp(dt).ok()?
    } else if let Ok(d) = s.parse::<Date>() {
        TimeZone::UTC
            .to_timestamp(d.to_datetime(Time::midnight()))
            .ok()?
    } else {
        return None;
    };
    Some(instant.strftime("%Y-%m-%dT%H:%M:%S%.f+00:00").to_string())
}

/// [`rfc3339`] for serde's `serialize_with`: a stored time in a report that is part of the JSON
/// contract (`null` where it is not a time).
pub fn serialize_rfc3339<S: serde::Serializer>(stored: &str, s: S) -> Result<S::Ok, S::Error> {
    match rfc3339(stored) {
        Some(t) => s.serialize_str(&t),
        None => s.serialize_none(),
    }
}

/// Milliseconds since the epoch as RFC 3339 in UTC, in the same form as [`rfc3339`].
pub fn rfc3339_millis(ms: u64) -> Option<String> {
    let ts = Timestamp::from_millisecond(i64::try_from(ms).ok()?).ok()?;
    Some(ts.strftime("%Y-%m-%dT%H:%M:%S%.f+00:00").to_string())
}
