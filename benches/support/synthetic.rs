//! A synthetic log for benchmarks: offices with a weekday plan, daily bookings into the next free days,
//! cancellations, reschedules, attendance and no-shows, in business-time order. Deterministic for a seed.

use chrono::{DateTime, Days, Duration, FixedOffset, NaiveDate, TimeZone};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use wartezeit::domain::event::{Channel, Event, EventKind};
use wartezeit::domain::id::{AppointmentId, EventId, OfficeId, ServiceId};

const SERVICES: [&str; 4] = ["personalausweis", "reisepass", "meldebescheinigung", "ausweis-abholung"];

fn instant(date: NaiveDate, minutes: i64) -> DateTime<FixedOffset> {
    let offset = FixedOffset::east_opt(3600).unwrap();
    offset.from_local_datetime(&date.and_hms_opt(0, 0, 0).unwrap()).unwrap() + Duration::minutes(minutes)
}

/// About `target` events over `days` days from 2019-01-01 for `offices` offices.
pub fn log(offices: usize, days: u32, target: usize, seed: u64) -> Vec<Event> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    // Each booking yields about 2.15 events (booking, end, some reschedules).
    let per_day = (target as f64 / 2.15 / offices as f64 / f64::from(days)).max(1.0);
    let capacity = (per_day * 7.0 / 5.0 * 1.02) as u16;
    let mut events = Vec::with_capacity(target + 1024);
    let mut seq = 0u64;
    let mut id = |prefix: &str| {
        seq += 1;
        EventId::parse(&format!("{prefix}-{seq}")).unwrap()
    };
    let office_ids: Vec<OfficeId> = (0..offices).map(|o| OfficeId::parse(&format!("office-{o}")).unwrap()).collect();
    for office in &office_ids {
        events.push(Event {
            id: id("plan"),
            at: instant(start, 0),
            kind: EventKind::CapacityPlanned {
                office: office.clone(),
                effective_from: start,
                slots_per_weekday: [capacity, capacity, capacity, capacity, capacity, 0, 0],
            },
        });
    }
    // Open appointments per office: (due day, appointment, slot day).
    let mut due: Vec<Vec<(u32, String, u32)>> = vec![Vec::new(); offices];
    let mut booked: Vec<Vec<u16>> = vec![vec![0; days as usize + 400]; offices];
    for day in 0..days {
        let date = start.checked_add_days(Days::new(u64::from(day))).unwrap();
        for (o, office) in office_ids.iter().enumerate() {
            // Appointments due today end: most attended, some missed.
            let (today, later): (Vec<_>, Vec<_>) = due[o].drain(..).partition(|(d, _, _)| *d == day);
            due[o] = later;
            for (_, appointment, _) in today {
                let kind = if rng.random_bool(0.12) { "missed" } else { "attended" };
                let appointment = AppointmentId::parse(&appointment).unwrap();
                let office = office.clone();
                events.push(Event {
                    id: id(kind),
                    at: instant(date, 8 * 60 + rng.random_range(0..480)),
                    kind: if kind == "missed" {
                        EventKind::AppointmentMissed { office, appointment }
                    } else {
                        EventKind::AppointmentAttended { office, appointment }
                    },
                });
            }
            let n = (per_day * rng.random_range(0.8..1.2)) as u32;
            for b in 0..n {
                let mut slot = day + 1;
                while booked[o][slot as usize] >= capacity || !is_weekday(start, slot) {
                    slot += 1;
                }
                booked[o][slot as usize] += 1;
                let appointment = format!("{office}-{day}-{b}");
                let at = instant(date, 7 * 60 + i64::from(b % 600));
                events.push(Event {
                    id: id("book"),
                    at,
                    kind: EventKind::AppointmentBooked {
                        office: office.clone(),
                        appointment: AppointmentId::parse(&appointment).unwrap(),
                        service: ServiceId::parse(SERVICES[b as usize % SERVICES.len()]).unwrap(),
                        channel: Channel::ALL[b as usize % 3],
                        slot: instant(start.checked_add_days(Days::new(u64::from(slot))).unwrap(), 9 * 60),
                    },
                });
                if rng.random_bool(0.08) {
                    booked[o][slot as usize] -= 1;
                    events.push(Event {
                        id: id("cancel"),
                        at: at + Duration::minutes(1),
                        kind: EventKind::AppointmentCancelled {
                            office: office.clone(),
                            appointment: AppointmentId::parse(&appointment).unwrap(),
                        },
                    });
                } else {
                    due[o].push((slot, appointment, slot));
                }
            }
        }
    }
    events
}

fn is_weekday(start: NaiveDate, day: u32) -> bool {
    use chrono::Datelike;
    start.checked_add_days(Days::new(u64::from(day))).unwrap().weekday().num_days_from_monday() < 5
}
