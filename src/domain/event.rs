//! The events of docs/events.md as one past-tense enum whose variants carry all their data.
//!
//! An [`Event`] is what a client said happened; the log wraps it in an envelope with its position, digest and
//! `recorded_at`, which never replace the event's own business time `at`.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::domain::id::{AppointmentId, ClosureId, EventId, OfficeId, ServiceId};

/// A business instant with the offset the client sent, kept so that an export reproduces the input.
pub type Instant = DateTime<FixedOffset>;

/// One event: its id, its business time and what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique in the log; a resend with the same id and content is a duplicate, not a second event.
    pub id: EventId,
    /// When it happened or was decided, in business time.
    pub at: Instant,
    /// What happened.
    pub kind: EventKind,
}

/// How a booking was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Channel {
    Online,
    Phone,
    Counter,
}

/// Why an office is shut; lost capacity is attributed per cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ClosureCause {
    Lockdown,
    SystemMigration,
    StaffShortage,
    Other,
}

/// Bookable slots per weekday, Monday first; every entry is in `0..=MAX_SLOTS_PER_DAY`.
pub type WeeklySlots = [u16; 7];

/// The most slots a plan may give one weekday (docs/events.md: 0..=10000).
pub const MAX_SLOTS_PER_DAY: u16 = 10_000;

/// The longest closure, in days, first and last day included.
pub const MAX_CLOSURE_DAYS: i64 = 366;

/// The longest `reason` of a closure, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// The longest `name` of a holiday, in characters (docs/events.md is silent; a name is a short label).
pub const MAX_HOLIDAY_NAME_CHARS: usize = 200;

/// What happened, with all its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    AppointmentBooked {
        office: OfficeId,
        appointment: AppointmentId,
        service: ServiceId,
        channel: Channel,
        slot: Instant,
    },
    AppointmentRescheduled {
        office: OfficeId,
        appointment: AppointmentId,
        slot: Instant,
    },
    AppointmentCancelled {
        office: OfficeId,
        appointment: AppointmentId,
    },
    AppointmentAttended {
        office: OfficeId,
        appointment: AppointmentId,
    },
    AppointmentMissed {
        office: OfficeId,
        appointment: AppointmentId,
    },
    WalkInServed {
        office: OfficeId,
        service: ServiceId,
    },
    CapacityPlanned {
        office: OfficeId,
        effective_from: NaiveDate,
        slots_per_weekday: WeeklySlots,
    },
    ClosureDeclared {
        office: OfficeId,
        closure: ClosureId,
        first_day: NaiveDate,
        last_day: NaiveDate,
        cause: ClosureCause,
        reason: String,
    },
    ClosureCancelled {
        office: OfficeId,
        closure: ClosureId,
    },
    HolidayDeclared {
        date: NaiveDate,
        name: String,
        /// `None`: a holiday of every office.
        office: Option<OfficeId>,
    },
    PolicyChanged {
        office: OfficeId,
        service: ServiceId,
        effective_from: NaiveDate,
        appointment_required: bool,
    },
}

impl EventKind {
    /// The `type` of the event on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::AppointmentBooked { .. } => "appointment_booked",
            EventKind::AppointmentRescheduled { .. } => "appointment_rescheduled",
            EventKind::AppointmentCancelled { .. } => "appointment_cancelled",
            EventKind::AppointmentAttended { .. } => "appointment_attended",
            EventKind::AppointmentMissed { .. } => "appointment_missed",
            EventKind::WalkInServed { .. } => "walk_in_served",
            EventKind::CapacityPlanned { .. } => "capacity_planned",
            EventKind::ClosureDeclared { .. } => "closure_declared",
            EventKind::ClosureCancelled { .. } => "closure_cancelled",
            EventKind::HolidayDeclared { .. } => "holiday_declared",
            EventKind::PolicyChanged { .. } => "policy_changed",
        }
    }

    /// The office the event belongs to; `None` only for a holiday of every office.
    pub fn office(&self) -> Option<&OfficeId> {
        match self {
            EventKind::AppointmentBooked { office, .. }
            | EventKind::AppointmentRescheduled { office, .. }
            | EventKind::AppointmentCancelled { office, .. }
            | EventKind::AppointmentAttended { office, .. }
            | EventKind::AppointmentMissed { office, .. }
            | EventKind::WalkInServed { office, .. }
            | EventKind::CapacityPlanned { office, .. }
            | EventKind::ClosureDeclared { office, .. }
            | EventKind::ClosureCancelled { office, .. }
            | EventKind::PolicyChanged { office, .. } => Some(office),
            EventKind::HolidayDeclared { office, .. } => office.as_ref(),
        }
    }
}

impl Channel {
    /// All channels, in wire order.
    pub const ALL: [Channel; 3] = [Channel::Online, Channel::Phone, Channel::Counter];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Online => "online",
            Channel::Phone => "phone",
            Channel::Counter => "counter",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl ClosureCause {
    /// All causes, in wire order.
    pub const ALL: [ClosureCause; 4] =
        [ClosureCause::Lockdown, ClosureCause::SystemMigration, ClosureCause::StaffShortage, ClosureCause::Other];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ClosureCause::Lockdown => "lockdown",
            ClosureCause::SystemMigration => "system_migration",
            ClosureCause::StaffShortage => "staff_shortage",
            ClosureCause::Other => "other",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl serde::Serialize for Channel {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl serde::Serialize for ClosureCause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
