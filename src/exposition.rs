//! The business figures as metric families: one catalogue of names, help texts, types and units, the samples of
//! one office on one day, and their two renderings — the Prometheus text format that `/metrics` serves (no
//! timestamps, the figures of today) and OpenMetrics with a timestamp per day, the history that
//! `wartezeit export --format openmetrics` writes for `promtool tsdb create-blocks-from openmetrics`.
//!
//! Both renderings take their names from [`FAMILIES`] and their samples from [`samples_of_day`], so the live
//! figures and the history cannot drift apart: a Grafana dashboard reads both alike. Pure: projection in, text out.
//!
//! Decisions where the contract is silent (also in the README):
//! - A figure that is null in the API (no free slot within the horizon, no bookings in the last seven days) has no
//!   sample, rather than NaN: absent series make `absent()` alerts work and keep NaN out of aggregations.
//! - "Closed today" means capacity 0 today (a weekend, a holiday or a closure); `wartezeit_lost_today_slots`
//!   tells closures and holidays apart from weekends: it is the slots the plan would have given, by cause.
//! - The `_total` counters count events with business date up to and including the day, from the office's first
//!   event on, whatever the first day of an export: an exported counter equals what `/metrics` showed that day.
//! - History samples are stamped at the last second of their local business day (23:59:59 in the service's zone,
//!   `Zone::end_of_day` minus one second): the figures "as of day D" are final then, and for the Berlin zone the
//!   stamp falls on the same date in UTC and in every zone west of Berlin, so a daily graph puts each figure on its
//!   own day. Grafana reads it with `last_over_time(…[1d])`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use chrono::NaiveDate;

use crate::domain::id::{OfficeId, ServiceId};
use crate::domain::time::Zone;
use crate::projection::{DayRow, LossCause, Projection};

/// Seconds in a day: waits are days in the API and seconds in metrics (Prometheus' base unit).
pub const SECONDS_PER_DAY: f64 = 86_400.0;
/// Days ahead that `wartezeit_free_next_28d_slots` sums over.
pub const FREE_SLOTS_DAYS: u32 = 28;
/// Days the realized-wait percentiles pool (docs/events.md's 7-day variants).
pub const REALIZED_WAIT_POOL_DAYS: u32 = 7;

/// Whether a family goes up and down or only up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Gauge,
    /// A counter: its samples carry the `_total` suffix, which is not part of the OpenMetrics family name.
    Counter,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        }
    }
}

/// One metric family of the business figures.
#[derive(Debug, PartialEq, Eq)]
pub struct Family {
    /// The family name; a counter's samples add `_total`.
    pub name: &'static str,
    /// The help text, one line.
    pub help: &'static str,
    pub kind: Kind,
    /// The OpenMetrics unit, always the name's last word when given.
    pub unit: Option<&'static str>,
}

impl Family {
    /// The name samples carry: `name`, or `name_total` for a counter.
    pub fn sample_name(&self) -> String {
        match self.kind {
            Kind::Gauge => self.name.to_owned(),
            Kind::Counter => format!("{}_total", self.name),
        }
    }
}

const fn gauge(name: &'static str, unit: Option<&'static str>, help: &'static str) -> Family {
    Family { name, help, kind: Kind::Gauge, unit }
}

const fn counter(name: &'static str, help: &'static str) -> Family {
    Family { name, help, kind: Kind::Counter, unit: None }
}

/// The office's display name and state as labels, for dashboards to join on `office`.
pub const OFFICE_INFO: Family = gauge(
    "wartezeit_office_info",
    None,
    "Always 1; the labels name the office (its display name, else its id) and its German state (empty if unknown).",
);
/// `backlog(o, D)`.
pub const BACKLOG: Family = gauge(
    "wartezeit_backlog_appointments",
    Some("appointments"),
    "Appointments booked and not yet cancelled, attended or missed.",
);
/// The backlog per service.
pub const BACKLOG_BY_SERVICE: Family = gauge(
    "wartezeit_backlog_by_service_appointments",
    Some("appointments"),
    "The backlog per service (services with none left out).",
);
/// `displaced(o, D)`.
pub const DISPLACED: Family = gauge(
    "wartezeit_displaced_appointments",
    Some("appointments"),
    "Backlog appointments whose slot lies on a day with capacity 0.",
);
/// `next_available_days(o, D)` in seconds.
pub const NEXT_AVAILABLE: Family = gauge(
    "wartezeit_next_available_wait_seconds",
    Some("seconds"),
    "Days until the first day with a free slot, times 86400; absent when none within the horizon.",
);
/// `third_next_available_days(o, D)` in seconds.
pub const THIRD_NEXT_AVAILABLE: Family = gauge(
    "wartezeit_third_next_available_wait_seconds",
    Some("seconds"),
    "Days until three free slots have come up, times 86400; absent when not within the horizon.",
);
/// The 7-day realized wait, median.
pub const REALIZED_WAIT_P50: Family = gauge(
    "wartezeit_realized_wait_7d_p50_seconds",
    Some("seconds"),
    "Nearest-rank median of the waits booked over the last 7 days, times 86400; absent without bookings.",
);
/// The 7-day realized wait, 90th percentile.
pub const REALIZED_WAIT_P90: Family = gauge(
    "wartezeit_realized_wait_7d_p90_seconds",
    Some("seconds"),
    "Nearest-rank 90th percentile of the waits booked over the last 7 days, times 86400; absent without bookings.",
);
/// `capacity(o, D)`.
pub const CAPACITY: Family =
    gauge("wartezeit_capacity_today_slots", Some("slots"), "Slots the plan gives today after closures and holidays.");
/// `booked(o, D)`.
pub const BOOKED: Family = gauge("wartezeit_booked_today_slots", Some("slots"), "Slots booked today.");
/// Free slots over the next 28 days.
pub const FREE_NEXT_28D: Family =
    gauge("wartezeit_free_next_28d_slots", Some("slots"), "Free slots over the next 28 days (tomorrow on).");
/// Capacity 0 today.
pub const CLOSED: Family =
    gauge("wartezeit_office_closed_today", None, "1 when the office has capacity 0 today, else 0.");
/// docs/events.md's `lost_slots` of today, by cause: what marks closures and holidays (and not weekends).
pub const LOST_TODAY: Family = gauge(
    "wartezeit_lost_today_slots",
    Some("slots"),
    "Slots the plan would have given today, lost to a closure or holiday, by cause; 0 for the other causes.",
);
/// Cumulative `bookings`.
pub const BOOKINGS: Family = counter("wartezeit_bookings", "Appointments booked, up to and including today.");
/// Cumulative `served_appointments`.
pub const SERVED_APPOINTMENTS: Family =
    counter("wartezeit_served_appointments", "Appointments attended, up to and including today.");
/// Cumulative `served_walk_in`.
pub const WALK_INS_SERVED: Family = counter("wartezeit_walk_ins_served", "Walk-ins served, up to and including today.");
/// Cumulative `cancellations`.
pub const CANCELLATIONS: Family =
    counter("wartezeit_cancellations", "Appointments cancelled, up to and including today.");
/// Cumulative `no_shows`.
pub const NO_SHOWS: Family = counter("wartezeit_no_shows", "Appointments missed, up to and including today.");

/// `bookings` summed over the 7 days up to and including the day (the dashboard's weekly flows: exact for live
/// scrapes and backfilled history alike, where `increase()` over a counter extrapolates).
pub const BOOKINGS_7D: Family =
    gauge("wartezeit_bookings_7d", None, "Appointments booked over the 7 days up to and including today.");
/// `served_appointments` over 7 days.
pub const SERVED_APPOINTMENTS_7D: Family =
    gauge("wartezeit_served_appointments_7d", None, "Appointments attended over the 7 days up to and including today.");
/// `served_walk_in` over 7 days.
pub const WALK_INS_SERVED_7D: Family =
    gauge("wartezeit_walk_ins_served_7d", None, "Walk-ins served over the 7 days up to and including today.");
/// `cancellations` over 7 days.
pub const CANCELLATIONS_7D: Family =
    gauge("wartezeit_cancellations_7d", None, "Appointments cancelled over the 7 days up to and including today.");
/// `no_shows` over 7 days.
pub const NO_SHOWS_7D: Family =
    gauge("wartezeit_no_shows_7d", None, "Appointments missed over the 7 days up to and including today.");

/// `observed_next_available_days(c, D)` in seconds, per observed scope.
pub const OBSERVED_NEXT_AVAILABLE: Family = gauge(
    "wartezeit_observed_next_available_wait_seconds",
    Some("seconds"),
    "What the public online calendar showed in today's last observation: days until its first free slot from \
     tomorrow on, times 86400; per office (and service, where observed alone); absent on a day without observation.",
);
/// `observed_third_next_available_days(c, D)` in seconds.
pub const OBSERVED_THIRD_NEXT_AVAILABLE: Family = gauge(
    "wartezeit_observed_third_next_available_wait_seconds",
    Some("seconds"),
    "Days until the third free slot of today's last observation of the online calendar, times 86400; absent when none.",
);
/// `observed_free_next_28d(c, D)`.
pub const OBSERVED_FREE_NEXT_28D: Family = gauge(
    "wartezeit_observed_free_next_28d_slots",
    Some("slots"),
    "Free slots of the next 28 days in today's last observation of the online calendar; absent without observation.",
);
/// `observations(c, D)`.
pub const OBSERVATIONS: Family =
    gauge("wartezeit_observations_today", None, "Observations of the online calendar dated today.");
/// `observed_taken(c, D)`.
pub const OBSERVED_TAKEN: Family = gauge(
    "wartezeit_observed_taken_today_slots",
    Some("slots"),
    "Slots that went from free to not free between consecutive observations today, within the window shown.",
);
/// `observed_released(c, D)`.
pub const OBSERVED_RELEASED: Family = gauge(
    "wartezeit_observed_released_today_slots",
    Some("slots"),
    "Slots that went from not free to free between consecutive observations today, within the window shown.",
);
/// When the scope was last observed, up to the end of the day.
pub const LAST_OBSERVATION: Family = gauge(
    "wartezeit_last_observation_timestamp_seconds",
    Some("seconds"),
    "Unix time of the last observation of the online calendar up to today; absent if never observed.",
);

/// Every business family, in the order both renderings write them.
pub const FAMILIES: [&Family; 30] = [
    &OFFICE_INFO,
    &BACKLOG,
    &BACKLOG_BY_SERVICE,
    &DISPLACED,
    &NEXT_AVAILABLE,
    &THIRD_NEXT_AVAILABLE,
    &REALIZED_WAIT_P50,
    &REALIZED_WAIT_P90,
    &CAPACITY,
    &BOOKED,
    &FREE_NEXT_28D,
    &CLOSED,
    &LOST_TODAY,
    &BOOKINGS,
    &SERVED_APPOINTMENTS,
    &WALK_INS_SERVED,
    &CANCELLATIONS,
    &NO_SHOWS,
    &BOOKINGS_7D,
    &SERVED_APPOINTMENTS_7D,
    &WALK_INS_SERVED_7D,
    &CANCELLATIONS_7D,
    &NO_SHOWS_7D,
    &OBSERVED_NEXT_AVAILABLE,
    &OBSERVED_THIRD_NEXT_AVAILABLE,
    &OBSERVED_FREE_NEXT_28D,
    &OBSERVATIONS,
    &OBSERVED_TAKEN,
    &OBSERVED_RELEASED,
    &LAST_OBSERVATION,
];

/// The event counters, in the order of [`Counts::values`]: cumulative up to the day, and over its 7 days.
const TOTALS: [&Family; 5] = [&BOOKINGS, &SERVED_APPOINTMENTS, &WALK_INS_SERVED, &CANCELLATIONS, &NO_SHOWS];
const WEEKLY: [&Family; 5] =
    [&BOOKINGS_7D, &SERVED_APPOINTMENTS_7D, &WALK_INS_SERVED_7D, &CANCELLATIONS_7D, &NO_SHOWS_7D];

/// The causes `wartezeit_lost_today_slots` always has a sample for.
const CAUSES: [LossCause; 5] =
    [LossCause::Lockdown, LossCause::SystemMigration, LossCause::StaffShortage, LossCause::Other, LossCause::Holiday];

/// The event counts of an office summed from its first event's date up to a day: the counters' values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub bookings: u64,
    pub served_appointments: u64,
    pub served_walk_in: u64,
    pub cancellations: u64,
    pub no_shows: u64,
}

impl Counts {
    /// Adds the counts of one day's row.
    pub fn add(&mut self, row: &DayRow) {
        self.bookings += u64::from(row.bookings);
        self.served_appointments += u64::from(row.served_appointments);
        self.served_walk_in += u64::from(row.served_walk_in);
        self.cancellations += u64::from(row.cancellations);
        self.no_shows += u64::from(row.no_shows);
    }

    /// Bookings, served appointments, walk-ins, cancellations and no-shows, in that order.
    fn values(&self) -> [u64; 5] {
        [self.bookings, self.served_appointments, self.served_walk_in, self.cancellations, self.no_shows]
    }

    /// The counts of `office` up to and including `day`.
    pub fn up_to(projection: &Projection, office: &OfficeId, day: NaiveDate) -> Counts {
        let mut counts = Counts::default();
        let first = projection.offices().into_iter().find(|o| &o.office == office).map(|o| o.first_event_date);
        if let Some(first) = first.filter(|first| *first <= day) {
            for row in projection.series(office, first, day) {
                counts.add(&row);
            }
        }
        counts
    }
}

/// A label: its name and value.
pub type Label = (&'static str, String);

/// One sample: its family, labels (office first) and value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub family: &'static Family,
    pub labels: Vec<Label>,
    pub value: f64,
}

/// The samples of every business family for `office` on `row.date`, given that day's row and counts. Null figures
/// give no sample.
pub fn samples_of_day(projection: &Projection, office: &OfficeId, row: &DayRow, counts: &Counts) -> Vec<Sample> {
    let day = row.date;
    let office_label = || vec![("office", office.to_string())];
    let mut out = Vec::with_capacity(24);
    let mut push = |family: &'static Family, labels, value: f64| out.push(Sample { family, labels, value });
    let state = projection.names().office(office).and_then(|o| o.state).map_or("", |s| s.code());
    let info = vec![("office", office.to_string()), ("name", projection.office_name(office)), ("state", state.into())];
    push(&OFFICE_INFO, info, 1.0);
    push(&BACKLOG, office_label(), f64::from(row.backlog));
    for (service, n) in &row.backlog_by_service {
        push(
            &BACKLOG_BY_SERVICE,
            vec![("office", office.to_string()), ("service", service.to_string())],
            f64::from(*n),
        );
    }
    push(&DISPLACED, office_label(), f64::from(row.displaced));
    let seconds = |days: Option<u32>| days.map(|d| f64::from(d) * SECONDS_PER_DAY);
    let (p50, p90) = projection.pooled_realized_wait(office, day, REALIZED_WAIT_POOL_DAYS);
    for (family, value) in [
        (&NEXT_AVAILABLE, seconds(row.next_available_days)),
        (&THIRD_NEXT_AVAILABLE, seconds(row.third_next_available_days)),
        (&REALIZED_WAIT_P50, seconds(p50)),
        (&REALIZED_WAIT_P90, seconds(p90)),
    ] {
        if let Some(value) = value {
            push(family, office_label(), value);
        }
    }
    push(&CAPACITY, office_label(), f64::from(row.capacity));
    push(&BOOKED, office_label(), f64::from(row.booked));
    let snapshot = projection.snapshot(office, day, FREE_SLOTS_DAYS);
    let free: u64 = snapshot.capacity.iter().zip(&snapshot.booked).map(|(c, b)| u64::from(c.saturating_sub(*b))).sum();
    push(&FREE_NEXT_28D, office_label(), free as f64);
    push(&CLOSED, office_label(), if row.capacity == 0 { 1.0 } else { 0.0 });
    let lost = projection.attribution(office, day, day);
    for cause in CAUSES {
        let slots = lost.by_cause.iter().find(|(c, _)| *c == cause).map_or(0, |(_, loss)| loss.lost_slots);
        push(&LOST_TODAY, vec![("office", office.to_string()), ("cause", cause.as_str().to_owned())], slots as f64);
    }
    let mut week = Counts::default();
    let first = day.checked_sub_days(chrono::Days::new(6)).unwrap_or(day);
    projection.series(office, first, day).iter().for_each(|row| week.add(row));
    for (families, counts) in [(TOTALS, counts), (WEEKLY, &week)] {
        for (family, n) in families.into_iter().zip(counts.values()) {
            push(family, office_label(), n as f64);
        }
    }
    out.extend(observed_samples(projection, office, day));
    out
}

/// The observed figures of each observed scope of `office` on `day`: the office's own calendar (label `office`
/// only) and each service observed alone (`office`, `service`).
fn observed_samples(projection: &Projection, office: &OfficeId, day: NaiveDate) -> Vec<Sample> {
    let Some(observed) = projection.observed(office) else { return Vec::new() };
    let mut scopes: Vec<Option<&ServiceId>> = vec![None];
    scopes.extend(observed.services().map(Some));
    let mut out = Vec::new();
    for service in scopes {
        let Some(figures) = projection.observed_series(office, service, day, day).pop() else { continue };
        let last = projection.last_observed(office, service, day);
        if last.is_some() {
            let labels = || {
                let mut labels = vec![("office", office.to_string())];
                labels.extend(service.map(|s| ("service", s.to_string())));
                labels
            };
            let seconds = |days: Option<u32>| days.map(|d| f64::from(d) * SECONDS_PER_DAY);
            for (family, value) in [
                (&OBSERVED_NEXT_AVAILABLE, seconds(figures.observed_next_available_days)),
                (&OBSERVED_THIRD_NEXT_AVAILABLE, seconds(figures.observed_third_next_available_days)),
                (&OBSERVED_FREE_NEXT_28D, figures.observed_free_next_28d.map(f64::from)),
                (&OBSERVATIONS, Some(f64::from(figures.observations))),
                (&OBSERVED_TAKEN, Some(f64::from(figures.observed_taken))),
                (&OBSERVED_RELEASED, Some(f64::from(figures.observed_released))),
                (&LAST_OBSERVATION, last.map(|t| t.timestamp() as f64)),
            ] {
                if let Some(value) = value {
                    out.push(Sample { family, labels: labels(), value });
                }
            }
        }
    }
    out
}

/// The Prometheus text format (0.0.4) of `samples`, family by family in [`FAMILIES`] order, every family with its
/// `# HELP` and `# TYPE` even when it has no sample. Counters are named with `_total` throughout, as the
/// Prometheus client libraries write them.
pub fn prometheus_text(samples: &[Sample]) -> String {
    let mut out = String::new();
    for family in FAMILIES {
        let name = family.sample_name();
        let _ = writeln!(out, "# HELP {name} {}", family.help);
        let _ = writeln!(out, "# TYPE {name} {}", family.kind.as_str());
        for sample in samples.iter().filter(|s| s.family == family) {
            write_sample(&mut out, &name, sample, None);
        }
    }
    out
}

/// The samples of one business day, stamped.
#[derive(Debug, Clone)]
pub struct Stamped {
    /// Unix time in seconds.
    pub timestamp: i64,
    pub samples: Vec<Sample>,
}

/// OpenMetrics text of a history: every family once (`# TYPE`, `# UNIT`, `# HELP`), then its series one after the
/// other (label sets in order), each series' samples in time order with their timestamp in seconds, and `# EOF`.
/// Days must be given in time order.
pub fn openmetrics_text(days: &[Stamped]) -> String {
    let mut out = String::new();
    for family in FAMILIES {
        let _ = writeln!(out, "# TYPE {} {}", family.name, family.kind.as_str());
        if let Some(unit) = family.unit {
            let _ = writeln!(out, "# UNIT {} {unit}", family.name);
        }
        let _ = writeln!(out, "# HELP {} {}", family.name, escape_help(family.help));
        let mut series: BTreeMap<&[Label], Vec<(i64, &Sample)>> = BTreeMap::new();
        for day in days {
            for sample in day.samples.iter().filter(|s| s.family == family) {
                series.entry(&sample.labels).or_default().push((day.timestamp, sample));
            }
        }
        let name = family.sample_name();
        for points in series.values() {
            for (timestamp, sample) in points {
                write_sample(&mut out, &name, sample, Some(*timestamp));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

/// The history of `offices` from `from` to `to` (inclusive) as OpenMetrics, one sample per figure, office and day,
/// stamped at the day's last second in `zone`. Counters count from each office's first event on.
pub fn history(projection: &Projection, offices: &[OfficeId], from: NaiveDate, to: NaiveDate, zone: Zone) -> String {
    let mut days: Vec<Stamped> = Vec::new();
    if from > to {
        return openmetrics_text(&days);
    }
    let stamps: Vec<i64> =
        from.iter_days().take_while(|d| *d <= to).map(|d| zone.end_of_day(d).timestamp() - 1).collect();
    days.extend(stamps.iter().map(|&timestamp| Stamped { timestamp, samples: Vec::new() }));
    for office in offices {
        let first = projection.offices().into_iter().find(|o| &o.office == office).map(|o| o.first_event_date);
        let start = first.map_or(from, |first| first.min(from));
        let mut counts = Counts::default();
        for row in projection.series(office, start, to) {
            counts.add(&row);
            if row.date < from {
                continue;
            }
            let index = (row.date - from).num_days() as usize;
            days[index].samples.extend(samples_of_day(projection, office, &row, &counts));
        }
    }
    openmetrics_text(&days)
}

fn write_sample(out: &mut String, name: &str, sample: &Sample, timestamp: Option<i64>) {
    out.push_str(name);
    if !sample.labels.is_empty() {
        out.push('{');
        for (i, (key, value)) in sample.labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{key}=\"{}\"", escape_label(value));
        }
        out.push('}');
    }
    let _ = write!(out, " {}", sample.value);
    if let Some(t) = timestamp {
        let _ = write!(out, " {t}");
    }
    out.push('\n');
}

/// Label values escape backslash, double quote and newline in both formats.
fn escape_label(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// Help texts escape backslash and newline (and, in OpenMetrics, double quote).
fn escape_help(help: &str) -> String {
    help.replace('\\', "\\\\").replace('\n', "\\n").replace('"', "\\\"")
}

#[cfg(test)]
mod tests;
