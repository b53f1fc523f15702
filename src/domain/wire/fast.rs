//! The fast path of the wire parser: one typed pass that borrows every string from the input.
//!
//! The field-by-field parser builds a `serde_json::Value` (a map of owned strings) so that it can name every broken
//! field; for the million well-formed events of an import that costs more than everything else the import does. This
//! path deserializes into [`Flat`], a struct of every field any event type has, borrowing the strings, and then
//! checks it with the same string-level rules as the slow path. It answers `None` for anything unusual — an unknown
//! or duplicated field, a `null`, a string with escapes, a field that does not belong to the event's type, any
//! broken value — and the caller parses the line again field by field, which names the problems. So it may decline a
//! valid event, never accept an invalid one, and what it accepts is exactly what the slow path makes of the line.

use serde::{Deserialize, Deserializer};

use crate::domain::event::{Channel, ClosureCause, Event, EventKind, MAX_NAME_CHARS, MAX_REASON_CHARS, State};
use crate::domain::id::{AppointmentId, ClosureId, EventId, OfficeId, ServiceId};
use crate::domain::wire::{date, instant, slots_of_day, text};

/// Every field of every event type; the optional ones are `Some` exactly when present (a `null` is an error here).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Flat<'a> {
    event_id: &'a str,
    #[serde(rename = "type")]
    type_name: &'a str,
    at: &'a str,
    #[serde(default, borrow, deserialize_with = "present")]
    office: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    appointment_id: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    service: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    channel: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    slot: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    effective_from: Option<&'a str>,
    #[serde(default, deserialize_with = "present")]
    slots_per_weekday: Option<[u64; 7]>,
    #[serde(default, borrow, deserialize_with = "present")]
    closure_id: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    first_day: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    last_day: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    cause: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    reason: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    date: Option<&'a str>,
    #[serde(default, borrow, deserialize_with = "present")]
    name: Option<&'a str>,
    #[serde(default, deserialize_with = "present")]
    appointment_required: Option<bool>,
    #[serde(default, borrow, deserialize_with = "present")]
    state: Option<&'a str>,
}

/// A present field: its value must deserialize as `T` (so `null` fails, where a plain `Option` would take it).
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The optional fields, as bits of a set.
mod field {
    pub const OFFICE: u32 = 1;
    pub const APPOINTMENT: u32 = 1 << 1;
    pub const SERVICE: u32 = 1 << 2;
    pub const CHANNEL: u32 = 1 << 3;
    pub const SLOT: u32 = 1 << 4;
    pub const EFFECTIVE_FROM: u32 = 1 << 5;
    pub const SLOTS: u32 = 1 << 6;
    pub const CLOSURE: u32 = 1 << 7;
    pub const FIRST_DAY: u32 = 1 << 8;
    pub const LAST_DAY: u32 = 1 << 9;
    pub const CAUSE: u32 = 1 << 10;
    pub const REASON: u32 = 1 << 11;
    pub const DATE: u32 = 1 << 12;
    pub const NAME: u32 = 1 << 13;
    pub const REQUIRED: u32 = 1 << 14;
    pub const STATE: u32 = 1 << 15;
}

/// The event in `text`, or `None` when the field-by-field parser must look at it.
pub(super) fn parse(text: &str) -> Option<Event> {
    serde_json::from_str::<Flat>(text).ok()?.into_event()
}

impl Flat<'_> {
    fn present(&self) -> u32 {
        use field::*;
        let bits = [
            (self.office.is_some(), OFFICE),
            (self.appointment_id.is_some(), APPOINTMENT),
            (self.service.is_some(), SERVICE),
            (self.channel.is_some(), CHANNEL),
            (self.slot.is_some(), SLOT),
            (self.effective_from.is_some(), EFFECTIVE_FROM),
            (self.slots_per_weekday.is_some(), SLOTS),
            (self.closure_id.is_some(), CLOSURE),
            (self.first_day.is_some(), FIRST_DAY),
            (self.last_day.is_some(), LAST_DAY),
            (self.cause.is_some(), CAUSE),
            (self.reason.is_some(), REASON),
            (self.date.is_some(), DATE),
            (self.name.is_some(), NAME),
            (self.appointment_required.is_some(), REQUIRED),
            (self.state.is_some(), STATE),
        ];
        bits.iter().filter(|(is, _)| *is).fold(0, |set, (_, bit)| set | bit)
    }

    fn into_event(self) -> Option<Event> {
        use field::*;
        let id = EventId::parse(self.event_id).ok()?;
        let at = instant(self.at).ok()?;
        // The fields the type may have; a missing one of them is caught by its `?` below.
        let allowed = match self.type_name {
            "appointment_booked" => OFFICE | APPOINTMENT | SERVICE | CHANNEL | SLOT,
            "appointment_rescheduled" => OFFICE | APPOINTMENT | SLOT,
            "appointment_cancelled" | "appointment_attended" | "appointment_missed" => OFFICE | APPOINTMENT,
            "walk_in_served" => OFFICE | SERVICE,
            "capacity_planned" => OFFICE | EFFECTIVE_FROM | SLOTS,
            "closure_declared" => OFFICE | CLOSURE | FIRST_DAY | LAST_DAY | CAUSE | REASON,
            "closure_cancelled" => OFFICE | CLOSURE,
            "holiday_declared" => DATE | NAME | OFFICE,
            "policy_changed" => OFFICE | SERVICE | EFFECTIVE_FROM | REQUIRED,
            "office_described" => OFFICE | NAME | STATE,
            "service_described" => SERVICE | NAME | OFFICE,
            _ => return None,
        };
        if self.present() & !allowed != 0 {
            return None;
        }
        let office = || OfficeId::parse(self.office?).ok();
        let appointment = || AppointmentId::parse(self.appointment_id?).ok();
        let service = || ServiceId::parse(self.service?).ok();
        let closure = || ClosureId::parse(self.closure_id?).ok();
        let day = |d: Option<&str>| date(d?).ok();
        let kind = match self.type_name {
            "appointment_booked" => EventKind::AppointmentBooked {
                office: office()?,
                appointment: appointment()?,
                service: service()?,
                channel: Channel::parse(self.channel?)?,
                slot: instant(self.slot?).ok()?,
            },
            "appointment_rescheduled" => EventKind::AppointmentRescheduled {
                office: office()?,
                appointment: appointment()?,
                slot: instant(self.slot?).ok()?,
            },
            "appointment_cancelled" => {
                EventKind::AppointmentCancelled { office: office()?, appointment: appointment()? }
            }
            "appointment_attended" => EventKind::AppointmentAttended { office: office()?, appointment: appointment()? },
            "appointment_missed" => EventKind::AppointmentMissed { office: office()?, appointment: appointment()? },
            "walk_in_served" => EventKind::WalkInServed { office: office()?, service: service()? },
            "capacity_planned" => {
                let mut slots = [0u16; 7];
                for (slot, n) in slots.iter_mut().zip(self.slots_per_weekday?) {
                    *slot = slots_of_day(n)?;
                }
                EventKind::CapacityPlanned {
                    office: office()?,
                    effective_from: day(self.effective_from)?,
                    slots_per_weekday: slots,
                }
            }
            "closure_declared" => EventKind::ClosureDeclared {
                office: office()?,
                closure: closure()?,
                first_day: day(self.first_day)?,
                last_day: day(self.last_day)?,
                cause: ClosureCause::parse(self.cause?)?,
                reason: text(self.reason?, 0, MAX_REASON_CHARS).ok()?,
            },
            "closure_cancelled" => EventKind::ClosureCancelled { office: office()?, closure: closure()? },
            "holiday_declared" => EventKind::HolidayDeclared {
                date: day(self.date)?,
                name: text(self.name?, 1, MAX_NAME_CHARS).ok()?,
                office: match self.office {
                    None => None,
                    Some(_) => Some(office()?),
                },
            },
            "policy_changed" => EventKind::PolicyChanged {
                office: office()?,
                service: service()?,
                effective_from: day(self.effective_from)?,
                appointment_required: self.appointment_required?,
            },
            "office_described" => EventKind::OfficeDescribed {
                office: office()?,
                name: text(self.name?, 1, MAX_NAME_CHARS).ok()?,
                state: match self.state {
                    None => None,
                    Some(code) => Some(State::parse(code)?),
                },
            },
            "service_described" => EventKind::ServiceDescribed {
                service: service()?,
                name: text(self.name?, 1, MAX_NAME_CHARS).ok()?,
                office: match self.office {
                    None => None,
                    Some(_) => Some(office()?),
                },
            },
            _ => return None,
        };
        Some(Event { id, at, kind })
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::{Map, Value, json};

    use crate::domain::wire::{parse_event_by_fields, to_json_line};

    /// One well-formed event of every type (the holiday with and without an office), and one with an escape.
    const VALID: [&str; 16] = [
        r#"{"event_id":"e1","type":"appointment_booked","at":"2020-06-02T09:15:00+02:00","office":"kl","appointment_id":"A-1","service":"personalausweis","channel":"online","slot":"2020-06-24T08:00:00+02:00"}"#,
        r#"{"event_id":"1","type":"appointment_rescheduled","at":"2020-05-01T10:00:00+02:00","office":"kl","appointment_id":"a","slot":"2020-05-04T10:00:00+02:00"}"#,
        r#"{"event_id":"2","type":"appointment_cancelled","at":"2020-05-01T10:00:00+02:00","office":"kl","appointment_id":"a"}"#,
        r#"{"event_id":"3","type":"appointment_attended","at":"2020-05-01T10:00:00+02:00","office":"kl","appointment_id":"a"}"#,
        r#"{"event_id":"4","type":"appointment_missed","at":"2020-05-01T10:00:00Z","office":"kl","appointment_id":"a"}"#,
        r#"{"event_id":"w","type":"walk_in_served","at":"2020-06-29T08:00:00Z","office":"kl","service":"ausweis-abholung"}"#,
        r#"{"event_id":"5","type":"capacity_planned","at":"2020-01-01T00:00:00+01:00","office":"kl","effective_from":"2020-01-06","slots_per_weekday":[120,120,120,140,60,0,0]}"#,
        r#"{"event_id":"6","type":"closure_declared","at":"2020-03-16T07:00:00+01:00","office":"kl","closure_id":"lockdown-2020","first_day":"2020-03-17","last_day":"2020-04-26","cause":"lockdown","reason":"Corona-Lockdown"}"#,
        r#"{"event_id":"7","type":"closure_cancelled","at":"2020-03-16T07:00:00+01:00","office":"kl","closure_id":"lockdown-2020"}"#,
        r#"{"event_id":"8","type":"holiday_declared","at":"2020-01-01T00:00:00+01:00","date":"2020-05-21","name":"Christi Himmelfahrt"}"#,
        r#"{"event_id":"9","type":"holiday_declared","at":"2020-01-01T00:00:00+01:00","date":"2020-05-21","name":"Fronleichnam","office":"kl"}"#,
        r#"{"event_id":"10","type":"policy_changed","at":"2020-06-24T12:00:00+02:00","office":"kl","service":"ausweis-abholung","effective_from":"2020-06-29","appointment_required":false}"#,
        r#"{"event_id":"11","type":"closure_declared","at":"2020-03-16T07:00:00+01:00","office":"kl","closure_id":"c","first_day":"2020-03-17","last_day":"2020-03-17","cause":"other","reason":"Stra\u00dfe \"gesperrt\""}"#,
        r#"{"event_id":"12","type":"office_described","at":"2020-01-01T00:00:00+01:00","office":"kl","name":"Bürgercenter Kaiserslautern","state":"rp"}"#,
        r#"{"event_id":"13","type":"service_described","at":"2020-01-01T00:00:00+01:00","service":"personalausweis","name":"Personalausweis beantragen"}"#,
        r#"{"event_id":"14","type":"service_described","at":"2020-01-01T00:00:00+01:00","service":"personalausweis","name":"Ausweis","office":"kl"}"#,
    ];

    /// Field names of any type, and a few that no type has.
    const NAMES: [&str; 23] = [
        "event_id",
        "type",
        "at",
        "office",
        "appointment_id",
        "service",
        "channel",
        "slot",
        "effective_from",
        "slots_per_weekday",
        "closure_id",
        "first_day",
        "last_day",
        "cause",
        "reason",
        "date",
        "name",
        "appointment_required",
        "state",
        "extra",
        "Office",
        "slots",
        "",
    ];

    fn values() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            Just(json!(true)),
            Just(json!(7)),
            Just(json!(-1)),
            Just(json!(2.5)),
            Just(json!([1, 2, 3, 4, 5, 6, 7])),
            Just(json!([1, 2, 3, 4, 5, 6, 10001])),
            Just(json!([1, 2, 3, 4, 5, 6])),
            Just(json!({})),
            Just(json!("")),
            Just(json!("kl")),
            Just(json!("KL")),
            Just(json!("online")),
            Just(json!("lockdown")),
            Just(json!("2020-06-24")),
            Just(json!("2020-6-24")),
            Just(json!("2020-06-24T08:00:00+02:00")),
            Just(json!("2020-06-24T08:00:00")),
            Just(json!("appointment_booked")),
            Just(json!("holiday_declared")),
            Just(json!("office_described")),
            Just(json!("rp")),
            Just(json!("x".repeat(501))),
            "[ -~äß\\\\\"]{0,12}".prop_map(Value::String),
        ]
    }

    /// A change to an event: drop a field, set one (to a value that may or may not fit), or break the text.
    #[derive(Debug, Clone)]
    enum Mutation {
        Remove(usize),
        Set(usize, Value),
        Truncate(usize),
        DuplicateFirstKey,
    }

    fn mutations() -> impl Strategy<Value = Vec<Mutation>> {
        let one = prop_oneof![
            (0..NAMES.len()).prop_map(Mutation::Remove),
            (0..NAMES.len(), values()).prop_map(|(i, v)| Mutation::Set(i, v)),
            (0usize..400).prop_map(Mutation::Truncate),
            Just(Mutation::DuplicateFirstKey),
        ];
        proptest::collection::vec(one, 0..4)
    }

    fn apply(line: &str, mutations: &[Mutation]) -> String {
        let mut map: Map<String, Value> = serde_json::from_str(line).expect("valid test event");
        let mut text = None;
        for m in mutations {
            match m {
                Mutation::Remove(i) => {
                    map.remove(NAMES[*i]);
                }
                Mutation::Set(i, v) => {
                    map.insert(NAMES[*i].to_owned(), v.clone());
                }
                Mutation::Truncate(n) => {
                    let full = Value::Object(map.clone()).to_string();
                    text = Some(full.chars().take(*n).collect());
                }
                Mutation::DuplicateFirstKey => {
                    let full = Value::Object(map.clone()).to_string();
                    let first = map.iter().next().map(|(k, v)| format!("{{{}:{},", Value::from(k.as_str()), v));
                    text = first.map(|f| full.replacen('{', &f, 1));
                }
            }
        }
        text.unwrap_or_else(|| Value::Object(map).to_string())
    }

    #[test]
    fn every_valid_event_takes_the_fast_path_but_the_escaped_one() {
        for line in VALID[..12].iter().chain(&VALID[13..]) {
            let event = super::parse(line).unwrap_or_else(|| panic!("fast path declined {line}"));
            assert_eq!(to_json_line(&event), *line);
        }
        assert!(super::parse(VALID[12]).is_none(), "a string with escapes cannot be borrowed");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        /// What the fast path accepts, the field-by-field parser accepts as the same event.
        #[test]
        fn the_fast_path_accepts_only_what_the_slow_path_does(index in 0..VALID.len(), changes in mutations()) {
            let text = apply(VALID[index], &changes);
            if let Some(fast) = super::parse(&text) {
                prop_assert_eq!(parse_event_by_fields(&text), Ok(fast), "{}", text);
            }
        }
    }
}
