//! The rules of docs/events.md that guard the log, as a pure fold and a pure check.
//!
//! A [`RuleBook`] is the state the rules need, folded from the accepted events in log order: per office, every
//! appointment's stage and the `at` of its booking, and every closure id with whether it is cancelled. It does not
//! keep events or event ids; idempotency by `event_id` asks the store through the small [`KnownEvents`] trait, so
//! the rules stay pure and are tested against an in-memory map.
//!
//! [`RuleBook::check`] judges a batch against the book plus the earlier events of the same batch, in batch order,
//! and returns either the outcome of every event (new at position P, or a duplicate of position P) or *every*
//! violation, each with the event's index in the batch, the field at fault, the reason and the HTTP status it maps
//! to. A checked batch is applied with [`RuleBook::commit`].
//!
//! Decisions where docs/events.md is silent (also in the README):
//! - An `appointment_id` is booked once per office for good: booking it again is 409 even after it was cancelled,
//!   attended or missed, because the id names one visit.
//! - Cancelling a closure that is already cancelled is 422 ("already cancelled"): the second cancellation would
//!   say nothing and most likely names the wrong closure.
//! - Declaring a cancelled closure again is allowed and makes it apply again with the new range, like any
//!   redeclaration.
//! - A booking whose only fault is its slot still counts as booked for the events after it in the same batch, so
//!   that one mistake yields one violation rather than a cascade of "unknown appointment".
//! - Identical content means the same canonical event: the same fields *and* the same offsets on `at` and `slot`,
//!   since the export reproduces the offsets the client sent.

use std::collections::HashMap;

use crate::domain::event::{Event, EventKind, Instant, MAX_CLOSURE_DAYS};
use crate::domain::id::{AppointmentId, ClosureId, EventId, OfficeId};
use crate::domain::wire::WireError;

mod remembered;
#[cfg(test)]
mod tests;

/// The HTTP status class a violation maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// 400: the event is malformed (not JSON, unknown or missing field, bad value).
    BadRequest,
    /// 409: the event conflicts with what is stored (same id, other content; appointment booked twice).
    Conflict,
    /// 422: well-formed, but it breaks a rule of the domain.
    Unprocessable,
}

impl Status {
    /// The HTTP status code.
    pub fn code(self) -> u16 {
        match self {
            Status::BadRequest => 400,
            Status::Conflict => 409,
            Status::Unprocessable => 422,
        }
    }
}

/// One broken rule of one event of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The event's index in the batch, from 0; the CLI turns it into a file and line.
    pub index: usize,
    /// The field at fault, as named on the wire; `None` when the event as a whole is wrong.
    pub field: Option<String>,
    /// What is wrong, lower-case, without a trailing period.
    pub reason: String,
    /// The HTTP status class.
    pub status: Status,
}

impl Violation {
    fn new(index: usize, field: &str, status: Status, reason: String) -> Self {
        Violation { index, field: Some(field.to_owned()), reason, status }
    }

    /// A wire error of the event at `index`; every wire error is a 400.
    pub fn from_wire(index: usize, error: WireError) -> Self {
        Violation { index, field: error.field, reason: error.reason, status: Status::BadRequest }
    }
}

/// How many violations an answer lists at most (contract version 2): the first ones in batch order; the total is
/// always given.
pub const MAX_LISTED_VIOLATIONS: usize = 100;

/// Why a batch was rejected: the first [`MAX_LISTED_VIOLATIONS`] violations in batch order, and how many there
/// are in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub listed: Vec<Violation>,
    pub total: usize,
}

impl Rejection {
    /// The rejection of `violations` (in any order).
    pub fn of(mut violations: Vec<Violation>) -> Rejection {
        let total = violations.len();
        // Stable: within one event, the violations stay in field order.
        violations.sort_by_key(|v| v.index);
        violations.truncate(MAX_LISTED_VIOLATIONS);
        Rejection { listed: violations, total }
    }
}

/// A judged batch: its events (with their outcomes, when the dry run ran), or why it is rejected.
pub type Judged = Result<(Vec<Event>, Option<Vec<Outcome>>), Rejection>;

/// A batch as parsed, judged by the one policy the HTTP API and `import` share: every violation of every event,
/// parse errors and rule breaks together, in batch order, the first [`MAX_LISTED_VIOLATIONS`] listed. `check` is a
/// dry run of the events that parsed against the log; it runs only when something did not parse (otherwise
/// appending checks the rules anyway) or when `always_check` is set. Memory stays bounded by the events, not by
/// their problems: past the first ones, parse errors are only counted. The outcomes come back when the dry run ran.
pub fn judge_batch<E>(
    parsed: impl IntoIterator<Item = Result<Event, Vec<WireError>>>,
    always_check: bool,
    check: impl FnOnce(&[Event]) -> Result<Result<Vec<Outcome>, Vec<Violation>>, E>,
) -> Result<Judged, E> {
    let mut events = Vec::new();
    let mut indexes = Vec::new();
    let mut malformed = Vec::new();
    let mut malformed_total = 0;
    for (index, result) in parsed.into_iter().enumerate() {
        match result {
            Ok(event) => {
                events.push(event);
                indexes.push(index);
            }
            Err(errors) => {
                malformed_total += errors.len();
                let room = MAX_LISTED_VIOLATIONS.saturating_sub(malformed.len());
                malformed.extend(errors.into_iter().take(room).map(|e| Violation::from_wire(index, e)));
            }
        }
    }
    if malformed_total == 0 && !always_check {
        return Ok(Ok((events, None)));
    }
    let broken = match check(&events)? {
        Ok(outcomes) if malformed_total == 0 => return Ok(Ok((events, Some(outcomes)))),
        Ok(_) => Vec::new(),
        Err(broken) => broken.into_iter().map(|v| Violation { index: indexes[v.index], ..v }).collect(),
    };
    // Both lists are in batch order, so the first ones of the two together are among the first ones of each.
    let total = malformed_total + broken.len();
    let mut rejection = Rejection::of(malformed.into_iter().chain(broken).collect());
    rejection.total = total;
    Ok(Err(rejection))
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.field {
            Some(field) => write!(f, "field {field:?}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// What becomes of one accepted event of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Appended at this position.
    New(u64),
    /// Already stored (or earlier in the same batch) at this position with identical content; not appended again.
    Duplicate(u64),
}

/// The store's answer to "which event is stored under this id?", the one thing the rules need from the log.
pub trait KnownEvents {
    /// Why the store could not answer (an I/O error, say); never "not found".
    type Error;

    /// The position and event stored under `id`, if any.
    fn stored(&self, id: &EventId) -> Result<Option<(u64, Event)>, Self::Error>;
}

/// An in-memory store: id → (position, event). Used by tests, and useful wherever events are at hand.
impl KnownEvents for HashMap<EventId, (u64, Event)> {
    type Error = std::convert::Infallible;

    fn stored(&self, id: &EventId) -> Result<Option<(u64, Event)>, Self::Error> {
        Ok(self.get(id).cloned())
    }
}

/// Where an appointment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    Booked,
    Cancelled,
    Attended,
    Missed,
}

impl Stage {
    fn describe(self) -> &'static str {
        match self {
            Stage::Booked => "booked",
            Stage::Cancelled => "cancelled",
            Stage::Attended => "attended",
            Stage::Missed => "missed",
        }
    }
}

/// What the rules remember of one appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Appointment {
    stage: Stage,
    /// The `at` of its `appointment_booked`; later events of the appointment may not precede it.
    #[serde(with = "instant_parts")]
    booked_at: Instant,
}

/// An instant stored as its parts ([`crate::domain::time::instant_parts`]).
mod instant_parts {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::Instant;
    use crate::domain::time::{instant_of_parts, instant_parts};

    pub fn serialize<S: Serializer>(at: &Instant, s: S) -> Result<S::Ok, S::Error> {
        instant_parts(at).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Instant, D::Error> {
        instant_of_parts(Deserialize::deserialize(d)?)
            .ok_or_else(|| serde::de::Error::custom("an instant out of range"))
    }
}

/// What the rules remember of one office.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct OfficeRules {
    appointments: remembered::Remembered,
    /// closure id → cancelled?
    closures: HashMap<ClosureId, bool>,
}

/// The batches a [`RuleBook::check_staged`] has let through so far: their changes to the book, and how many of
/// their events are new.
#[derive(Debug, Default)]
pub struct Staging {
    delta: HashMap<OfficeId, OfficeRules>,
    new: u64,
}

/// The state the rules need, folded from the accepted events in log order.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RuleBook {
    offices: HashMap<OfficeId, OfficeRules>,
    /// The position of the last event folded in; the next new event gets `head + 1`.
    head: u64,
}

/// A batch that passed the check: the outcome of each event and the changes it makes to the book.
#[derive(Debug)]
pub struct Checked {
    /// One outcome per event of the batch, in batch order.
    pub outcomes: Vec<Outcome>,
    delta: HashMap<OfficeId, OfficeRules>,
    head: u64,
}

impl Checked {
    /// How many events of the batch are new.
    pub fn appended(&self) -> usize {
        self.outcomes.iter().filter(|o| matches!(o, Outcome::New(_))).count()
    }

    /// How many events of the batch were already stored.
    pub fn duplicates(&self) -> usize {
        self.outcomes.len() - self.appended()
    }
}

/// True when two events are the same canonical event, offsets included (`Event`'s `==` compares instants only).
pub fn identical(a: &Event, b: &Event) -> bool {
    fn slots(e: &Event) -> &[Instant] {
        match &e.kind {
            EventKind::AppointmentBooked { slot, .. } | EventKind::AppointmentRescheduled { slot, .. } => {
                std::slice::from_ref(slot)
            }
            EventKind::CalendarObserved { free_slots, .. } => free_slots,
            _ => &[],
        }
    }
    let (sa, sb) = (slots(a), slots(b));
    a == b
        && a.at.offset() == b.at.offset()
        && sa.len() == sb.len()
        && sa.iter().zip(sb).all(|(x, y)| x.offset() == y.offset())
}

impl RuleBook {
    /// An empty book, for an empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// The position of the last event folded in (0 for none).
    pub fn head(&self) -> u64 {
        self.head
    }

    /// Folds one stored event in; `position` must be `head() + 1` (events come from the log in order).
    pub fn apply(&mut self, position: u64, event: &Event) {
        debug_assert_eq!(position, self.head + 1, "events are folded in log order");
        let mut delta = HashMap::new();
        let _ = View { base: self, delta: &mut delta }.judge(0, event);
        self.merge(delta);
        self.head = position;
    }

    /// Applies a checked batch; `checked` must come from `check` on this very book (or on one with the same head).
    pub fn commit(&mut self, checked: Checked) {
        debug_assert_eq!(checked.head, self.head, "a batch is committed onto the book it was checked against");
        self.head += checked.appended() as u64;
        self.merge(checked.delta);
    }

    fn merge(&mut self, delta: HashMap<OfficeId, OfficeRules>) {
        for (office, changes) in delta {
            let rules = self.offices.entry(office).or_default();
            rules.appointments.extend(changes.appointments);
            rules.closures.extend(changes.closures);
        }
    }

    /// Checks a batch against the book, the store's events (`known`) and the earlier events of the batch.
    ///
    /// The outer `Result` is the store's failure to answer; the inner one is the verdict: every event's outcome,
    /// or every violation.
    pub fn check<K: KnownEvents>(
        &self,
        known: &K,
        batch: &[Event],
    ) -> Result<Result<Checked, Vec<Violation>>, K::Error> {
        let mut delta = HashMap::new();
        Ok(self.check_onto(&mut delta, self.head, known, batch)?.map(|outcomes| Checked {
            outcomes,
            delta,
            head: self.head,
        }))
    }

    /// Checks a batch as if the batches `staging` has seen had been committed before it, and adds it to them;
    /// nothing is committed to the book. An import checks a stream of events too long to hold this way, batch by
    /// batch, before it appends any of it. Ids are checked against the store and within each batch, not across the
    /// staged batches: the caller makes sure that its stream holds each id once. After a violation the staging is
    /// spent (it holds part of the failed batch); start a new one.
    pub fn check_staged<K: KnownEvents>(
        &self,
        staging: &mut Staging,
        known: &K,
        batch: &[Event],
    ) -> Result<Result<Vec<Outcome>, Vec<Violation>>, K::Error> {
        let verdict = self.check_onto(&mut staging.delta, self.head + staging.new, known, batch)?;
        if let Ok(outcomes) = &verdict {
            staging.new += outcomes.iter().filter(|o| matches!(o, Outcome::New(_))).count() as u64;
        }
        Ok(verdict)
    }

    /// The check of `batch` on top of the book and `delta`, after `head` events: every outcome, or every violation.
    fn check_onto<K: KnownEvents>(
        &self,
        delta: &mut HashMap<OfficeId, OfficeRules>,
        head: u64,
        known: &K,
        batch: &[Event],
    ) -> Result<Result<Vec<Outcome>, Vec<Violation>>, K::Error> {
        let mut violations = Vec::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        // Ids of this batch that are new so far, with the position they will get and their index.
        let mut in_batch: HashMap<&EventId, (u64, usize)> = HashMap::new();
        let mut next = head + 1;
        let mut view = View { base: self, delta };
        for (index, event) in batch.iter().enumerate() {
            if let Some(&(position, earlier)) = in_batch.get(&event.id) {
                if identical(&batch[earlier], event) {
                    outcomes.push(Outcome::Duplicate(position));
                } else {
                    violations.push(conflicting_id(index, &event.id, format!("event {} of this batch", earlier)));
                }
                continue;
            }
            if let Some((position, stored)) = known.stored(&event.id)? {
                if identical(&stored, event) {
                    outcomes.push(Outcome::Duplicate(position));
                } else {
                    violations.push(conflicting_id(index, &event.id, format!("position {position}")));
                }
                continue;
            }
            violations.extend(view.judge(index, event));
            in_batch.insert(&event.id, (next, index));
            outcomes.push(Outcome::New(next));
            next += 1;
        }
        if violations.is_empty() { Ok(Ok(outcomes)) } else { Ok(Err(violations)) }
    }

    /// Checks a batch whose events may have failed to parse: wire errors (400) and rule violations come back in one
    /// list, ordered by index. Events that did not parse are left out of the rule check.
    pub fn check_parsed<K: KnownEvents>(
        &self,
        known: &K,
        items: Vec<Result<Event, Vec<WireError>>>,
    ) -> Result<Result<Checked, Vec<Violation>>, K::Error> {
        let mut wire = Vec::new();
        let mut events = Vec::with_capacity(items.len());
        let mut indices = Vec::with_capacity(items.len());
        for (index, item) in items.into_iter().enumerate() {
            match item {
                Ok(event) => {
                    events.push(event);
                    indices.push(index);
                }
                Err(errors) => wire.extend(errors.into_iter().map(|e| Violation::from_wire(index, e))),
            }
        }
        let verdict = self.check(known, &events)?;
        Ok(match (verdict, wire.is_empty()) {
            (Ok(checked), true) => Ok(checked),
            (verdict, _) => {
                let mut all = wire;
                if let Err(violations) = verdict {
                    all.extend(violations.into_iter().map(|v| Violation { index: indices[v.index], ..v }));
                }
                all.sort_by_key(|v| v.index);
                Err(all)
            }
        })
    }
}

fn conflicting_id(index: usize, id: &EventId, place: String) -> Violation {
    Violation::new(
        index,
        "event_id",
        Status::Conflict,
        format!("\"{id}\" is already stored at {place} with different content"),
    )
}

/// The book seen through the changes of the batch being checked.
struct View<'a> {
    base: &'a RuleBook,
    delta: &'a mut HashMap<OfficeId, OfficeRules>,
}

impl View<'_> {
    fn appointment(&self, office: &OfficeId, id: &AppointmentId) -> Option<Appointment> {
        let find = |offices: &HashMap<OfficeId, OfficeRules>| offices.get(office)?.appointments.get(id);
        find(&*self.delta).or_else(|| find(&self.base.offices))
    }

    fn closure_cancelled(&self, office: &OfficeId, id: &ClosureId) -> Option<bool> {
        let find = |offices: &HashMap<OfficeId, OfficeRules>| offices.get(office)?.closures.get(id).copied();
        find(&*self.delta).or_else(|| find(&self.base.offices))
    }

    fn changes(&mut self, office: &OfficeId) -> &mut OfficeRules {
        if !self.delta.contains_key(office) {
            self.delta.insert(office.clone(), OfficeRules::default());
        }
        self.delta.get_mut(office).expect("inserted above")
    }

    /// Judges one new event against the view and records its effect; returns its violations.
    fn judge(&mut self, index: usize, event: &Event) -> Vec<Violation> {
        let mut violations = Vec::new();
        match &event.kind {
            EventKind::AppointmentBooked { office, appointment, slot, .. } => {
                if *slot < event.at {
                    violations.push(slot_before_at(index, slot, &event.at));
                }
                if let Some(existing) = self.appointment(office, appointment) {
                    violations.push(Violation::new(
                        index,
                        "appointment_id",
                        Status::Conflict,
                        format!(
                            "appointment \"{appointment}\" is already booked at office \"{office}\" (now {})",
                            existing.stage.describe()
                        ),
                    ));
                } else {
                    let booked = Appointment { stage: Stage::Booked, booked_at: event.at };
                    self.changes(office).appointments.insert(appointment.clone(), booked);
                }
            }
            EventKind::AppointmentRescheduled { office, appointment, slot } => {
                if *slot < event.at {
                    violations.push(slot_before_at(index, slot, &event.at));
                }
                violations.extend(self.follow_up(index, event, office, appointment, Stage::Booked));
            }
            EventKind::AppointmentCancelled { office, appointment } => {
                violations.extend(self.follow_up(index, event, office, appointment, Stage::Cancelled));
            }
            EventKind::AppointmentAttended { office, appointment } => {
                violations.extend(self.follow_up(index, event, office, appointment, Stage::Attended));
            }
            EventKind::AppointmentMissed { office, appointment } => {
                violations.extend(self.follow_up(index, event, office, appointment, Stage::Missed));
            }
            EventKind::ClosureDeclared { office, closure, first_day, last_day, .. } => {
                let days = (*last_day - *first_day).num_days() + 1;
                if last_day < first_day {
                    violations.push(Violation::new(
                        index,
                        "last_day",
                        Status::Unprocessable,
                        format!("{last_day} is before first_day {first_day}"),
                    ));
                } else if days > MAX_CLOSURE_DAYS {
                    violations.push(Violation::new(
                        index,
                        "last_day",
                        Status::Unprocessable,
                        format!("the closure is {days} days long, at most {MAX_CLOSURE_DAYS} are allowed"),
                    ));
                }
                self.changes(office).closures.insert(closure.clone(), false);
            }
            EventKind::ClosureCancelled { office, closure } => match self.closure_cancelled(office, closure) {
                None => violations.push(Violation::new(
                    index,
                    "closure_id",
                    Status::Unprocessable,
                    format!("closure \"{closure}\" is not declared at office \"{office}\""),
                )),
                Some(true) => violations.push(Violation::new(
                    index,
                    "closure_id",
                    Status::Unprocessable,
                    format!("closure \"{closure}\" of office \"{office}\" is already cancelled"),
                )),
                Some(false) => {
                    self.changes(office).closures.insert(closure.clone(), true);
                }
            },
            EventKind::WalkInServed { .. }
            | EventKind::CapacityPlanned { .. }
            | EventKind::HolidayDeclared { .. }
            | EventKind::PolicyChanged { .. }
            | EventKind::OfficeDescribed { .. }
            | EventKind::ServiceDescribed { .. } => {}
            EventKind::CalendarObserved { free_slots, .. } => {
                // Strictly increasing, so the first slot is the earliest.
                if let Some((i, slot)) = free_slots.iter().enumerate().find(|(_, slot)| **slot <= event.at) {
                    violations.push(Violation::new(
                        index,
                        "free_slots",
                        Status::Unprocessable,
                        format!(
                            "entry {i} ({}) is not after the observation's at {}: a calendar offers only slots still to come",
                            crate::domain::wire::format_instant(slot),
                            crate::domain::wire::format_instant(&event.at)
                        ),
                    ));
                }
            }
        }
        violations
    }

    /// Rescheduled, cancelled, attended or missed: the appointment must be booked and still open, and the event may
    /// not precede the booking. `to` is the stage it moves to.
    fn follow_up(
        &mut self,
        index: usize,
        event: &Event,
        office: &OfficeId,
        id: &AppointmentId,
        to: Stage,
    ) -> Vec<Violation> {
        let mut violations = Vec::new();
        let Some(appointment) = self.appointment(office, id) else {
            violations.push(Violation::new(
                index,
                "appointment_id",
                Status::Unprocessable,
                format!("appointment \"{id}\" is not booked at office \"{office}\""),
            ));
            return violations;
        };
        if appointment.stage != Stage::Booked {
            violations.push(Violation::new(
                index,
                "appointment_id",
                Status::Unprocessable,
                format!("appointment \"{id}\" of office \"{office}\" is already {}", appointment.stage.describe()),
            ));
        }
        if event.at < appointment.booked_at {
            violations.push(Violation::new(
                index,
                "at",
                Status::Unprocessable,
                format!(
                    "{} is before the booking of appointment \"{id}\" at {}",
                    crate::domain::wire::format_instant(&event.at),
                    crate::domain::wire::format_instant(&appointment.booked_at)
                ),
            ));
        }
        if violations.is_empty() && to != Stage::Booked {
            self.changes(office).appointments.insert(id.clone(), Appointment { stage: to, ..appointment });
        }
        violations
    }
}

fn slot_before_at(index: usize, slot: &Instant, at: &Instant) -> Violation {
    use crate::domain::wire::format_instant;
    Violation::new(
        index,
        "slot",
        Status::Unprocessable,
        format!("{} is before the event's at {}", format_instant(slot), format_instant(at)),
    )
}
