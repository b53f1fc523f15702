//! A public observer of an office's online calendar, simulated: what a calendar scraper would have recorded of the
//! office's own calendar, as `calendar_observed` events beside its bookings.
//!
//! Twice each day the office is open (at 08:00, before opening, and at 18:00, after closing) the observer sees the
//! free slots of the next [`WINDOW_DAYS`] days, from the day after on, as the booked calendar gives them as of the
//! evening before and as of that evening. A day's slots are spread evenly over 08:00–16:00 and the booked ones are
//! the earliest, so a free slot is one of the day's last: the observed counts and days are those of the booked
//! calendar, the times of day are a drawing. Every free slot is offered, so where the observer sees within its
//! window, the observed waits equal the booked ones (the property `tests/observed.rs` checks on random logs).

use chrono::{Duration, NaiveDate};

use crate::domain::event::{Event, EventKind, Instant};
use crate::domain::id::{EventId, OfficeId, SourceId};
use crate::domain::time::Zone;
use crate::projection::{Config, Projection};

/// How far ahead the online calendar shows: six weeks, as many offices' calendars do.
pub const WINDOW_DAYS: u32 = 42;
/// The observer's name, the events' `source`.
pub const SOURCE: &str = "wartezeit-scenario";

/// The observations of `office`'s own calendar over the days of `events`, in time order.
pub fn observe(events: &[Event], office: &OfficeId, zone: Zone) -> Vec<Event> {
    let projection = Projection::from_entries(
        Config { zone, ..Config::default() },
        events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)),
    );
    let Some(info) = projection.offices().into_iter().find(|o| &o.office == office) else { return Vec::new() };
    let source = SourceId::parse(SOURCE).expect("a valid source id");
    let mut out = Vec::new();
    for day in info.first_event_date.iter_days().take_while(|d| *d <= info.last_event_date) {
        if projection.row(office, day).capacity == 0 {
            continue;
        }
        let before = day.pred_opt().unwrap_or(day);
        for (hour, as_of) in [(8, before), (18, day)] {
            let at = (zone.start_of_day(day) + Duration::hours(hour)).with_timezone(&zone.tz()).fixed_offset();
            let free_slots = free_slots(&projection, office, as_of, day, zone);
            let id = EventId::parse(&format!("observed-{office}-{}", crate::domain::wire::format_instant(&at)))
                .expect("an office id and an instant");
            let kind = EventKind::CalendarObserved {
                office: office.clone(),
                service: None,
                source: source.clone(),
                free_slots,
            };
            out.push(Event { id, at, kind });
        }
    }
    out
}

/// The free slots of the days after `day` within the window, as the calendar stands as of `as_of`.
fn free_slots(
    projection: &Projection,
    office: &OfficeId,
    as_of: NaiveDate,
    day: NaiveDate,
    zone: Zone,
) -> Vec<Instant> {
    let snapshot = projection.snapshot(office, as_of, WINDOW_DAYS + 1);
    let mut slots = Vec::new();
    for (i, (capacity, booked)) in snapshot.capacity.iter().zip(&snapshot.booked).enumerate() {
        let date = as_of + Duration::days(i as i64 + 1);
        if date <= day || date > day + Duration::days(i64::from(WINDOW_DAYS)) || *capacity == 0 {
            continue;
        }
        let opening = zone.start_of_day(date) + Duration::hours(8);
        let step = Duration::seconds(8 * 3600 / i64::from(*capacity));
        let first_free = (*booked).min(*capacity);
        slots.extend(
            (first_free..*capacity).map(|j| (opening + step * j as i32).with_timezone(&zone.tz()).fixed_offset()),
        );
    }
    slots
}
