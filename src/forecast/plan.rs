//! What-if plans: decisions not (yet) taken, laid over the plans known at the as-of day, so that a head of office can
//! weigh them before taking them.
//!
//! A [`Plan`] is a name and a list of [`Change`]s, applied in order to what the forecast knows at D:
//!
//! - [`Change::Slots`]: slots added to (or, negative, taken from) every day the office is open as planned at D, per
//!   weekday, from a date (until a date). Days closed as planned (weekends, holidays, closures) stay closed; a day
//!   brought down to 0 slots is closed, and its appointments are moved as a closure's are.
//! - [`Change::Saturdays`]: the office opens on Saturdays with this many slots.
//! - [`Change::Closure`]: the office is closed from one day to another; its booked appointments are moved to the
//!   first free slots, as the forecast does with the closures known at D.
//! - [`Change::WithoutAppointment`]: a service needs no appointment from a date: its demand leaves the calendar
//!   through the same mechanism as a `policy_changed` known at D ([`crate::forecast::ServiceInputs`]).
//! - [`Change::Demand`]: the bookings made from a date (until a date) are a share higher or lower (`0.1`: a tenth
//!   more; `-0.2`: a fifth fewer), rounded at random so that the mean moves by exactly that share.
//!
//! A change before the first simulated day (D + 1) takes effect from D + 1; a change beyond the horizon changes
//! nothing. An empty plan changes nothing: its forecast is the baseline's, bit for bit.
//!
//! The comparison ([`crate::forecast::whatif::compare`]) makes the baseline's forecast and each plan's with the same seed: the runs draw the
//! same demand and the same cancellations day by day (common random numbers), so that the difference between two
//! plans is the plans' and not the dice's. [`crate::forecast::whatif::needed`] searches the smallest number of extra slots per open day that
//! brings the wait to the target by a date with a chosen probability.

pub mod file;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Serialize;

use crate::domain::id::ServiceId;
use crate::projection::PolicyChange;

/// The most plans one comparison takes.
pub const MAX_PLANS: usize = 8;
/// The most changes one plan holds.
pub const MAX_CHANGES: usize = 32;
/// The most slots a change adds to or takes from a day.
pub const MAX_SLOTS: u32 = 2_000;
/// The largest share a demand change may ask for (ten times the demand); the smallest is −1 (nobody books).
pub const MAX_DEMAND_SHARE: f64 = 10.0;

/// A named set of decisions, weighed against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Plan {
    /// How people call it ("Zwei Termine mehr pro Stunde ab 13. Juli").
    pub name: String,
    /// The day the decision is taken, where known: the back-test lays the plan over the forecasts made before it
    /// (from then on the log knows it).
    pub decided: Option<NaiveDate>,
    pub changes: Vec<Change>,
}

/// One decision of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Slots added to every open day (negative: taken away), per weekday (Monday first), from `from` to `until`.
    Slots {
        from: NaiveDate,
        until: Option<NaiveDate>,
        #[schema(value_type = Vec<i32>)]
        per_weekday: [i32; 7],
    },
    /// The office opens on Saturdays with `slots` slots, from `from` to `until`.
    Saturdays { from: NaiveDate, until: Option<NaiveDate>, slots: u32 },
    /// The office is closed from `first` to `last` (inclusive).
    Closure { first: NaiveDate, last: NaiveDate },
    /// `service` needs no appointment from `from` on: its bookings stop the day before.
    WithoutAppointment {
        #[schema(value_type = String)]
        service: ServiceId,
        from: NaiveDate,
    },
    /// The bookings made from `from` to `until` are `share` higher (negative: lower); 0.1 is a tenth more.
    Demand { from: NaiveDate, until: Option<NaiveDate>, share: f64 },
}

/// A plan that cannot be used: the field at fault (`changes[1].share`) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct PlanError {
    pub field: String,
    pub reason: String,
}

impl PlanError {
    pub(crate) fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        PlanError { field: field.into(), reason: reason.into() }
    }

    /// The same error inside `outer` (`plans[2]`).
    pub fn within(self, outer: &str) -> Self {
        PlanError { field: format!("{outer}.{}", self.field), reason: self.reason }
    }
}

impl Plan {
    /// The plan without changes: the baseline.
    pub fn baseline() -> Self {
        Plan { name: "Basis".into(), decided: None, changes: Vec::new() }
    }

    /// Checks what the types cannot say: a name, ranges in order, numbers within bounds.
    pub fn check(&self) -> Result<(), PlanError> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(PlanError::new("name", "a plan needs a name of 1 to 80 printable characters"));
        }
        if self.changes.len() > MAX_CHANGES {
            return Err(PlanError::new("changes", format!("at most {MAX_CHANGES} changes per plan")));
        }
        for (i, change) in self.changes.iter().enumerate() {
            change.check().map_err(|e| e.within(&format!("changes[{i}]")))?;
        }
        Ok(())
    }
}

impl Change {
    fn check(&self) -> Result<(), PlanError> {
        let ordered = |from: NaiveDate, until: Option<NaiveDate>, field: &str| match until {
            Some(until) if until < from => {
                Err(PlanError::new(field, format!("{until} lies before the first day {from}")))
            }
            _ => Ok(()),
        };
        match self {
            Change::Slots { from, until, per_weekday } => {
                ordered(*from, *until, "until")?;
                if let Some(w) = per_weekday.iter().position(|n| n.unsigned_abs() > MAX_SLOTS) {
                    let reason = format!("{} slots is more than the {MAX_SLOTS} a day can change by", per_weekday[w]);
                    return Err(PlanError::new(format!("per_weekday[{w}]"), reason));
                }
                Ok(())
            }
            Change::Saturdays { from, until, slots } => {
                ordered(*from, *until, "until")?;
                if *slots == 0 || *slots > MAX_SLOTS {
                    return Err(PlanError::new(
                        "slots",
                        format!("{slots}: a Saturday opens with 1 to {MAX_SLOTS} slots"),
                    ));
                }
                Ok(())
            }
            Change::Closure { first, last } => ordered(*first, Some(*last), "last"),
            Change::WithoutAppointment { .. } => Ok(()),
            Change::Demand { from, until, share } => {
                ordered(*from, *until, "until")?;
                if !share.is_finite() || *share < -1.0 || *share > MAX_DEMAND_SHARE {
                    let reason = format!("{share} is not a share in -1 … {MAX_DEMAND_SHARE} (0.1: a tenth more)");
                    return Err(PlanError::new("share", reason));
                }
                Ok(())
            }
        }
    }
}

/// What a plan changes in a forecast's inputs: the capacity of the days after D, policies added to those known at D,
/// and a factor on each simulated day's bookings (empty: none).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Applied {
    pub(crate) capacity: Vec<u32>,
    pub(crate) policies: Vec<PolicyChange>,
    pub(crate) demand_factor: Vec<f64>,
}

impl Plan {
    /// Lays the plan over `capacity` (the days after `as_of`, index 0 = D + 1); `horizon` simulated days.
    pub(crate) fn apply(&self, as_of: NaiveDate, capacity: &[u32], horizon: usize) -> Applied {
        let mut applied = Applied { capacity: capacity.to_vec(), policies: Vec::new(), demand_factor: Vec::new() };
        let day = |j: usize| as_of.checked_add_days(Days::new(j as u64 + 1)).unwrap_or(NaiveDate::MAX);
        let within =
            |d: NaiveDate, from: NaiveDate, until: Option<NaiveDate>| from <= d && until.is_none_or(|u| d <= u);
        for change in &self.changes {
            match change {
                Change::Slots { from, until, per_weekday } => {
                    for (j, cap) in applied.capacity.iter_mut().enumerate() {
                        let d = day(j);
                        if *cap > 0 && within(d, *from, *until) {
                            let delta = per_weekday[d.weekday().num_days_from_monday() as usize];
                            *cap = (*cap as i64 + delta as i64).max(0) as u32;
                        }
                    }
                }
                Change::Saturdays { from, until, slots } => {
                    for (j, cap) in applied.capacity.iter_mut().enumerate() {
                        let d = day(j);
                        if d.weekday() == Weekday::Sat && within(d, *from, *until) {
                            *cap = (*cap).max(*slots);
                        }
                    }
                }
                Change::Closure { first, last } => {
                    for (j, cap) in applied.capacity.iter_mut().enumerate() {
                        if within(day(j), *first, Some(*last)) {
                            *cap = 0;
                        }
                    }
                }
                Change::WithoutAppointment { service, from } => applied.policies.push(PolicyChange {
                    service: service.clone(),
                    effective_from: *from,
                    appointment_required: false,
                }),
                Change::Demand { from, until, share } => {
                    if applied.demand_factor.is_empty() {
                        applied.demand_factor = vec![1.0; horizon];
                    }
                    for (c, factor) in applied.demand_factor.iter_mut().enumerate() {
                        if within(day(c), *from, *until) {
                            *factor *= 1.0 + share;
                        }
                    }
                }
            }
        }
        applied
    }
}

/// A plan of `slots` extra slots on every open day from `from` on: a candidate of
/// [`crate::forecast::whatif::needed`].
pub fn extra_slots(from: NaiveDate, slots: u32) -> Change {
    Change::Slots { from, until: None, per_weekday: [slots.min(MAX_SLOTS) as i32; 7] }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn changes_apply_to_the_days_they_name_and_open_days_only() {
        // Friday 2020-06-05: the days after it are Sat 6, Sun 7, Mon 8 … Sun 14.
        let as_of = date("2020-06-05");
        let capacity = [0, 0, 10, 10, 10, 10, 10, 0, 0];
        let plan = Plan {
            name: "x".into(),
            decided: None,
            changes: vec![
                Change::Slots { from: date("2020-06-09"), until: None, per_weekday: [1, 2, 3, 4, -20, 6, 7] },
                Change::Saturdays { from: date("2020-06-01"), until: Some(date("2020-06-13")), slots: 5 },
                Change::Closure { first: date("2020-06-11"), last: date("2020-06-11") },
                Change::Demand { from: date("2020-06-08"), until: Some(date("2020-06-08")), share: 0.5 },
            ],
        };
        let applied = plan.apply(as_of, &capacity, 4);
        assert_eq!(applied.capacity, [5, 0, 10, 12, 13, 0, 0, 5, 0]);
        assert_eq!(applied.demand_factor, [1.0, 1.0, 1.5, 1.0]);
        assert_eq!(Plan::baseline().apply(as_of, &capacity, 4).capacity, capacity);
    }

    #[test]
    fn bad_changes_are_named() {
        let check = |change: Change, expect: &str| {
            let plan = Plan { name: "p".into(), decided: None, changes: vec![change] };
            assert_eq!(plan.check().unwrap_err().to_string(), expect);
        };
        check(
            Change::Demand { from: date("2020-07-01"), until: None, share: -1.5 },
            "changes[0].share: -1.5 is not a share in -1 … 10 (0.1: a tenth more)",
        );
        check(
            Change::Closure { first: date("2020-07-10"), last: date("2020-07-01") },
            "changes[0].last: 2020-07-01 lies before the first day 2020-07-10",
        );
        check(
            Change::Slots { from: date("2020-07-01"), until: None, per_weekday: [0, 0, 3000, 0, 0, 0, 0] },
            "changes[0].per_weekday[2]: 3000 slots is more than the 2000 a day can change by",
        );
        let unnamed = Plan { name: " ".into(), ..Plan::baseline() };
        assert_eq!(unnamed.check().unwrap_err().field, "name");
    }
}
