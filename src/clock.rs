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
