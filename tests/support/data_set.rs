//! The committed 2020 data set and its projection, built once per test binary.

use std::sync::OnceLock;

use wartezeit::domain::event::Event;
use wartezeit::domain::wire::parse_event;
use wartezeit::projection::{Config, Projection};

/// `data/kaiserslautern-2020.ndjson`, as committed.
pub const DATA: &str = include_str!("../../data/kaiserslautern-2020.ndjson");

/// The projection of every event of the data set, positions counted from 1.
pub fn projection() -> &'static Projection {
    static PROJECTION: OnceLock<Projection> = OnceLock::new();
    PROJECTION.get_or_init(|| {
        let events: Vec<Event> = DATA.lines().map(|l| parse_event(l).expect("the data set parses")).collect();
        Projection::from_entries(Config::default(), events.iter().enumerate().map(|(i, e)| (i as u64 + 1, e)))
    })
}
