//! Lost capacity by cause: docs/events.md's `lost_slots`.
//!
//! The lost slots of a closure or holiday over a period are the slots the plan in force would have given on its
//! days inside the period. Each lost day is attributed to exactly one period, so that the parts add up to the whole:
//! a holiday wins over a closure (docs/events.md), two holidays on one day go to the one declared first, and two
//! overlapping closures to the one declared first (it had already shut the day). Everything is as known at the end
//! of the period.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;

use crate::domain::event::ClosureCause;
use crate::domain::id::ClosureId;
use crate::domain::time::{date_of_day_number, day_number};
use crate::projection::calendar::{CalendarChange, ClosureState, Key};
use crate::projection::office::{OfficeProjection, PeriodKind};

/// A cause of lost capacity: a closure's cause, or a holiday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LossCause {
    Lockdown,
    SystemMigration,
    StaffShortage,
    Other,
    Holiday,
}

impl LossCause {
    /// The name used in JSON, metrics and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            LossCause::Lockdown => "lockdown",
            LossCause::SystemMigration => "system_migration",
            LossCause::StaffShortage => "staff_shortage",
            LossCause::Other => "other",
            LossCause::Holiday => "holiday",
        }
    }

    fn of(kind: PeriodKind) -> Self {
        match kind {
            PeriodKind::Holiday => LossCause::Holiday,
            PeriodKind::Closure(ClosureCause::Lockdown) => LossCause::Lockdown,
            PeriodKind::Closure(ClosureCause::SystemMigration) => LossCause::SystemMigration,
            PeriodKind::Closure(ClosureCause::StaffShortage) => LossCause::StaffShortage,
            PeriodKind::Closure(ClosureCause::Other) => LossCause::Other,
        }
    }
}

/// Lost capacity of one cause or one named period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Loss {
    /// Slots the plan would have given on the lost days inside the period.
    pub lost_slots: u64,
    /// Lost days on which the plan had slots.
    pub days: u32,
    /// `lost_slots` in working days of normal capacity (÷ `normal_daily_slots`).
    pub working_days: f64,
    /// `lost_slots` ÷ the period's planned slots.
    pub share_of_planned: f64,
}

/// The loss of one named closure or holiday.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct PeriodLoss {
    pub cause: LossCause,
    /// The closure id, or the holiday's name.
    pub id: String,
    /// The closure's reason, or the holiday's name.
    pub label: String,
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    #[serde(flatten)]
    pub loss: Loss,
}

/// Lost slots of an office over a period, per cause and per named period.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Attribution {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Slots the plans in force would have given over the period, before closures and holidays.
    pub planned_slots: u64,
    /// Slots lost to closures and holidays; the sum of `by_cause` and of `by_period`.
    pub lost_slots: u64,
    /// The mean planned slots of a day with a plan of more than zero slots: what "a working day" means here.
    pub normal_daily_slots: f64,
    /// `lost_slots` ÷ `planned_slots`.
    pub share_of_planned: f64,
    /// Per cause, largest loss first.
    pub by_cause: Vec<(LossCause, Loss)>,
    /// Per named closure or holiday, in date order.
    pub by_period: Vec<PeriodLoss>,
}

/// One closure or holiday as the attribution sees it: its days and the order it was declared in.
struct Candidate {
    kind: PeriodKind,
    id: String,
    label: String,
    first_day: i32,
    last_day: i32,
    declared: Key,
}

pub(crate) fn attribute(office: &OfficeProjection, from: NaiveDate, to: NaiveDate) -> Attribution {
    let (first, last) = (day_number(from), day_number(to));
    let calendar = office.calendar_as_of(last);
    let candidates = candidates(office, last);

    let mut planned_slots = 0u64;
    let mut working_days = 0u32;
    let mut lost: Vec<(u64, u32)> = vec![(0, 0); candidates.len()];
    for day in first..=last {
        let planned = u64::from(calendar.planned(day));
        if planned == 0 {
            continue;
        }
        planned_slots += planned;
        working_days += 1;
        let holiday = candidates.iter().position(|c| c.kind == PeriodKind::Holiday && c.first_day == day);
        let closure = || {
            candidates.iter().position(|c| c.kind != PeriodKind::Holiday && (c.first_day..=c.last_day).contains(&day))
        };
        if let Some(i) = holiday.or_else(closure) {
            lost[i].0 += planned;
            lost[i].1 += 1;
        }
    }
    let normal_daily_slots = if working_days == 0 { 0.0 } else { planned_slots as f64 / f64::from(working_days) };
    let loss = |lost_slots: u64, days: u32| Loss {
        lost_slots,
        days,
        working_days: if normal_daily_slots > 0.0 { lost_slots as f64 / normal_daily_slots } else { 0.0 },
        share_of_planned: if planned_slots > 0 { lost_slots as f64 / planned_slots as f64 } else { 0.0 },
    };

    let mut by_cause: BTreeMap<LossCause, (u64, u32)> = BTreeMap::new();
    let mut by_period = Vec::new();
    for (c, (slots, days)) in candidates.iter().zip(&lost) {
        if *days == 0 {
            continue;
        }
        let cause = LossCause::of(c.kind);
        let entry = by_cause.entry(cause).or_default();
        entry.0 += slots;
        entry.1 += days;
        by_period.push(PeriodLoss {
            cause,
            id: c.id.clone(),
            label: c.label.clone(),
            first_day: date_of_day_number(c.first_day),
            last_day: date_of_day_number(c.last_day),
            loss: loss(*slots, *days),
        });
    }
    by_period.sort_by(|a, b| (a.first_day, &a.id).cmp(&(b.first_day, &b.id)));
    let mut by_cause: Vec<(LossCause, Loss)> = by_cause.into_iter().map(|(c, (s, d))| (c, loss(s, d))).collect();
    by_cause.sort_by(|a, b| b.1.lost_slots.cmp(&a.1.lost_slots).then(a.0.cmp(&b.0)));
    let lost_slots = lost.iter().map(|(s, _)| s).sum();
    Attribution {
        from,
        to,
        planned_slots,
        lost_slots,
        normal_daily_slots,
        share_of_planned: if planned_slots > 0 { lost_slots as f64 / planned_slots as f64 } else { 0.0 },
        by_cause,
        by_period,
    }
}

/// The closures and holidays in force as of `day`, in the order they were first declared.
fn candidates(office: &OfficeProjection, day: i32) -> Vec<Candidate> {
    let calendar = office.calendar_as_of(day);
    let mut first_declared: HashMap<&ClosureId, (Key, &str)> = HashMap::new();
    let mut out = Vec::new();
    for (key, _, change) in office.calendar_changes_as_of(day) {
        match change {
            CalendarChange::Holiday { day, name, .. } => out.push(Candidate {
                kind: PeriodKind::Holiday,
                id: name.clone(),
                label: name.clone(),
                first_day: *day,
                last_day: *day,
                declared: key,
            }),
            CalendarChange::ClosureDeclared { closure, reason, .. } => {
                let entry = first_declared.entry(closure).or_insert((key, reason));
                entry.1 = reason;
            }
            _ => {}
        }
    }
    for (closure, state) in calendar.closures() {
        if let (ClosureState::Declared { first_day, last_day, cause }, Some((declared, reason))) =
            (state, first_declared.get(closure))
        {
            out.push(Candidate {
                kind: PeriodKind::Closure(cause),
                id: closure.to_string(),
                label: (*reason).to_owned(),
                first_day,
                last_day,
                declared: *declared,
            });
        }
    }
    out.sort_by_key(|c| c.declared);
    out
}
