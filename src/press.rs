//! The press statement: what a press office would publish about an office's wait and backlog on a day, in German
//! or English, as text, Markdown or JSON, with a provenance line that lets anyone recompute it.
//!
//! Pure: it reads a [`Projection`] and a [`Provenance`] and returns text; the same inputs give byte-identical output.
//! The causes paragraph covers the capacity lost since the wait was last normal (at most
//! [`NORMAL_WAIT_DAYS`] days to the next free appointment, on a day the office was open), which is the period in
//! which the backlog built up.

pub mod words;

use chrono::{Days, NaiveDate};

use crate::domain::id::OfficeId;
use crate::projection::{Attribution, LossCause, Projection};
use words::{Lang, WaitWords, count_in_words, date_long, date_short, days_after_preposition, integer, wait_in_words};

/// A wait of at most this many days to the next free appointment counts as normal.
pub const NORMAL_WAIT_DAYS: u32 = 7;

/// The version of the figures' definitions a statement was computed with (docs/events.md, "Figures").
pub const DEFINITIONS_VERSION: &str = "wartezeit-definitions/1";

/// How far back the search for the last normal day goes.
const LOOKBACK_DAYS: u64 = 365;

/// Where the figures come from: the log position they were computed at and the digest of that entry.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Provenance {
    pub position: u64,
    /// The hex SHA-256 digest of the entry at `position` (the digest chain's head then).
    pub digest: String,
    /// The version of the figures' definitions.
    #[schema(value_type = String)]
    pub definitions: &'static str,
}

/// The output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Json,
}

impl Format {
    /// Parses `text`, `markdown` or `json`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "text" => Some(Format::Text),
            "markdown" | "md" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// A wait in days with its words.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Wait {
    pub days: Option<u32>,
    pub words: Option<WaitWords>,
}

/// The capacity lost since the wait was last normal.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Causes {
    /// The last day with a normal wait before `as_of`, if there was one in the past year.
    pub last_normal_day: Option<NaiveDate>,
    pub attribution: Attribution,
}

/// Every figure of a statement, with its exact value next to the words.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Statement {
    pub office: OfficeId,
    /// The office's display name (`office_described`), which the text uses when there is one.
    pub office_name: Option<String>,
    pub as_of: NaiveDate,
    pub lang: Lang,
    pub headline: String,
    pub paragraphs: Vec<String>,
    pub next_available: Wait,
    pub third_next_available: Wait,
    pub backlog: u32,
    pub backlog_words: String,
    pub backlog_7_days_earlier: u32,
    /// The date of the office's first event: before it, the statement says that there are no data yet.
    pub data_from: Option<NaiveDate>,
    pub next_available_days_7_days_earlier: Option<u32>,
    pub realized_wait_p50_days_7d: Option<u32>,
    pub realized_wait_p90_days_7d: Option<u32>,
    pub causes: Option<Causes>,
    /// A sentence on when the wait is expected to be normal again, when a forecast was made.
    pub outlook: Option<String>,
    /// What the public online calendar showed in its last observation up to `as_of`, if it was observed.
    pub observed: Option<ObservedCalendar>,
    pub provenance: Provenance,
    /// The command that recomputes this statement.
    pub reproduce: String,
}

/// The public online calendar in its last observation up to the statement's day.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ObservedCalendar {
    /// When it was observed, in the service's zone.
    pub observed_at: chrono::DateTime<chrono::FixedOffset>,
    /// Its next and third next free slot, in days from the day it was observed.
    pub next_available: Wait,
    pub third_next_available: Wait,
    /// Its free slots of the next 28 days.
    pub free_next_28d: u32,
    /// Whether the office also has booked figures (else the statement is built from the observation alone).
    pub booked: bool,
}

/// How far apart the booked and the observed next free appointment must be for the statement to say so.
const OBSERVED_GAP_DAYS: u32 = 7;

/// Composes the statement of `office` as of `as_of` from `projection`, which must hold exactly the log up to
/// `provenance.position`.
pub fn compose(
    projection: &Projection,
    office: &OfficeId,
    as_of: NaiveDate,
    lang: Lang,
    provenance: Provenance,
    outlook: Option<String>,
) -> Statement {
    let today = projection.row(office, as_of);
    let week_ago = projection.row(office, as_of.checked_sub_days(Days::new(7)).unwrap_or(as_of));
    let (p50, p90) = projection.pooled_realized_wait(office, as_of, 7);
    let wait = |days: Option<u32>| Wait { days, words: days.map(|d| wait_in_words(d, lang)) };
    let normal = today.next_available_days.is_some_and(|d| d <= NORMAL_WAIT_DAYS);
    let data_from = projection.offices().into_iter().find(|o| &o.office == office).map(|o| o.first_event_date);
    let has_data = data_from.is_some_and(|first| first <= as_of);
    let outlook = outlook.filter(|_| has_data);
    let causes = (!normal && has_data).then(|| {
        let last_normal_day = last_normal_day(projection, office, as_of);
        // "Since 13 March, when the wait was last normal": the period the figures cover begins that day, so that
        // `attribution --from 2020-03-13 --to <as-of>` gives the same numbers.
        let from = match last_normal_day {
            Some(d) => d,
            None => as_of.checked_sub_days(Days::new(LOOKBACK_DAYS)).unwrap_or(as_of),
        };
        Causes { last_normal_day, attribution: projection.attribution(office, from, as_of) }
    });
    let reproduce = format!(
        "wartezeit press --office {office} --as-of {as_of} --known-at {} --lang {}",
        provenance.position,
        match lang {
            Lang::De => "de",
            Lang::En => "en",
        }
    );
    // The page's observed tiles come from the same answer: both name one observation and its figures.
    let observed = crate::read::observed_headline(projection, office, as_of).map(|headline| {
        let figures = &headline.seen.figures;
        ObservedCalendar {
            observed_at: headline.seen.at,
            next_available: wait(figures.observed_next_available_days),
            third_next_available: wait(figures.observed_third_next_available_days),
            free_next_28d: figures.observed_free_next_28d.unwrap_or(0),
            booked: headline.booked,
        }
    });
    let mut statement = Statement {
        office: office.clone(),
        office_name: projection.names().office(office).map(|o| o.name.clone()),
        as_of,
        lang,
        headline: String::new(),
        paragraphs: Vec::new(),
        next_available: wait(today.next_available_days),
        third_next_available: wait(today.third_next_available_days),
        backlog: today.backlog,
        backlog_words: count_in_words(u64::from(today.backlog), lang),
        backlog_7_days_earlier: week_ago.backlog,
        data_from,
        next_available_days_7_days_earlier: week_ago.next_available_days,
        realized_wait_p50_days_7d: p50,
        realized_wait_p90_days_7d: p90,
        causes,
        outlook,
        observed,
        provenance,
        reproduce,
    };
    statement.headline = headline(&statement, projection.config().horizon_days);
    statement.paragraphs = paragraphs(&statement, projection.config().horizon_days);
    statement
}

/// The outlook sentence for the statement of `office` as of `as_of`: the forecast with the default configuration
/// (2,000 runs, the fixed default seed), so the statement stays reproducible; `None` when the wait is normal already
/// or no forecast can be made (no open day to learn from).
pub fn forecast_outlook(projection: &Projection, office: &OfficeId, as_of: NaiveDate, lang: Lang) -> Option<String> {
    let config = crate::read::forecast_config(projection, None, None, None, None).ok()?;
    let made = crate::read::ForecastInputs::take(projection, office, as_of, config).run(1).ok()?;
    crate::press::words::outlook(&made, lang)
}

/// The last day before `as_of`, within a year, on which the office was open and its wait normal. A closed day does
/// not count: while shut, the calendar may show a short wait to the announced reopening that nobody could use.
fn last_normal_day(projection: &Projection, office: &OfficeId, as_of: NaiveDate) -> Option<NaiveDate> {
    let from = as_of.checked_sub_days(Days::new(LOOKBACK_DAYS))?;
    let to = as_of.checked_sub_days(Days::new(1))?;
    projection
        .series(office, from, to)
        .iter()
        .rev()
        .find(|r| r.capacity > 0 && r.next_available_days.is_some_and(|d| d <= NORMAL_WAIT_DAYS))
        .map(|r| r.date)
}

/// Whether the log knows the office on the statement's day (its first event is not later).
fn has_data(s: &Statement) -> bool {
    s.data_from.is_some_and(|first| first <= s.as_of)
}

/// The office as the headline names it: its display name, else "Bürgercenter" and its id.
fn office_title(s: &Statement) -> String {
    match (&s.office_name, s.lang) {
        (Some(name), _) => name.clone(),
        (None, Lang::De) => format!("Bürgercenter {}", s.office),
        (None, Lang::En) => format!("Citizen centre {}", s.office),
    }
}

fn headline(s: &Statement, horizon: u32) -> String {
    let office = office_title(s);
    if let Some(seen) = s.observed.as_ref().filter(|o| !o.booked) {
        return match (s.lang, &seen.next_available.words) {
            (Lang::De, Some(w)) => {
                format!("{office} – im Online-Kalender nächster freier Termin: {}", w.phrase(Lang::De))
            }
            (Lang::En, Some(w)) => format!("{office} – next free slot in the online calendar: {}", w.phrase(Lang::En)),
            (Lang::De, None) => {
                format!("{office} – im Online-Kalender in den nächsten {horizon} Tagen kein freier Termin")
            }
            (Lang::En, None) => format!("{office} – no free slot in the online calendar in the next {horizon} days"),
        };
    }
    if !has_data(s) {
        let date = date_long(s.as_of, s.lang);
        return match s.lang {
            Lang::De => format!("{office} – für den {date} liegen noch keine Daten vor"),
            Lang::En => format!("{office} – no data yet for {date}"),
        };
    }
    match (s.lang, &s.next_available.words) {
        (Lang::De, Some(w)) => format!("{office} – Wartezeit auf einen Termin: {}", w.phrase(Lang::De)),
        (Lang::En, Some(w)) => format!("{office} – wait for an appointment: {}", w.phrase(Lang::En)),
        (Lang::De, None) => format!("{office} – in den nächsten {horizon} Tagen kein freier Termin"),
        (Lang::En, None) => format!("{office} – no free appointment in the next {horizon} days"),
    }
}

fn paragraphs(s: &Statement, horizon: u32) -> Vec<String> {
    let lang = s.lang;
    if !has_data(s) {
        let (date, first) = (date_long(s.as_of, lang), s.data_from.map(|d| date_long(d, lang)));
        let said = match (lang, first) {
            (Lang::De, Some(first)) => format!(
                "Für den {date} liegen noch keine Daten vor: die Aufzeichnung für dieses Bürgercenter beginnt am \
                 {first}. Wartezeit und offene Anliegen lassen sich erst ab dann angeben."
            ),
            (Lang::En, Some(first)) => format!(
                "There are no data yet for {date}: the record of this citizen centre begins on {first}. The wait and \
                 the open requests can be stated from then on."
            ),
            (Lang::De, None) => format!("Für den {date} liegen noch keine Daten vor."),
            (Lang::En, None) => format!("There are no data yet for {date}."),
        };
        return vec![said, provenance_line(s)];
    }
    if let Some(seen) = s.observed.as_ref().filter(|o| !o.booked) {
        return vec![observed_paragraph(seen, lang, horizon), provenance_line(s)];
    }
    let mut out = vec![wait_paragraph(s, horizon), backlog_paragraph(s)];
    if let Some(seen) = &s.observed {
        let apart = match (s.next_available.days, seen.next_available.days) {
            (Some(booked), Some(shown)) => booked.abs_diff(shown) > OBSERVED_GAP_DAYS,
            (None, None) => false,
            _ => true,
        };
        if apart {
            out.push(observed_gap(seen, lang, horizon));
        }
    }
    if let Some(causes) = &s.causes {
        if causes.attribution.lost_slots > 0 {
            out.push(causes_paragraph(causes, lang));
        }
    } else if s.outlook.is_none() {
        out.push(match lang {
            Lang::De => "Die Wartezeit liegt damit im üblichen Rahmen von höchstens einer Woche.".to_owned(),
            Lang::En => "The wait is within the normal range of at most one week.".to_owned(),
        });
    }
    if let (Some(p50), Some(p90)) = (s.realized_wait_p50_days_7d, s.realized_wait_p90_days_7d) {
        out.push(match lang {
            Lang::De => format!(
                "Wer in den vergangenen sieben Tagen einen Termin gebucht hat, erhielt ihn im Median nach {}; \
                 neun von zehn nach höchstens {}.",
                days_after_preposition(p50, lang),
                days_after_preposition(p90, lang)
            ),
            Lang::En => format!(
                "Citizens who booked in the past seven days got an appointment after a median of {}; nine in ten \
                 within {}.",
                days_after_preposition(p50, lang),
                days_after_preposition(p90, lang)
            ),
        });
    }
    if let Some(outlook) = &s.outlook {
        out.push(outlook.clone());
    }
    out.push(provenance_line(s));
    out
}

fn wait_paragraph(s: &Statement, horizon: u32) -> String {
    let lang = s.lang;
    let date = date_long(s.as_of, lang);
    match (lang, s.next_available.days, s.third_next_available.days) {
        (Lang::De, Some(next), third) => {
            let words = s.next_available.words.as_ref().map(|w| w.dative(lang).phrase(lang)).unwrap_or_default();
            let third = match third {
                Some(t) => format!(", der drittnächste in {}", days_after_preposition(t, lang)),
                None => String::new(),
            };
            format!(
                "Im Online-Kalender besteht derzeit (Stand {date}) eine Wartezeit von {words}: Der nächste freie \
                 Termin liegt {next} {} entfernt{third}.",
                if next == 1 { "Tag" } else { "Tage" }
            )
        }
        (Lang::En, Some(next), third) => {
            let words = s.next_available.words.as_ref().map(|w| w.phrase(lang)).unwrap_or_default();
            let third = match third {
                Some(t) => format!(", the third next in {}", days_after_preposition(t, lang)),
                None => String::new(),
            };
            format!(
                "The online calendar currently (as of {date}) shows a wait of {words}: the next free appointment is \
                 {next} {} away{third}.",
                if next == 1 { "day" } else { "days" }
            )
        }
        (Lang::De, None, _) => {
            format!("Im Online-Kalender ist derzeit (Stand {date}) in den nächsten {horizon} Tagen kein Termin frei.")
        }
        (Lang::En, None, _) => {
            format!("The online calendar currently (as of {date}) has no free appointment in the next {horizon} days.")
        }
    }
}

fn backlog_paragraph(s: &Statement) -> String {
    let lang = s.lang;
    let exact = integer(u64::from(s.backlog), lang);
    let before = integer(u64::from(s.backlog_7_days_earlier), lang);
    match lang {
        Lang::De => match s.backlog {
            0 => format!("Offen ist derzeit kein Anliegen (kein gebuchter Termin wartet; vor einer Woche {before})."),
            1 => format!(
                "Offen ist ein Anliegen (ein gebuchter, noch nicht wahrgenommener Termin; vor einer Woche {before})."
            ),
            _ => format!(
                "Offen sind {} Anliegen ({exact} gebuchte, noch nicht wahrgenommene Termine; vor einer Woche \
                 {before}).",
                s.backlog_words
            ),
        },
        Lang::En => match s.backlog {
            0 => format!("No request is open (no booked appointment is waiting; {before} a week earlier)."),
            1 => format!("One request is open (one booked appointment not yet attended; {before} a week earlier)."),
            _ => format!(
                "{} requests are open ({exact} booked appointments not yet attended; {before} a week earlier).",
                capitalize(&s.backlog_words)
            ),
        },
    }
}

fn causes_paragraph(causes: &Causes, lang: Lang) -> String {
    let a = &causes.attribution;
    let mut parts = Vec::new();
    for (cause, loss) in &a.by_cause {
        let slots = integer(loss.lost_slots, lang);
        let periods: Vec<_> = a.by_period.iter().filter(|p| p.cause == *cause).collect();
        let part = if *cause == LossCause::Holiday {
            let names: Vec<String> = periods.iter().map(|p| p.label.clone()).collect();
            match lang {
                Lang::De => format!("{slots} durch Feiertage ({})", names.join(", ")),
                Lang::En => format!("{slots} to public holidays ({})", names.join(", ")),
            }
        } else {
            // The cause already names the closure; its dates identify it. Reasons are free text, often long.
            let spans: Vec<String> = periods
                .iter()
                .map(|p| format!("{}–{}", date_short(p.first_day, lang), date_short(p.last_day, lang)))
                .collect();
            let days = loss.days;
            match lang {
                Lang::De => format!(
                    "{slots} durch {} ({}; {days} {})",
                    cause_de(*cause),
                    spans.join("; "),
                    if days == 1 { "Schließtag" } else { "Schließtage" }
                ),
                Lang::En => format!(
                    "{slots} to {} ({}; {days} {} closed)",
                    cause_en(*cause),
                    spans.join("; "),
                    if days == 1 { "day" } else { "days" }
                ),
            }
        };
        parts.push(part);
    }
    let total = integer(a.lost_slots, lang);
    let share = crate::lang::percent(a.share_of_planned, lang);
    match (lang, causes.last_normal_day) {
        (Lang::De, Some(d)) => format!(
            "Seit dem {}, als die Wartezeit zuletzt bei höchstens einer Woche lag, sind {total} Termine ausgefallen \
             ({share} der geplanten Kapazität): {}.",
            date_long(d, lang),
            parts.join(", ")
        ),
        (Lang::De, None) => format!(
            "Seit dem {} sind {total} Termine ausgefallen ({share} der geplanten Kapazität): {}.",
            date_long(a.from, lang),
            parts.join(", ")
        ),
        (Lang::En, Some(d)) => format!(
            "Since {}, when the wait was last at most one week, {total} appointments were lost ({share} of planned \
             capacity): {}.",
            date_long(d, lang),
            parts.join(", ")
        ),
        (Lang::En, None) => format!(
            "Since {}, {total} appointments were lost ({share} of planned capacity): {}.",
            date_long(a.from, lang),
            parts.join(", ")
        ),
    }
}

fn cause_de(cause: LossCause) -> &'static str {
    match cause {
        LossCause::Lockdown => "die Schließung im Lockdown",
        LossCause::SystemMigration => "die Schließung für eine Systemumstellung",
        LossCause::StaffShortage => "Schließungen wegen Personalmangels",
        LossCause::Other => "sonstige Schließungen",
        LossCause::Holiday => "Feiertage",
    }
}

fn cause_en(cause: LossCause) -> &'static str {
    match cause {
        LossCause::Lockdown => "the lockdown closure",
        LossCause::SystemMigration => "the closure for a system migration",
        LossCause::StaffShortage => "closures for staff shortage",
        LossCause::Other => "other closures",
        LossCause::Holiday => "public holidays",
    }
}

/// "Observed on 24 June 2020 at 08:00" in words.
fn observed_when(seen: &ObservedCalendar, lang: Lang) -> String {
    let (date, time) = (date_long(seen.observed_at.date_naive(), lang), seen.observed_at.format("%H:%M"));
    match lang {
        Lang::De => format!("am {date} um {time} Uhr"),
        Lang::En => format!("on {date} at {time}"),
    }
}

/// The statement of an office known only from its public calendar.
fn observed_paragraph(seen: &ObservedCalendar, lang: Lang, horizon: u32) -> String {
    let when = observed_when(seen, lang);
    let free = integer(u64::from(seen.free_next_28d), lang);
    match (lang, &seen.next_available.words, &seen.third_next_available.words) {
        (Lang::De, Some(next), third) => format!(
            "Im Online-Kalender war {when} (Stand der Beobachtung) der nächste freie Termin {} entfernt{}; in den \
             nächsten 28 Tagen waren dort {free} Termine frei.",
            next.phrase(Lang::De),
            third.as_ref().map(|t| format!(", der drittnächste {}", t.phrase(Lang::De))).unwrap_or_default()
        ),
        (Lang::En, Some(next), third) => format!(
            "The online calendar showed {when} (time of observation) the next free slot {} away{}; it offered {free} \
             free slots in the next 28 days.",
            next.phrase(Lang::En),
            third.as_ref().map(|t| format!(", the third next {}", t.phrase(Lang::En))).unwrap_or_default()
        ),
        (Lang::De, None, _) => format!(
            "Im Online-Kalender war {when} (Stand der Beobachtung) in den nächsten {horizon} Tagen kein freier Termin \
             zu sehen."
        ),
        (Lang::En, None, _) => {
            format!("The online calendar showed {when} (time of observation) no free slot in the next {horizon} days.")
        }
    }
}

/// The sentence for an office whose booked and observed next free appointment lie more than a week apart.
fn observed_gap(seen: &ObservedCalendar, lang: Lang, horizon: u32) -> String {
    let when = observed_when(seen, lang);
    let shown = match (lang, &seen.next_available.words) {
        (Lang::De, Some(w)) => format!("den nächsten freien Termin {} entfernt", w.phrase(Lang::De)),
        (Lang::En, Some(w)) => format!("the next free slot {} away", w.phrase(Lang::En)),
        (Lang::De, None) => format!("in den nächsten {horizon} Tagen keinen freien Termin"),
        (Lang::En, None) => format!("no free slot in the next {horizon} days"),
    };
    match lang {
        Lang::De => format!(
            "Der öffentliche Online-Kalender zeigte {when} dagegen {shown}. Der Unterschied sind Termine, die der \
             Online-Kalender nicht anbietet, etwa für Telefon oder Schalter, oder Daten, die voneinander abweichen."
        ),
        Lang::En => format!(
            "The public online calendar, however, showed {when} {shown}. The difference is slots the online calendar \
             does not offer, for the phone or the counter, say, or data that disagree."
        ),
    }
}

fn provenance_line(s: &Statement) -> String {
    let p = &s.provenance;
    let prefix = &p.digest[..p.digest.len().min(12)];
    let position = integer(p.position, s.lang);
    match s.lang {
        Lang::De => format!(
            "Quelle: wartezeit, Datenstand Logposition {position}, Prüfsumme {prefix}…, Definitionen {}. \
             Nachrechnen: {}",
            p.definitions, s.reproduce
        ),
        Lang::En => format!(
            "Source: wartezeit, data as of log position {position}, digest {prefix}…, definitions {}. Recompute: {}",
            p.definitions, s.reproduce
        ),
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// Renders a statement in a format.
pub fn render(s: &Statement, format: Format) -> String {
    match format {
        Format::Text => {
            let mut out = format!("{}\n\n", s.headline);
            for p in &s.paragraphs {
                out.push_str(p);
                out.push_str("\n\n");
            }
            out.truncate(out.trim_end().len());
            out.push('\n');
            out
        }
        Format::Markdown => {
            let mut out = format!("## {}\n\n", s.headline);
            let (body, provenance) = s.paragraphs.split_at(s.paragraphs.len().saturating_sub(1));
            for p in body {
                out.push_str(p);
                out.push_str("\n\n");
            }
            for p in provenance {
                out.push_str(&format!("*{p}*\n"));
            }
            out
        }
        Format::Json => serde_json::to_string_pretty(s).unwrap_or_default() + "\n",
    }
}
