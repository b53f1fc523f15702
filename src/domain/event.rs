//! The events of docs/events.md as one past-tense enum whose variants carry all their data.
//!
//! An [`Event`] is what a client said happened; the log wraps it in an envelope with its position, digest and
//! `recorded_at`, which never replace the event's own business time `at`.

use chrono::{DateTime, FixedOffset, NaiveDate};

use crate::domain::id::{AppointmentId, ClosureId, EventId, OfficeId, ServiceId, SourceId};

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

/// The longest `name` of a holiday, office or service, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// The most free slots one `calendar_observed` may list.
pub const MAX_OBSERVED_SLOTS: usize = 20_000;

/// One of the 16 German states (Länder), named on the wire by its usual two-letter code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    BadenWuerttemberg,
    Bayern,
    Berlin,
    Brandenburg,
    Bremen,
    Hamburg,
    Hessen,
    MecklenburgVorpommern,
    Niedersachsen,
    NordrheinWestfalen,
    RheinlandPfalz,
    Saarland,
    Sachsen,
    SachsenAnhalt,
    SchleswigHolstein,
    Thueringen,
}

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
    /// The office's display name; changes no figure.
    OfficeDescribed {
        office: OfficeId,
        name: String,
        state: Option<State>,
    },
    /// A service's display name, at one office or (`None`) at every office; changes no figure.
    ServiceDescribed {
        service: ServiceId,
        name: String,
        office: Option<OfficeId>,
    },
    /// What the public online calendar showed at `at`: exactly these free slots, strictly increasing, for one
    /// service or (`None`) the office's whole calendar. Feeds the observed figures only.
    CalendarObserved {
        office: OfficeId,
        service: Option<ServiceId>,
        source: SourceId,
        free_slots: Vec<Instant>,
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
            EventKind::OfficeDescribed { .. } => "office_described",
            EventKind::ServiceDescribed { .. } => "service_described",
            EventKind::CalendarObserved { .. } => "calendar_observed",
        }
    }

    /// Whether the event names something (an office or a service) rather than changing a figure.
    pub fn is_description(&self) -> bool {
        matches!(self, EventKind::OfficeDescribed { .. } | EventKind::ServiceDescribed { .. })
    }

    /// The office the event belongs to; `None` for a holiday of every office and a service's general name.
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
            | EventKind::PolicyChanged { office, .. }
            | EventKind::OfficeDescribed { office, .. }
            | EventKind::CalendarObserved { office, .. } => Some(office),
            EventKind::HolidayDeclared { office, .. } | EventKind::ServiceDescribed { office, .. } => office.as_ref(),
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

impl State {
    /// All states, in the order of their codes' usual listing.
    pub const ALL: [State; 16] = [
        State::BadenWuerttemberg,
        State::Bayern,
        State::Berlin,
        State::Brandenburg,
        State::Bremen,
        State::Hamburg,
        State::Hessen,
        State::MecklenburgVorpommern,
        State::Niedersachsen,
        State::NordrheinWestfalen,
        State::RheinlandPfalz,
        State::Saarland,
        State::Sachsen,
        State::SachsenAnhalt,
        State::SchleswigHolstein,
        State::Thueringen,
    ];

    /// The two-letter code, lower-case (`rp` for Rhineland-Palatinate), as the wire writes it.
    pub fn code(self) -> &'static str {
        match self {
            State::BadenWuerttemberg => "bw",
            State::Bayern => "by",
            State::Berlin => "be",
            State::Brandenburg => "bb",
            State::Bremen => "hb",
            State::Hamburg => "hh",
            State::Hessen => "he",
            State::MecklenburgVorpommern => "mv",
            State::Niedersachsen => "ni",
            State::NordrheinWestfalen => "nw",
            State::RheinlandPfalz => "rp",
            State::Saarland => "sl",
            State::Sachsen => "sn",
            State::SachsenAnhalt => "st",
            State::SchleswigHolstein => "sh",
            State::Thueringen => "th",
        }
    }

    /// Parses a wire code exactly (lower-case).
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// The codes of all states, comma-separated, for messages.
    pub fn codes() -> String {
        State::ALL.map(State::code).join(", ")
    }
}

impl serde::Serialize for State {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

// On the wire a state is its code; the schema lists them. (A description only: utoipa merely reads the type.)
impl utoipa::PartialSchema for State {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(State::ALL.map(State::code)))
            .into()
    }
}

impl utoipa::ToSchema for State {}

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

// Read back as written (projection checkpoints): a cause or a state by its wire code.
impl<'de> serde::Deserialize<'de> for ClosureCause {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <String as serde::Deserialize>::deserialize(d)?;
        ClosureCause::parse(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown closure cause {code:?}")))
    }
}

impl<'de> serde::Deserialize<'de> for State {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <String as serde::Deserialize>::deserialize(d)?;
        State::parse(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown state {code:?}")))
    }
}
