//! Simulated scenarios: reproducible event logs that tell a known story with the service's own figures.
//!
//! [`kaiserslautern_2020`] simulates the year 2020 of the citizen centre `kl-buergercenter` as told by the city's
//! press release of 24 June 2020: a lockdown closure, a reopening by appointment only with fewer slots, a four-day
//! closure for the state's new registration software, two holidays, "more than 1000 requests piled up" and "a
//! three-week wait in the online calendar"; ID pick-ups without appointment from 29 June.
//!
//! It is a simulation, not a table: citizens ask for appointments every day (per service, by weekday, season and
//! pandemic month, at random minutes), each booking takes the first free slot from the next day on, as an online
//! calendar gives it; some cancel, some do not come; decisions of the city shut days, move the appointments booked
//! on them and change the plan. The calendar the simulation books against answers capacity, booked and free exactly
//! as docs/events.md defines them for the events emitted so far, so the figures it records at the end of each day
//! ([`DayFigures`]) are the figures the projection computes from the generated log as of that day.
//!
//! # Public facts
//!
//! | fact | in the simulation |
//! | --- | --- |
//! | opening hours Mon–Wed 8–16, Thu 9–18, Fri 8–12 | slots spread evenly over these hours; `+01:00`/`+02:00` per Berlin time |
//! | Rhineland-Palatinate's holidays 2020 | `holiday_declared` from [`crate::holidays`] (ids `holiday-rp-2020-…`) |
//! | lockdown mid-March to late April | `lockdown-2020` declared Mon 16 March 11:00 for 17 March–19 April; declared again Wed 15 April 16:00 for 17 March–26 April |
//! | reopening by appointment only, fewer slots | plan of 12 slots per opening hour from 27 April, every service needs an appointment from 27 April (both decided 15 April) |
//! | masks from 4 May | a note only: it changed no slot |
//! | state-wide switch of the registration software, live 2 June, four closed days | `systemumstellung-2020` declared Tue 12 May for 27 May–2 June: Wed 27, Thu 28, Fri 29 May and Tue 2 June closed (Pentecost Monday 1 June is a holiday) |
//! | ID pick-ups without appointment from 29 June | `policy_changed` for `ausweis-abholung` on 24 June, effective 29 June; pick-ups walk in from then on |
//!
//! # Assumptions
//!
//! | assumption | value | why |
//! | --- | --- | --- |
//! | slots per opening hour, January | 13 (Mon–Wed 104, Thu 117, Fri 52) | about six counters with 25-minute appointments |
//! | slots per opening hour from 27 April | 12 (96, 108, 48) | fewer counters in use, distance between visitors |
//! | slots per opening hour from 13 July (decided 1 July) | 14 (112, 126, 56) | screens at the counters and extra staff to work off the backlog |
//! | requests per week, normal month | personalausweis 150, reisepass 55, anmeldung-ummeldung 160, meldebescheinigung 35, fuehrungszeugnis 25 | a city of 100,000 with one central citizen centre |
//! | pick-ups (`ausweis-abholung`) | one per attended personalausweis or reisepass, 21–35 days later | production time of the Bundesdruckerei |
//! | appointment needed in January | personalausweis, reisepass, anmeldung-ummeldung; the others walk in | quick errands at the counter |
//! | seasons | reisepass 0.7–1.3 (travel in spring and summer), anmeldung-ummeldung 1.3 in September and October (students) | |
//! | pandemic factor on demand | Mar 0.9, Apr 0.6, May 0.7, Jun 0.8, Jul 0.85, Aug–Oct 0.9, Nov–Dec 0.85; passports also × 0.5–0.9 from April | errands postponed, no travel |
//! | requests by weekday | Mon 20 %, Tue 17 %, Wed 16 %, Thu 17 %, Fri 13 %, Sat 9 %, Sun 8 % | Monday peak; online at weekends |
//! | channels | online 62 %, phone 30 % (working days, opening hours), counter 8 % (open days, opening hours); otherwise online | the city asks citizens to book online |
//! | booking times | online 06:00–23:00, phone and counter in opening hours, uniform per minute | |
//! | cancellations | 10 % of bookings, on a random day from booking to the day before the slot, 07:00–20:00 | a slot freed in the day is booked again the same evening |
//! | no-shows | 12 % of the appointments not cancelled, recorded 15 minutes after the slot | within the 10–15 % of the issue |
//! | attended | 5–25 minutes after the slot | length of a visit |
//! | displaced by a closure | moved to the first free slots after it when it is declared; 15 % cancelled by the office instead | |
//! | requests while the calendar is shut (lockdown) | 30 % given up, the rest wait and book at 7 % a day once it opens (15 April) | pent-up demand |
//! | booked pick-ups after the policy change | 50 % cancelled by their citizens before 29 June (from 25 June) | |
//! | calendar horizon | slots of 2020 only: the 2021 calendar (and its holidays) is not open in 2020 | requests that find no slot in 2020 are not booked |
//! | errands planned as walk-ins when appointments became required | booked online instead | |
//! | start | an empty calendar on 1 January 2020 (no appointments carried over from 2019) | |
//!
//! Identifiers: events `kl2020-NNNNNN` in log order, appointments `kl2020-tNNNNN`, holidays as `wartezeit holidays`
//! names them.

mod calendar;
pub mod observer;
mod params;
mod sim;

use chrono::NaiveDate;

use crate::domain::event::Event;
use crate::domain::wire::to_json_line;

/// The seed of the committed data set `data/kaiserslautern-2020.ndjson`.
pub const DEFAULT_SEED: u64 = 2020;

/// The scenarios that can be generated, by the name the CLI takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioName {
    /// `kaiserslautern-2020`: see [`kaiserslautern_2020`].
    Kaiserslautern2020,
}

impl ScenarioName {
    /// All scenarios.
    pub const ALL: [ScenarioName; 1] = [ScenarioName::Kaiserslautern2020];

    /// The name on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ScenarioName::Kaiserslautern2020 => "kaiserslautern-2020",
        }
    }

    /// Parses a name; the error lists the known ones.
    pub fn parse(name: &str) -> Result<Self, String> {
        Self::ALL.into_iter().find(|s| s.as_str() == name).ok_or_else(|| {
            let known: Vec<&str> = Self::ALL.iter().map(|s| s.as_str()).collect();
            format!("scenario {name:?} is unknown, expected one of {}", known.join(", "))
        })
    }

    /// Runs the scenario with `seed`.
    pub fn generate(self, seed: u64) -> Simulation {
        match self {
            ScenarioName::Kaiserslautern2020 => kaiserslautern_2020(seed),
        }
    }
}

/// The figures of the simulated office at the end of one day, as its own calendar knows them. They follow
/// docs/events.md's definitions as of that day, so a projection of the generated log must give the same.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DayFigures {
    pub date: NaiveDate,
    /// capacity(o, date).
    pub capacity: u32,
    /// booked(o, date).
    pub booked: u32,
    /// Appointments booked and not yet cancelled, attended or missed.
    pub backlog: u32,
    /// Backlog appointments on later days with capacity 0.
    pub displaced: u32,
    pub next_available_days: Option<u32>,
    pub third_next_available_days: Option<u32>,
    /// `appointment_booked` events of the day.
    pub bookings: u32,
    /// `appointment_cancelled` events of the day.
    pub cancellations: u32,
    /// `appointment_attended` events of the day.
    pub served_appointments: u32,
    /// `appointment_missed` events of the day.
    pub no_shows: u32,
    /// `walk_in_served` events of the day.
    pub served_walk_in: u32,
    /// Not a docs/events.md figure: requests the simulation could not place (no slot left in the year, or a walk-in on
    /// a shut day), which leave no event.
    pub unserved: u32,
    /// Not a docs/events.md figure: requests waiting for the calendar to open again, at the end of the day.
    pub waiting_requests: u32,
}

/// A generated scenario: its events in business-time order, and the simulation's own figures per day.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub events: Vec<Event>,
    pub days: Vec<DayFigures>,
}

impl Simulation {
    /// The figures at the end of `date`, if the simulation covers it.
    pub fn day(&self, date: NaiveDate) -> Option<&DayFigures> {
        self.days.iter().find(|d| d.date == date)
    }

    /// The events as NDJSON, one canonical line each, every line ending in a newline.
    pub fn to_ndjson(&self) -> String {
        let mut out = String::with_capacity(self.events.len() * 200);
        for event in &self.events {
            out.push_str(&to_json_line(event));
            out.push('\n');
        }
        out
    }
}

/// Simulates 2020 at `kl-buergercenter` (see the module docs for every assumption). The same seed gives the same
/// events, byte for byte.
pub fn kaiserslautern_2020(seed: u64) -> Simulation {
    let sim = sim::Sim::new(seed).run();
    Simulation { events: sim.events, days: sim.days }
}

/// The same year as [`kaiserslautern_2020`] with the same seed, but without the city's decisions taken after
/// `last_decision_day`: the year as it would have gone under the plans, closures and policies known that day. Up
/// to that day the events are the same, byte for byte; this is what a forecast made that day can be judged
/// against (see `tests/forecast_backtest.rs`).
pub fn kaiserslautern_2020_decided_by(seed: u64, last_decision_day: NaiveDate) -> Simulation {
    let sim = sim::Sim::decided_by(seed, last_decision_day).run();
    Simulation { events: sim.events, days: sim.days }
}

#[cfg(test)]
mod tests;
