//! Business time: the service's time zone, local dates, and day arithmetic.
//!
//! docs/events.md: `date(x)` is the local date of instant `x`; the end of day D is the instant at which local day D+1
//! begins; "as of D" takes every event with `at` before the end of D. Because `date` is monotonic in the instant,
//! "`at` before the end of D" is exactly "`date(at)` ≤ D", which is how the projections test it.

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::event::Instant;

/// The zone in which local dates are taken; `Europe/Berlin` unless configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

// A zone is stored by its IANA name (projection checkpoints) and read back through the same parse.
impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <String as serde::Deserialize>::deserialize(d)?;
        Zone::parse(&name).map_err(serde::de::Error::custom)
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone(chrono_tz::Europe::Berlin)
    }
}

impl Zone {
    /// Parses an IANA zone name such as `Europe/Berlin`.
    pub fn parse(name: &str) -> Result<Self, String> {
        name.parse::<Tz>().map(Zone).map_err(|_| format!("{name:?} is not an IANA time zone name"))
    }

    /// The IANA name.
    /// The zone's rules, for turning local times into instants.
    pub fn tz(&self) -> Tz {
        self.0
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// `date(x)`: the local date of an instant.
    pub fn date_of(&self, at: &Instant) -> NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// The instant at which local day `date` begins (the first valid local time of that date, should midnight fall
    /// into a daylight-saving gap).
    pub fn start_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let mut local = date.and_time(chrono::NaiveTime::MIN);
        // A gap is at most a few hours long; step through it a quarter of an hour at a time.
        for _ in 0..(4 * 24) {
            if let Some(t) = self.0.from_local_datetime(&local).earliest() {
                return t.with_timezone(&Utc);
            }
            local += chrono::Duration::minutes(15);
        }
        // No zone skips a whole day on the dates chrono-tz knows but Samoa's 2011-12-30; take UTC midnight then.
        date.and_time(chrono::NaiveTime::MIN).and_utc()
    }

    /// The end of local day `date`: the instant at which the next local day begins.
    pub fn end_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        self.start_of_day(date.checked_add_days(Days::new(1)).unwrap_or(NaiveDate::MAX))
    }
}

/// The longest period, in days, that any route or command answers for: 100 years (36,600 days), the most a daily
/// series, an attribution or a history export covers in one call. Charts draw at most [`MAX_CHART_DAYS`].
pub const MAX_PERIOD_DAYS: u32 = 36_600;

/// The longest period one chart draws: ten years.
pub const MAX_CHART_DAYS: u32 = 3_660;

/// Why a period `from..=to` is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("{to} lies before {from}")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("{days} days from {from} to {to}, at most {max} are answered in one call")]
    TooLong { from: NaiveDate, to: NaiveDate, days: i64, max: u32 },
}

/// The number of days of `from..=to`, if it is a period of at most `max` days.
pub fn period_days(from: NaiveDate, to: NaiveDate, max: u32) -> Result<u32, PeriodError> {
    let days = (to - from).num_days() + 1;
    if days < 1 {
        return Err(PeriodError::Reversed { from, to });
    }
    u32::try_from(days).ok().filter(|d| *d <= max).ok_or(PeriodError::TooLong { from, to, days, max })
}

/// A date as a day number (days since 0001-01-01 = 1), for dense per-day arrays.
pub fn day_number(date: NaiveDate) -> i32 {
    use chrono::Datelike;
    date.num_days_from_ce()
}

/// The date of a day number made by [`day_number`].
pub fn date_of_day_number(day: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(day).unwrap_or(if day < 1 { NaiveDate::MIN } else { NaiveDate::MAX })
}

/// An instant as its parts: seconds since the epoch, nanoseconds, and the UTC offset in seconds. Exact, offset
/// included, and compact where instants are stored outside the log (checkpoints, the import's spill files).
pub fn instant_parts(at: &Instant) -> (i64, u32, i32) {
    (at.timestamp(), at.timestamp_subsec_nanos(), at.offset().local_minus_utc())
}

/// The instant of [`instant_parts`]; `None` for an offset or instant out of range.
pub fn instant_of_parts((seconds, nanos, offset): (i64, u32, i32)) -> Option<Instant> {
    let offset = chrono::FixedOffset::east_opt(offset)?;
    Some(DateTime::from_timestamp(seconds, nanos)?.with_timezone(&offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_survives_its_parts_offset_and_nanoseconds_included() {
        let at = at("2020-06-02T09:15:07.000000123+02:00");
        let back = instant_of_parts(instant_parts(&at)).expect("in range");
        assert_eq!((back, back.offset().local_minus_utc()), (at, 7200));
        assert_eq!(instant_of_parts((0, 0, 86_400)), None, "an offset of a whole day");
    }

    fn at(s: &str) -> Instant {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_period_is_refused_backwards_or_over_its_maximum() {
        assert_eq!(period_days(date("2020-06-01"), date("2020-06-01"), 10), Ok(1));
        assert_eq!(period_days(date("2020-06-01"), date("2020-06-10"), 10), Ok(10));
        let long = period_days(date("2020-06-01"), date("2020-06-11"), 10).unwrap_err();
        assert_eq!(long.to_string(), "11 days from 2020-06-01 to 2020-06-11, at most 10 are answered in one call");
        let reversed = period_days(date("2020-06-02"), date("2020-06-01"), 10).unwrap_err();
        assert_eq!(reversed.to_string(), "2020-06-01 lies before 2020-06-02");
        assert!(period_days(NaiveDate::MIN, NaiveDate::MAX, MAX_PERIOD_DAYS).is_err());
    }

    #[test]
    fn local_date_follows_berlin_around_midnight_and_dst() {
        let berlin = Zone::default();
        assert_eq!(berlin.date_of(&at("2020-06-01T22:30:00Z")), date("2020-06-02"));
        assert_eq!(berlin.date_of(&at("2020-06-01T21:59:59Z")), date("2020-06-01"));
        // Winter: one hour ahead of UTC.
        assert_eq!(berlin.date_of(&at("2020-01-01T23:00:00Z")), date("2020-01-02"));
        assert_eq!(berlin.date_of(&at("2020-01-01T22:59:59Z")), date("2020-01-01"));
        // The night of the switch to summer time is still one day.
        assert_eq!(berlin.date_of(&at("2020-03-29T01:30:00+01:00")), date("2020-03-29"));
        assert_eq!(berlin.date_of(&at("2020-03-29T03:30:00+02:00")), date("2020-03-29"));
    }

    #[test]
    fn end_of_day_is_the_next_local_midnight() {
        let berlin = Zone::default();
        assert_eq!(berlin.end_of_day(date("2020-03-28")), at("2020-03-28T23:00:00Z"));
        // 29 March 2020 has 23 hours in Berlin.
        assert_eq!(berlin.end_of_day(date("2020-03-29")), at("2020-03-29T22:00:00Z"));
        assert_eq!(berlin.end_of_day(date("2020-10-25")), at("2020-10-25T23:00:00Z"));
    }

    #[test]
    fn day_numbers_round_trip() {
        for d in ["2020-02-29", "1970-01-01", "2038-01-19"] {
            assert_eq!(date_of_day_number(day_number(date(d))), date(d));
        }
        assert_eq!(day_number(date("2020-06-24")) - day_number(date("2020-06-03")), 21);
    }

    #[test]
    fn zone_names_are_checked() {
        assert_eq!(Zone::parse("Europe/Berlin").unwrap(), Zone::default());
        assert!(Zone::parse("Mars/Olympus").is_err());
    }
}
