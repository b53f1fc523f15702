//! The words of the management page, German and English, and its short date and day formats.

use chrono::{Datelike, NaiveDate};

use crate::domain::event::ClosureCause;
use crate::lang::Lang;
use crate::projection::PeriodKind;

/// A label in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    pub de: &'static str,
    pub en: &'static str,
}

impl Words {
    /// The label in `lang`.
    pub fn pick(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => self.de,
            Lang::En => self.en,
        }
    }
}

macro_rules! words {
    ($($name:ident = $de:literal / $en:literal;)*) => {
        $(pub const $name: Words = Words { de: $de, en: $en };)*
    };
}

words! {
    TITLE = "Wartezeit und offene Anliegen" / "Wait and open requests";
    CANNOT_SHOW = "Diese Ansicht gibt es so nicht" / "This view cannot be shown";
    BACK = "Zur Übersicht" / "Back to the overview";
    OFFICE = "Bürgercenter" / "Office";
    AS_OF = "Stand" / "As of";
    LANGUAGE = "Sprache" / "Language";
    SHOW = "Anzeigen" / "Show";
    DATA_POSITION = "Datenstand: Logposition" / "Data: log position";
    NO_DATA = "Noch keine Daten: das Ereignisprotokoll ist leer. Sobald Termine, Kapazitäten oder Schließungen \
               gemeldet sind (POST /api/v1/events), erscheinen hier die Kennzahlen."
        / "No data yet: the event log is empty. Once appointments, capacity or closures are reported \
           (POST /api/v1/events), the figures appear here.";
    TILES = "Kennzahlen" / "Headline figures";
    MEASURES = "Maßnahmen" / "Measures";
    BASELINE = "Basis (bekannte Planung)" / "Baseline (plans known)";
    BEYOND = "nicht im Horizont" / "not within the horizon";
    BACKLOG = "Offene Anliegen" / "Open requests";
    NEXT_AVAILABLE = "Nächster freier Termin" / "Next free appointment";
    THIRD_NEXT = "Drittnächster freier Termin" / "Third next free appointment";
    REALIZED_WAIT = "Tatsächliche Wartezeit (Median)" / "Realized wait (median)";
    IN = "in" / "in";
    NONE_FREE = "kein freier Termin" / "no free appointment";
    OBSERVED_NEXT = "Online-Kalender: nächster freier Termin" / "Online calendar: next free slot";
    OBSERVED_THIRD = "Online-Kalender: drittnächster freier Termin" / "Online calendar: third next free slot";
    OBSERVED_FREE_28D = "Online-Kalender: freie Termine in 28 Tagen" / "Online calendar: free slots in 28 days";
    NONE_BOOKED = "keine Buchung" / "no booking";
    PERIODS = "Anstehende Schließungen und Feiertage" / "Upcoming closures and holidays";
    NO_PERIODS = "Keine Schließungen oder Feiertage angekündigt." / "No closures or holidays announced.";
    NAME = "Bezeichnung" / "Name";
    FROM = "von" / "from";
    TO = "bis" / "to";
    DAYS_COLUMN = "Tage" / "Days";
    CAUSE = "Ursache" / "Cause";
    PRESS = "Pressemitteilung zum Kopieren" / "Press statement, ready to copy";
    API = "Schnittstellen" / "Interfaces";
    BACKLOG_CHART = "Offene Anliegen nach Dienstleistung, mit Schließungen und Feiertagen"
        / "Open requests by service, with closures and holidays";
    WAIT_CHART = "Wartezeit auf einen Termin: nächster und drittnächster freier Termin, tatsächliche Wartezeit, Ziel"
        / "Wait for an appointment: next and third next free appointment, realized wait, target";
    FLOW_CHART = "Buchungen und bediente Anliegen je Kalenderwoche" / "Bookings and served requests per week";
    ATTRIBUTION_CHART = "Ausgefallene Termine nach Ursache" / "Lost appointment slots by cause";
    FORECAST_CHART = "Prognose der Wartezeit bis zum drittnächsten freien Termin: Verlauf und Fächer der Simulationen"
        / "Forecast of the wait for the third next free appointment: observed, and the fan of the simulations";
    BACK_TO_NORMAL = "Wieder normal voraussichtlich" / "Back to normal, likely by";
    NOT_WITHIN_HORIZON = "nicht absehbar" / "not within the horizon";
    ALREADY_NORMAL = "schon jetzt" / "already now";
}

/// "1 Tag", "21 Tage"; "1 day", "21 days".
pub fn days(n: u32, lang: Lang) -> String {
    match (lang, n) {
        (Lang::De, 1) => "1 Tag".to_owned(),
        (Lang::De, n) => format!("{} Tage", crate::lang::integer(u64::from(n), lang)),
        (Lang::En, 1) => "1 day".to_owned(),
        (Lang::En, n) => format!("{} days", crate::lang::integer(u64::from(n), lang)),
    }
}

/// A day of the current year in a tile: "17.06.", "Jun 17".
pub fn day_month(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::De => d.format("%d.%m.").to_string(),
        Lang::En => d.format("%b %-d").to_string(),
    }
}

/// A full date: "24.06.2020", "2020-06-24".
pub fn date(d: NaiveDate, lang: Lang) -> String {
    crate::lang::date_short(d, lang)
}

/// "Bookings of 18.06.–24.06." for the realized wait's seven-day window.
pub fn booked_between(first: NaiveDate, last: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::De => format!("Buchungen vom {} bis {}", day_month(first, lang), day_month(last, lang)),
        Lang::En => format!("bookings of {} to {}", day_month(first, lang), day_month(last, lang)),
    }
}

/// "vs. 17.06." / "vs. Jun 17": what a change is measured against.
pub fn versus(d: NaiveDate, lang: Lang) -> String {
    format!("vs. {}", day_month(d, lang))
}

/// A closure's cause or "holiday" in a table.
pub fn cause(kind: PeriodKind, lang: Lang) -> &'static str {
    let words = match kind {
        PeriodKind::Holiday => Words { de: "Feiertag", en: "Public holiday" },
        PeriodKind::Closure(ClosureCause::Lockdown) => Words { de: "Lockdown", en: "Lockdown" },
        PeriodKind::Closure(ClosureCause::SystemMigration) => Words { de: "IT-Umstellung", en: "System migration" },
        PeriodKind::Closure(ClosureCause::StaffShortage) => Words { de: "Personalmangel", en: "Staff shortage" },
        PeriodKind::Closure(ClosureCause::Other) => Words { de: "Sonstige Schließung", en: "Other closure" },
    };
    words.pick(lang)
}

/// The weekday and date of a period's day, for the table: "Mo 29.06.2020", "Mon 2020-06-29".
pub fn weekday_date(d: NaiveDate, lang: Lang) -> String {
    const DE: [&str; 7] = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So"];
    const EN: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    let i = d.weekday().num_days_from_monday() as usize;
    let day = match lang {
        Lang::De => DE[i],
        Lang::En => EN[i],
    };
    format!("{day} {}", date(d, lang))
}
