//! The assumptions of the Kaiserslautern 2020 scenario, all in one place, each with where it comes from.
//!
//! The public facts (opening hours, holidays, the lockdown, the migration, the policy change of 29 June) are the
//! press office's; the levels (demand, capacity, rates) are assumptions chosen so that the simulated office tells the
//! press release's story with its own figures, and are listed with their reasons in [`crate::scenario`].

use chrono::NaiveDate;

use crate::domain::event::{ClosureCause, WeeklySlots};

/// The simulated office.
pub(crate) const OFFICE: &str = "kl-buergercenter";

/// The year simulated.
pub(crate) const YEAR: i32 = 2020;

/// Opening hours per weekday (Monday first) in minutes after local midnight: Mon–Wed 8–16, Thu 9–18, Fri 8–12.
pub(crate) const OPENING: [Option<(u32, u32)>; 7] =
    [Some((480, 960)), Some((480, 960)), Some((480, 960)), Some((540, 1080)), Some((480, 720)), None, None];

/// The window in which citizens use the online calendar: 06:00–23:00.
pub(crate) const ONLINE_WINDOW: (u32, u32) = (360, 1380);

/// The window in which cancellations by citizens happen: 07:00–20:00. Ending before the online window does means
/// that a slot freed by a cancellation is normally taken again by a later booking of the same day, as it is in a
/// busy online calendar.
pub(crate) const CANCEL_WINDOW: (u32, u32) = (420, 1200);

/// Slots per opening hour in the plan of January (13 per hour: about 6 counters of 25-minute slots).
pub(crate) const NORMAL_PER_HOUR: u32 = 13;
/// Slots per opening hour after the reopening of 27 April (fewer counters in use, distance between visitors).
pub(crate) const REDUCED_PER_HOUR: u32 = 12;
/// Slots per opening hour from 13 July (screens at every counter, extra staff to work off the backlog).
pub(crate) const RESTORED_PER_HOUR: u32 = 14;

/// A weekly plan that gives `per_hour` slots in every opening hour.
pub(crate) fn plan(per_hour: u32) -> WeeklySlots {
    OPENING.map(|hours| hours.map_or(0, |(open, close)| ((close - open) / 60 * per_hour) as u16))
}

/// Shares of the booking channels when all are open: online, phone, counter. On days without phone or counter
/// service their share books online.
pub(crate) const CHANNEL_SHARES: [f64; 3] = [0.62, 0.30, 0.08];

/// How booking requests spread over the week (Monday first); citizens book online at weekends too.
pub(crate) const REQUEST_WEEKDAYS: [f64; 7] = [0.20, 0.17, 0.16, 0.17, 0.13, 0.09, 0.08];

/// How walk-ins spread over the opening days (Monday first), weighted by the length of the opening hours.
pub(crate) const WALK_IN_WEEKDAYS: [f64; 7] = [0.22, 0.20, 0.20, 0.25, 0.13, 0.0, 0.0];

/// The services, with their requests per week in normal times and whether they need an appointment in January.
pub(crate) struct Service {
    pub(crate) id: &'static str,
    /// The name citizens read (`service_described`).
    pub(crate) name: &'static str,
    /// Requests per week in a normal month; `0` for pick-ups, which follow from applications.
    pub(crate) per_week: f64,
    /// Month factors (January first): seasons of travel and of moving house.
    pub(crate) season: [f64; 12],
    /// Whether the service needs an appointment before the lockdown.
    pub(crate) appointment_in_january: bool,
}

const FLAT: [f64; 12] = [1.0; 12];

/// The simulated office's display name and state.
pub(crate) const OFFICE_NAME: &str = "Bürgercenter Kaiserslautern";

/// The services of the simulated office.
pub(crate) const SERVICES: [Service; 6] = [
    Service {
        id: "personalausweis",
        name: "Personalausweis beantragen",
        per_week: 150.0,
        season: FLAT,
        appointment_in_january: true,
    },
    Service {
        id: "reisepass",
        name: "Reisepass beantragen",
        per_week: 55.0,
        season: [0.8, 0.9, 1.1, 1.2, 1.3, 1.3, 1.2, 1.0, 0.9, 0.9, 0.8, 0.7],
        appointment_in_january: true,
    },
    Service {
        id: "anmeldung-ummeldung",
        name: "Wohnsitz anmelden oder ummelden",
        per_week: 160.0,
        season: [1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.0, 1.1, 1.3, 1.3, 0.9, 0.8],
        appointment_in_january: true,
    },
    Service {
        id: "meldebescheinigung",
        name: "Meldebescheinigung",
        per_week: 35.0,
        season: FLAT,
        appointment_in_january: false,
    },
    Service {
        id: "fuehrungszeugnis",
        name: "Führungszeugnis beantragen",
        per_week: 25.0,
        season: FLAT,
        appointment_in_january: false,
    },
    Service {
        id: "ausweis-abholung",
        name: "Ausweis oder Pass abholen",
        per_week: 0.0,
        season: FLAT,
        appointment_in_january: false,
    },
];

/// The index of the pick-up service in [`SERVICES`].
pub(crate) const PICKUP: usize = 5;

/// Services whose attended applications lead to a pick-up: personalausweis and reisepass.
pub(crate) const APPLICATIONS: [usize; 2] = [0, 1];

/// Days from the application until the document is ready and the citizen is told: 21–35.
pub(crate) const PICKUP_DELAY_DAYS: (u64, u64) = (21, 35);

/// The pandemic's effect on demand per month (January first): fewer moves, errands postponed.
pub(crate) const PANDEMIC: [f64; 12] = [1.0, 1.0, 0.9, 0.6, 0.7, 0.8, 0.85, 0.9, 0.9, 0.9, 0.85, 0.85];

/// The extra effect on passports per month: no travel in spring and summer 2020.
pub(crate) const TRAVEL: [f64; 12] = [1.0, 1.0, 0.9, 0.5, 0.5, 0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9];

/// Share of bookings that the citizen cancels before the slot.
pub(crate) const CANCEL_RATE: f64 = 0.10;
/// Share of the remaining appointments that end as no-shows (docs/events.md's `appointment_missed`).
pub(crate) const NO_SHOW_RATE: f64 = 0.12;
/// Share of appointments displaced by a closure that the office cancels instead of moving.
pub(crate) const DISPLACED_CANCEL_RATE: f64 = 0.15;
/// Share of booked pick-up appointments that citizens cancel once pick-ups need none.
pub(crate) const PICKUP_CANCEL_RATE: f64 = 0.5;
/// Share of requests made while the calendar is shut that are given up (done online, or no longer needed).
pub(crate) const POOL_ABANDON_RATE: f64 = 0.3;
/// Share of the waiting requests that book on each day once the calendar is open again.
pub(crate) const POOL_RELEASE_RATE: f64 = 0.07;
/// Minutes a served visit takes: the `appointment_attended` event comes this long after the slot.
pub(crate) const SERVICE_MINUTES: (u32, u32) = (5, 25);
/// Minutes after the slot at which a no-show is recorded.
pub(crate) const NO_SHOW_MINUTES: u32 = 15;
/// A pick-up that would need an appointment walks in instead if pick-ups need none within this many days.
pub(crate) const PICKUP_WAITS_FOR_POLICY_DAYS: i64 = 14;

/// A decision of the city (or the state), with the local date and minute at which it was taken.
pub(crate) struct Decision {
    pub(crate) date: NaiveDate,
    pub(crate) minute: u32,
    pub(crate) what: Vec<Decided>,
}

/// What was decided.
pub(crate) enum Decided {
    /// The office's and its services' display names.
    Names,
    /// The public holidays of Rhineland-Palatinate for the year.
    Holidays,
    Plan {
        effective_from: NaiveDate,
        per_hour: u32,
    },
    /// `appointment_required` for services, by index into [`SERVICES`].
    Policy {
        services: Vec<usize>,
        effective_from: NaiveDate,
        required: bool,
    },
    Closure {
        id: &'static str,
        first: NaiveDate,
        last: NaiveDate,
        cause: ClosureCause,
        reason: &'static str,
    },
    /// Whether citizens can book in the online calendar and by phone.
    Booking {
        open: bool,
    },
}

fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(YEAR, month, day).expect("the timeline's dates are valid")
}

/// The timeline of the year, in order of time.
pub(crate) fn timeline() -> Vec<Decision> {
    let walk_in_services: Vec<usize> = (0..SERVICES.len()).filter(|s| !SERVICES[*s].appointment_in_january).collect();
    let lockdown_reason = "Schließung für den Publikumsverkehr wegen der Corona-Pandemie";
    vec![
        Decision {
            date: d(1, 1),
            minute: 0,
            what: vec![
                Decided::Names,
                Decided::Holidays,
                Decided::Plan { effective_from: d(1, 1), per_hour: NORMAL_PER_HOUR },
                Decided::Policy {
                    services: (0..SERVICES.len()).filter(|s| SERVICES[*s].appointment_in_january).collect(),
                    effective_from: d(1, 1),
                    required: true,
                },
                Decided::Policy { services: walk_in_services.clone(), effective_from: d(1, 1), required: false },
                Decided::Booking { open: true },
            ],
        },
        // Monday 16 March: the city closes its offices to the public from the next day, first until 19 April.
        Decision {
            date: d(3, 16),
            minute: 11 * 60,
            what: vec![
                Decided::Booking { open: false },
                Decided::Closure {
                    id: "lockdown-2020",
                    first: d(3, 17),
                    last: d(4, 19),
                    cause: ClosureCause::Lockdown,
                    reason: lockdown_reason,
                },
            ],
        },
        // Wednesday 15 April (the day the federal government and the states extended the measures): closed one
        // more week, reopening on Monday 27 April by appointment only, with fewer slots; the calendar opens again.
        Decision {
            date: d(4, 15),
            minute: 16 * 60,
            what: vec![
                Decided::Plan { effective_from: d(4, 27), per_hour: REDUCED_PER_HOUR },
                Decided::Policy { services: walk_in_services, effective_from: d(4, 27), required: true },
                Decided::Closure {
                    id: "lockdown-2020",
                    first: d(3, 17),
                    last: d(4, 26),
                    cause: ClosureCause::Lockdown,
                    reason: lockdown_reason,
                },
                Decided::Booking { open: true },
            ],
        },
        // Tuesday 12 May: the state's switch of the registration software over Pentecost is scheduled. Four
        // working days closed: Wed 27, Thu 28, Fri 29 May and Tue 2 June (the day the new system goes live);
        // Pentecost Monday (1 June) is a holiday anyway.
        Decision {
            date: d(5, 12),
            minute: 10 * 60,
            what: vec![Decided::Closure {
                id: "systemumstellung-2020",
                first: d(5, 27),
                last: d(6, 2),
                cause: ClosureCause::SystemMigration,
                reason: "Landesweite Umstellung der Meldesoftware über Pfingsten; Live-Betrieb ab 2. Juni, \
                         wieder geöffnet ab 3. Juni",
            }],
        },
        // Wednesday 24 June, the day of the press release: ID pick-ups need no appointment from Monday 29 June.
        Decision {
            date: d(6, 24),
            minute: 10 * 60,
            what: vec![Decided::Policy { services: vec![PICKUP], effective_from: d(6, 29), required: false }],
        },
        // Wednesday 1 July: more slots from 13 July to work off the backlog.
        Decision {
            date: d(7, 1),
            minute: 12 * 60,
            what: vec![Decided::Plan { effective_from: d(7, 13), per_hour: RESTORED_PER_HOUR }],
        },
    ]
}
