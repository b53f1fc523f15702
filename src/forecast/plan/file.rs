//! Plans as people write them: a TOML plan file, and a one-line form for the command line and URLs.
//!
//! The plan file holds one `[[plan]]` table per plan, each with its `[[plan.change]]` tables (see the README):
//!
//! ```toml
//! [[plan]]
//! name = "Zwei Termine mehr pro Stunde"
//! decided = 2020-07-01            # optional: the day the decision is taken (for the back-test)
//!
//! [[plan.change]]
//! kind = "slots"                  # slots, saturdays, closure, without_appointment, demand
//! from = 2020-07-13
//! per_weekday = [16, 16, 16, 18, 8, 0, 0]   # or per_open_day = 2
//! ```
//!
//! The one-line form is `NAME: CHANGE; CHANGE …`, each change a kind, its value and its days:
//! `slots 2 from 2020-07-13`, `slots 16,16,16,18,8,0,0 from 2020-07-13 until 2020-09-30`,
//! `saturdays 40 from 2020-07-18`, `closure from 2020-08-03 until 2020-08-07`,
//! `without-appointment ausweis-abholung from 2020-06-29`, `demand +10% from 2020-07-01`.
//!
//! Both are parsed here, without IO: a file's text in, plans or the line, key and reason of the first mistake out
//! (the edge adds the file's name). Dates may be TOML dates or strings `YYYY-MM-DD`.

use std::ops::Range;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use crate::domain::id::ServiceId;
use crate::forecast::plan::{Change, Plan, PlanError};

/// A mistake in a plan file: where, which key, why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, {key}: {reason}")]
pub struct FileError {
    pub line: usize,
    /// The key as a path into the file (`plan[1].change[0].share`); the table's own path for a table.
    pub key: String,
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWire {
    #[serde(default)]
    plan: Vec<Spanned<PlanWire>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PlanWire {
    name: Option<Spanned<String>>,
    decided: Option<Spanned<toml::Value>>,
    #[serde(default)]
    change: Vec<Spanned<ChangeWire>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeWire {
    kind: Option<Spanned<String>>,
    from: Option<Spanned<toml::Value>>,
    until: Option<Spanned<toml::Value>>,
    per_weekday: Option<Spanned<Vec<i64>>>,
    per_open_day: Option<Spanned<i64>>,
    slots: Option<Spanned<i64>>,
    service: Option<Spanned<String>>,
    share: Option<Spanned<f64>>,
}

/// Where the text stands, to turn spans into lines.
struct Text<'a>(&'a str);

impl Text<'_> {
    fn line(&self, span: Range<usize>) -> usize {
        self.0[..span.start.min(self.0.len())].matches('\n').count() + 1
    }

    fn error(&self, span: Range<usize>, key: impl Into<String>, reason: impl Into<String>) -> FileError {
        FileError { line: self.line(span), key: key.into(), reason: reason.into() }
    }
}

/// Parses a plan file's text into checked plans.
pub fn parse_file(text: &str) -> Result<Vec<Plan>, FileError> {
    let t = Text(text);
    let wire: FileWire = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |span| t.line(span));
        // The key is the one written on that line, where there is one (toml's message names an unknown one too).
        let written = text.lines().nth(line - 1).and_then(|l| l.split_once('=')).map(|(k, _)| k.trim());
        let key = written.filter(|k| !k.is_empty() && !k.starts_with('[')).unwrap_or("plan file");
        FileError { line, key: key.to_string(), reason: e.message().trim().to_string() }
    })?;
    let mut plans = Vec::with_capacity(wire.plan.len());
    for (i, spanned) in wire.plan.iter().enumerate() {
        let at = format!("plan[{i}]");
        let plan = spanned.get_ref();
        let name = plan.name.as_ref().ok_or_else(|| t.error(spanned.span(), &at, "a plan needs a name"))?;
        let decided = plan.decided.as_ref().map(|d| date(&t, d, &format!("{at}.decided"))).transpose()?;
        let mut changes = Vec::with_capacity(plan.change.len());
        for (j, change) in plan.change.iter().enumerate() {
            changes.push(parse_change(&t, change, &format!("{at}.change[{j}]"))?);
        }
        let parsed = Plan { name: name.get_ref().trim().to_string(), decided, changes };
        if let Err(PlanError { field, reason }) = parsed.check() {
            return Err(locate(&t, plan, spanned.span(), &at, &field, reason));
        }
        if plans.iter().any(|p: &Plan| p.name == parsed.name) {
            return Err(t.error(name.span(), format!("{at}.name"), format!("{:?} names two plans", parsed.name)));
        }
        plans.push(parsed);
    }
    crate::forecast::whatif::check_plans(&plans).map_err(|e| FileError { line: 1, key: e.field, reason: e.reason })?;
    Ok(plans)
}

/// The line and key of a [`PlanError`] found by [`Plan::check`] (`changes[1].share`), in the file's words.
fn locate(t: &Text, plan: &PlanWire, span: Range<usize>, at: &str, field: &str, reason: String) -> FileError {
    let Some(rest) = field.strip_prefix("changes[") else {
        let span = if field == "name" { plan.name.as_ref().map_or(span, |n| n.span()) } else { span };
        return t.error(span, format!("{at}.{field}"), reason);
    };
    let (index, key) = rest.split_once("].").unwrap_or((rest.trim_end_matches(']'), ""));
    let j: usize = index.parse().unwrap_or(0);
    let Some(change) = plan.change.get(j) else { return t.error(span, format!("{at}.change"), reason) };
    let c = change.get_ref();
    let base = key.split('[').next().unwrap_or(key);
    let span = match base {
        "until" | "last" => c.until.as_ref().map(|v| v.span()),
        "from" | "first" => c.from.as_ref().map(|v| v.span()),
        "per_weekday" => c.per_weekday.as_ref().map(|v| v.span()).or(c.per_open_day.as_ref().map(|v| v.span())),
        "slots" => c.slots.as_ref().map(|v| v.span()),
        "share" => c.share.as_ref().map(|v| v.span()),
        _ => None,
    }
    .unwrap_or(change.span());
    let key = match key {
        "last" => "until".to_string(),
        "first" => "from".to_string(),
        k => k.to_string(),
    };
    t.error(span, format!("{at}.change[{j}].{key}"), reason)
}

fn date(t: &Text, value: &Spanned<toml::Value>, key: &str) -> Result<NaiveDate, FileError> {
    let text = match value.get_ref() {
        toml::Value::Datetime(d) if d.time.is_none() && d.offset.is_none() => d.to_string(),
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    crate::domain::wire::date(&text)
        .map_err(|_| t.error(value.span(), key, format!("{text} is not a date YYYY-MM-DD in 1970 … 2199")))
}

fn parse_change(t: &Text, spanned: &Spanned<ChangeWire>, at: &str) -> Result<Change, FileError> {
    let c = spanned.get_ref();
    let key = |k: &str| format!("{at}.{k}");
    let kind = c.kind.as_ref().ok_or_else(|| {
        t.error(
            spanned.span(),
            key("kind"),
            "a change needs a kind: slots, saturdays, closure, without_appointment, demand",
        )
    })?;
    // The keys each kind takes besides kind, from and until.
    let (takes, required): (&[&str], &[&str]) = match kind.get_ref().as_str() {
        "slots" => (&["per_weekday", "per_open_day"], &["from"]),
        "saturdays" => (&["slots"], &["from", "slots"]),
        "closure" => (&[], &["from", "until"]),
        "without_appointment" => (&["service"], &["from", "service"]),
        "demand" => (&["share"], &["from", "share"]),
        other => {
            let reason = format!(
                "{other:?} is not a kind of change; the kinds are slots, saturdays, closure, without_appointment, demand"
            );
            return Err(t.error(kind.span(), key("kind"), reason));
        }
    };
    let present: [(&str, Option<Range<usize>>); 5] = [
        ("per_weekday", c.per_weekday.as_ref().map(|v| v.span())),
        ("per_open_day", c.per_open_day.as_ref().map(|v| v.span())),
        ("slots", c.slots.as_ref().map(|v| v.span())),
        ("service", c.service.as_ref().map(|v| v.span())),
        ("share", c.share.as_ref().map(|v| v.span())),
    ];
    for (name, span) in &present {
        if let Some(span) = span
            && !takes.contains(name)
        {
            let reason = format!("a change of kind {:?} takes no {name}", kind.get_ref());
            return Err(t.error(span.clone(), key(name), reason));
        }
    }
    let given = |name: &str| match name {
        "from" => c.from.is_some(),
        "until" => c.until.is_some(),
        other => present.iter().any(|(n, s)| *n == other && s.is_some()),
    };
    for name in required {
        if !given(name) {
            return Err(t.error(
                spanned.span(),
                key(name),
                format!("a change of kind {:?} needs {name}", kind.get_ref()),
            ));
        }
    }
    let from = date(t, c.from.as_ref().expect("required above"), &key("from"))?;
    let until = c.until.as_ref().map(|u| date(t, u, &key("until"))).transpose()?;
    let slots_in = |v: &Spanned<i64>, name: &str| -> Result<i32, FileError> {
        i32::try_from(*v.get_ref())
            .map_err(|_| t.error(v.span(), key(name), format!("{} is not a number of slots", v.get_ref())))
    };
    Ok(match kind.get_ref().as_str() {
        "slots" => {
            let per_weekday = match (&c.per_weekday, &c.per_open_day) {
                (Some(w), None) => {
                    let values: Vec<i32> = w.get_ref().iter().map(|&n| i32::try_from(n).unwrap_or(i32::MAX)).collect();
                    values.try_into().map_err(|v: Vec<i32>| {
                        let reason = format!("{} values; one per weekday, Monday first, is seven", v.len());
                        t.error(w.span(), key("per_weekday"), reason)
                    })?
                }
                (None, Some(n)) => [slots_in(n, "per_open_day")?; 7],
                _ => {
                    let reason = "a change of kind \"slots\" needs either per_weekday (seven numbers) or per_open_day";
                    return Err(t.error(spanned.span(), key("per_weekday"), reason));
                }
            };
            Change::Slots { from, until, per_weekday }
        }
        "saturdays" => {
            let v = c.slots.as_ref().expect("required above");
            let slots = u32::try_from(*v.get_ref())
                .map_err(|_| t.error(v.span(), key("slots"), format!("{} is not a number of slots", v.get_ref())))?;
            Change::Saturdays { from, until, slots }
        }
        "closure" => Change::Closure { first: from, last: until.expect("required above") },
        "without_appointment" => {
            let v = c.service.as_ref().expect("required above");
            let service = ServiceId::parse(v.get_ref())
                .map_err(|e| t.error(v.span(), key("service"), format!("{:?}: {e}", v.get_ref())))?;
            Change::WithoutAppointment { service, from }
        }
        _ => Change::Demand { from, until, share: *c.share.as_ref().expect("required above").get_ref() },
    })
}

/// Parses the one-line form `NAME: CHANGE; CHANGE …` (see the module docs) into a checked plan. Without `NAME:`,
/// the line itself is the name.
pub fn parse_line(line: &str) -> Result<Plan, PlanError> {
    let (name, rest) = match line.split_once(':') {
        Some((name, rest)) => (name.trim(), rest),
        None => (line.trim(), line),
    };
    let mut changes = Vec::new();
    for (i, part) in rest.split(';').map(str::trim).filter(|p| !p.is_empty()).enumerate() {
        changes.push(parse_change_line(part).map_err(|e| e.within(&format!("changes[{i}]")))?);
    }
    let plan = Plan { name: name.to_string(), decided: None, changes };
    plan.check()?;
    Ok(plan)
}

fn parse_change_line(text: &str) -> Result<Change, PlanError> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let kinds = "slots, saturdays, closure, without-appointment, demand";
    let Some((&kind, rest)) = words.split_first() else {
        return Err(PlanError::new("kind", format!("an empty change; the kinds are {kinds}")));
    };
    // The value (the words before `from`), and the days after `from` and `until`.
    let value_end = rest.iter().position(|w| *w == "from" || *w == "until").unwrap_or(rest.len());
    let value = rest[..value_end].join(" ");
    let mut from = None;
    let mut until = None;
    let mut tail = rest[value_end..].iter();
    while let Some(&word) = tail.next() {
        let day = tail.next().ok_or_else(|| PlanError::new(word, format!("{word} needs a date YYYY-MM-DD")))?;
        let parsed = crate::domain::wire::date(day)
            .map_err(|_| PlanError::new(word, format!("{day} is not a date YYYY-MM-DD in 1970 … 2199")))?;
        match word {
            "from" => from = Some(parsed),
            "until" => until = Some(parsed),
            other => return Err(PlanError::new(other, format!("{other:?}: expected from or until"))),
        }
    }
    let from = from.ok_or_else(|| PlanError::new("from", format!("{text:?} needs from YYYY-MM-DD")))?;
    let number = |field: &str| -> Result<i32, PlanError> {
        value.trim_start_matches('+').parse().map_err(|_| PlanError::new(field, format!("{value:?} is not a number")))
    };
    Ok(match kind {
        "slots" => {
            let per_weekday = if value.contains(',') {
                let values: Result<Vec<i32>, _> =
                    value.split(',').map(|v| v.trim().trim_start_matches('+').parse()).collect();
                let values =
                    values.map_err(|_| PlanError::new("per_weekday", format!("{value:?} is not seven numbers")))?;
                values.try_into().map_err(|v: Vec<i32>| {
                    PlanError::new(
                        "per_weekday",
                        format!("{} values; one per weekday, Monday first, is seven", v.len()),
                    )
                })?
            } else {
                [number("per_weekday")?; 7]
            };
            Change::Slots { from, until, per_weekday }
        }
        "saturdays" => {
            let slots = number("slots")?;
            let slots = u32::try_from(slots)
                .map_err(|_| PlanError::new("slots", format!("{slots} is not a number of slots")))?;
            Change::Saturdays { from, until, slots }
        }
        "closure" => {
            let last = until.ok_or_else(|| PlanError::new("until", "a closure needs until YYYY-MM-DD"))?;
            Change::Closure { first: from, last }
        }
        "without-appointment" | "without_appointment" => {
            let service =
                ServiceId::parse(value.trim()).map_err(|e| PlanError::new("service", format!("{value:?}: {e}")))?;
            Change::WithoutAppointment { service, from }
        }
        "demand" => {
            let share = match value.strip_suffix('%') {
                Some(percent) => percent.trim_start_matches('+').parse::<f64>().map(|p| p / 100.0),
                None => value.trim_start_matches('+').parse::<f64>(),
            }
            .map_err(|_| PlanError::new("share", format!("{value:?} is not a share (+10% or 0.1)")))?;
            Change::Demand { from, until, share }
        }
        other => {
            return Err(PlanError::new("kind", format!("{other:?} is not a kind of change; the kinds are {kinds}")));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_plan_file_reads_into_plans() {
        let text = r#"
[[plan]]
name = "Mehr Termine"
decided = 2020-07-01

[[plan.change]]
kind = "slots"
from = 2020-07-13
per_weekday = [16, 16, 16, 18, 8, 0, 0]

[[plan]]
name = "Abholung ohne Termin"

[[plan.change]]
kind = "without_appointment"
service = "ausweis-abholung"
from = "2020-06-29"

[[plan.change]]
kind = "demand"
from = 2020-07-01
until = 2020-07-31
share = -0.1
"#;
        let plans = parse_file(text).unwrap();
        assert_eq!(plans.len(), 2);
        assert_eq!(plans[0].decided, Some(date("2020-07-01")));
        assert_eq!(
            plans[0].changes,
            [Change::Slots { from: date("2020-07-13"), until: None, per_weekday: [16, 16, 16, 18, 8, 0, 0] }]
        );
        assert_eq!(
            plans[1].changes[1],
            Change::Demand { from: date("2020-07-01"), until: Some(date("2020-07-31")), share: -0.1 }
        );
    }

    #[test]
    fn mistakes_in_a_plan_file_name_line_key_and_reason() {
        let check = |text: &str, expect: &str| assert_eq!(parse_file(text).unwrap_err().to_string(), expect);
        let head = "[[plan]]\nname = \"x\"\n[[plan.change]]\n";
        check(
            &format!("{head}kind = \"demand\"\nfrom = 2020-07-01\nshare = -3\n"),
            "line 6, plan[0].change[0].share: -3 is not a share in -1 … 10 (0.1: a tenth more)",
        );
        check(
            &format!("{head}kind = \"slot\"\n"),
            "line 4, plan[0].change[0].kind: \"slot\" is not a kind of change; the kinds are slots, saturdays, closure, without_appointment, demand",
        );
        check(
            &format!("{head}kind = \"closure\"\nfrom = 2020-07-10\nuntil = 2020-07-01\n"),
            "line 6, plan[0].change[0].until: 2020-07-01 lies before the first day 2020-07-10",
        );
        check(
            &format!("{head}kind = \"slots\"\nfrom = 2020-13-01\nper_open_day = 2\n"),
            "line 5, from: invalid date, expected month between 01 and 12",
        );
        let unknown = parse_file(&format!("{head}kind = \"slots\"\nfrm = 2020-07-01\n")).unwrap_err();
        assert_eq!(unknown.line, 5);
        assert!(unknown.reason.contains("frm"), "{unknown}");
    }

    #[test]
    fn the_one_line_form_reads_every_kind() {
        let plan = parse_line(
            "Sommer: slots 2 from 2020-07-13; saturdays 40 from 2020-07-18 until 2020-08-29; \
             closure from 2020-08-03 until 2020-08-07; without-appointment ausweis-abholung from 2020-06-29; \
             demand +10% from 2020-07-01",
        )
        .unwrap();
        assert_eq!(plan.name, "Sommer");
        assert_eq!(
            plan.changes,
            [
                Change::Slots { from: date("2020-07-13"), until: None, per_weekday: [2; 7] },
                Change::Saturdays { from: date("2020-07-18"), until: Some(date("2020-08-29")), slots: 40 },
                Change::Closure { first: date("2020-08-03"), last: date("2020-08-07") },
                Change::WithoutAppointment {
                    service: ServiceId::parse("ausweis-abholung").unwrap(),
                    from: date("2020-06-29")
                },
                Change::Demand { from: date("2020-07-01"), until: None, share: 0.1 },
            ]
        );
        let err = parse_line("x: demand lots from 2020-07-01").unwrap_err();
        assert_eq!(err.to_string(), "changes[0].share: \"lots\" is not a share (+10% or 0.1)");
        let err = parse_line("x: slots 2").unwrap_err();
        assert_eq!(err.field, "changes[0].from");
    }
}
