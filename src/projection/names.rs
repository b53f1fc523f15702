//! Display names: the latest `office_described` of each office and `service_described` of each service (by `at`,
//! ties: position), so that people read "Bürgercenter Kaiserslautern", not `kl-buergercenter`. Names change no
//! figure, so they are kept apart from the offices' figures and do not move an office's position.

use std::collections::BTreeMap;

use crate::domain::event::{Event, EventKind, Instant, State};
use crate::domain::id::{OfficeId, ServiceId};

/// The order in which descriptions replace each other: business time, then log position.
type Key = (i64, u32, u64);

fn key(at: &Instant, position: u64) -> Key {
    (at.timestamp(), at.timestamp_subsec_nanos(), position)
}

/// An office's current name and state.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OfficeName {
    pub name: String,
    pub state: Option<State>,
}

/// Every name the log gives.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Names {
    offices: BTreeMap<OfficeId, (Key, OfficeName)>,
    /// Keyed by (office, service); `None` is a service's name at every office.
    services: BTreeMap<(Option<OfficeId>, ServiceId), (Key, String)>,
}

impl Names {
    /// Takes a description in; any other event is ignored.
    pub fn apply(&mut self, position: u64, event: &Event) {
        let key = key(&event.at, position);
        match &event.kind {
            EventKind::OfficeDescribed { office, name, state } => {
                let described = OfficeName { name: name.clone(), state: *state };
                replace_if_later(&mut self.offices, office.clone(), key, described);
            }
            EventKind::ServiceDescribed { service, name, office } => {
                replace_if_later(&mut self.services, (office.clone(), service.clone()), key, name.clone());
            }
            _ => {}
        }
    }

    /// The office's current name and state, if it was described.
    pub fn office(&self, office: &OfficeId) -> Option<&OfficeName> {
        self.offices.get(office).map(|(_, named)| named)
    }

    /// The service's name at `office`: the office's own description wins over the general one.
    pub fn service(&self, office: &OfficeId, service: &ServiceId) -> Option<&str> {
        let own = self.services.get(&(Some(office.clone()), service.clone()));
        let general = || self.services.get(&(None, service.clone()));
        own.or_else(general).map(|(_, name)| name.as_str())
    }

    /// Every described office, in id order.
    pub fn offices(&self) -> impl Iterator<Item = (&OfficeId, &OfficeName)> {
        self.offices.iter().map(|(office, (_, named))| (office, named))
    }
}

fn replace_if_later<K: Ord, V>(map: &mut BTreeMap<K, (Key, V)>, k: K, key: Key, value: V) {
    match map.get(&k) {
        Some((current, _)) if *current > key => {}
        _ => {
            map.insert(k, (key, value));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::wire::parse_event;

    fn event(line: &str) -> Event {
        parse_event(line).expect("a valid test event")
    }

    fn office_described(id: &str, at: &str, name: &str) -> Event {
        event(&format!(
            r#"{{"event_id":"{id}","type":"office_described","at":"{at}","office":"kl","name":"{name}","state":"rp"}}"#
        ))
    }

    #[test]
    fn the_latest_description_by_business_time_wins_and_ties_go_to_the_later_position() {
        let mut names = Names::default();
        names.apply(1, &office_described("a", "2020-06-01T00:00:00Z", "Neu"));
        names.apply(2, &office_described("b", "2020-01-01T00:00:00Z", "Alt"));
        let kl = OfficeId::parse("kl").expect("an id");
        assert_eq!(names.office(&kl).map(|o| o.name.as_str()), Some("Neu"), "an older description arriving later");
        names.apply(3, &office_described("c", "2020-06-01T00:00:00Z", "Gleichzeitig"));
        assert_eq!(names.office(&kl).map(|o| o.name.as_str()), Some("Gleichzeitig"));
        assert_eq!(names.office(&kl).and_then(|o| o.state), Some(State::RheinlandPfalz));
    }

    #[test]
    fn an_offices_own_service_name_wins_over_the_general_one() {
        let mut names = Names::default();
        let general = r#"{"event_id":"g","type":"service_described","at":"2020-06-01T00:00:00Z","service":"pa","name":"Personalausweis"}"#;
        let own = r#"{"event_id":"o","type":"service_described","at":"2020-01-01T00:00:00Z","service":"pa","name":"Ausweis beantragen","office":"kl"}"#;
        names.apply(1, &event(general));
        let (kl, ka) = (OfficeId::parse("kl").expect("id"), OfficeId::parse("ka").expect("id"));
        let pa = ServiceId::parse("pa").expect("id");
        assert_eq!(names.service(&kl, &pa), Some("Personalausweis"));
        names.apply(2, &event(own));
        assert_eq!(names.service(&kl, &pa), Some("Ausweis beantragen"), "even though the general one is later");
        assert_eq!(names.service(&ka, &pa), Some("Personalausweis"));
        assert_eq!(names.service(&ka, &ServiceId::parse("x").expect("id")), None);
    }
}
