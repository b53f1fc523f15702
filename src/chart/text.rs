//! The words and number/date formats of the charts, in German (the default) and English.
//!
//! Everything a chart writes goes through here, so a chart never mixes languages and a German reader sees
//! "1.000" and "24.06.2020" where an English one sees "1,000" and "2020-06-24".

use chrono::{Datelike, NaiveDate};

use crate::domain::event::ClosureCause;
use crate::projection::PeriodKind;

pub use crate::lang::{Lang, UnknownLang};

/// A text in both languages; `pick` chooses.
pub(crate) struct Words {
    pub de: &'static str,
    pub en: &'static str,
}

impl Words {
    pub(crate) fn pick(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::De => self.de,
            Lang::En => self.en,
        }
    }
}

macro_rules! words {
    ($($name:ident = $de:literal / $en:literal;)*) => {
        $(pub(crate) const $name: Words = Words { de: $de, en: $en };)*
    };
}

words! {
    NO_DATA = "Keine Daten im Zeitraum" / "No data in this period";
    DATE_AXIS = "Datum" / "Date";
    WEEK_AXIS = "Kalenderwoche" / "Calendar week";
    BACKLOG_TITLE = "Offene Anliegen nach Dienstleistung" / "Open requests by service";
    BACKLOG_AXIS = "Offene Anliegen (Anzahl)" / "Open requests (count)";
    OTHER_SERVICES = "Sonstige" / "Other";
    TOTAL = "Gesamt" / "Total";
    CLOSURE = "Schließung" / "Closure";
    HOLIDAY = "Feiertag" / "Holiday";
    WAIT_TITLE = "Wartezeit auf einen Termin" / "Wait for an appointment";
    WAIT_AXIS = "Wartezeit (Tage)" / "Wait (days)";
    NEXT_AVAILABLE = "Nächster freier Termin" / "Next available";
    THIRD_NEXT = "Drittnächster freier Termin" / "Third next available";
    REALIZED_P50 = "Realisiert, Median" / "Realized, median";
    REALIZED_P90 = "Realisiert, 90. Perzentil" / "Realized, 90th percentile";
    OBSERVED_NEXT = "Online-Kalender: nächster freier Termin" / "Online calendar: next free slot";
    TARGET = "Ziel" / "Target";
    AS_OF = "Stand" / "As of";
    DAYS = "Tage" / "days";
    FLOW_TITLE = "Buchungen und bediente Anliegen pro Woche" / "Bookings and served requests per week";
    FLOW_AXIS = "Anliegen pro Woche (Anzahl)" / "Requests per week (count)";
    BOOKINGS = "Buchungen" / "Bookings";
    SERVED_APPOINTMENTS = "Bedient mit Termin" / "Served by appointment";
    SERVED_WALK_IN = "Bedient ohne Termin" / "Served without appointment";
    ATTRIBUTION_TITLE = "Ausgefallene Termine nach Ursache" / "Lost appointment slots by cause";
    ATTRIBUTION_AXIS = "Ausgefallene Termine (Zeitfenster)" / "Lost slots (count)";
    FORECAST_TITLE = "Wann ist die Wartezeit wieder normal? Prognose" / "When will the wait be normal again? Forecast";
    OBSERVED = "Drittnächster freier Termin, beobachtet" / "Third next available, observed";
    FORECAST_MEDIAN = "Prognose, Median" / "Forecast, median";
    FORECAST_50 = "50 % der Simulationen" / "50 % of runs";
    FORECAST_90 = "90 % der Simulationen" / "90 % of runs";
    REACHED_BY = "Ziel erreicht" / "Target reached";
    WHATIF_TITLE = "Maßnahmen im Vergleich: Wartezeit, Prognose" / "Measures compared: wait, forecast";
    BASELINE = "Basis (bekannte Planung)" / "Baseline (plans known)";
}

/// The name of a closure cause or of "holiday", as a legend shows it.
pub(crate) fn period_kind_name(kind: PeriodKind, lang: Lang) -> &'static str {
    let words = match kind {
        PeriodKind::Holiday => Words { de: "Feiertag", en: "Holiday" },
        PeriodKind::Closure(ClosureCause::Lockdown) => Words { de: "Lockdown", en: "Lockdown" },
        PeriodKind::Closure(ClosureCause::SystemMigration) => Words { de: "IT-Umstellung", en: "System migration" },
        PeriodKind::Closure(ClosureCause::StaffShortage) => Words { de: "Personalmangel", en: "Staff shortage" },
        PeriodKind::Closure(ClosureCause::Other) => Words { de: "Sonstige Schließung", en: "Other closure" },
    };
    words.pick(lang)
}

/// The label of a closure or holiday on a chart. A closure's reason is the office's own free text, in German; an
/// English chart names the closure by its cause instead ("Lockdown closure"). Holidays keep their names.
pub(crate) fn period_label(label: &str, kind: PeriodKind, lang: Lang) -> String {
    match (lang, kind) {
        (Lang::En, PeriodKind::Closure(ClosureCause::Other)) => "Closure".to_owned(),
        (Lang::En, PeriodKind::Closure(_)) => format!("{} closure", period_kind_name(kind, lang)),
        _ => label.to_owned(),
    }
}

/// An integer with the language's thousands separator: "1.000" or "1,000".
pub(crate) fn int(value: u64, lang: Lang) -> String {
    crate::lang::integer(value, lang)
}

/// A full date: "24.06.2020" or "2020-06-24".
pub(crate) fn date(d: NaiveDate, lang: Lang) -> String {
    crate::lang::date_short(d, lang)
}

const MONTHS_DE_SHORT: [&str; 12] =
    ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"];
const MONTHS_EN_SHORT: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// How much of a month to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MonthStyle {
    /// "Juni 2020" / "June 2020".
    Long,
    /// "Jun 2020".
    Short,
    /// "Jun", the year only where the caller asks for it.
    Bare,
}

/// A month label: "Juni 2020", "Jun 2020" or "Jun" (`with_year` adds the year to the bare style).
pub(crate) fn month(d: NaiveDate, style: MonthStyle, with_year: bool, lang: Lang) -> String {
    let i = d.month0() as usize;
    let long = crate::lang::month_name(d, lang);
    let short = match lang {
        Lang::De => MONTHS_DE_SHORT[i],
        Lang::En => MONTHS_EN_SHORT[i],
    };
    match style {
        MonthStyle::Long => format!("{long} {}", d.year()),
        MonthStyle::Short => format!("{short} {}", d.year()),
        MonthStyle::Bare if with_year => format!("{short} {}", d.year()),
        MonthStyle::Bare => short.to_owned(),
    }
}

/// An ISO week label: "KW 26" or "W26"; `with_year` adds the ISO year ("KW 53/2020").
pub(crate) fn iso_week(d: NaiveDate, with_year: bool, lang: Lang) -> String {
    let w = d.iso_week();
    match (lang, with_year) {
        (Lang::De, false) => format!("KW {}", w.week()),
        (Lang::De, true) => format!("KW {}/{}", w.week(), w.year()),
        (Lang::En, false) => format!("W{}", w.week()),
        (Lang::En, true) => format!("W{}/{}", w.week(), w.year()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn thousands_separators_follow_the_language() {
        assert_eq!(int(0, Lang::De), "0");
        assert_eq!(int(999, Lang::De), "999");
        assert_eq!(int(1000, Lang::De), "1.000");
        assert_eq!(int(1_234_567, Lang::De), "1.234.567");
        assert_eq!(int(1000, Lang::En), "1,000");
        assert_eq!(int(100_000, Lang::En), "100,000");
    }

    #[test]
    fn dates_and_months_follow_the_language() {
        assert_eq!(date(d("2020-06-24"), Lang::De), "24.06.2020");
        assert_eq!(date(d("2020-06-24"), Lang::En), "2020-06-24");
        assert_eq!(month(d("2020-06-24"), MonthStyle::Long, false, Lang::De), "Juni 2020");
        assert_eq!(month(d("2020-06-24"), MonthStyle::Long, false, Lang::En), "June 2020");
        assert_eq!(month(d("2020-03-01"), MonthStyle::Short, false, Lang::De), "Mär 2020");
        assert_eq!(month(d("2020-03-01"), MonthStyle::Bare, false, Lang::En), "Mar");
        assert_eq!(iso_week(d("2020-06-24"), false, Lang::De), "KW 26");
        assert_eq!(iso_week(d("2021-01-01"), true, Lang::En), "W53/2020");
    }

    #[test]
    fn languages_parse_from_their_codes() {
        assert_eq!("de".parse::<Lang>(), Ok(Lang::De));
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert_eq!(
            "fr".parse::<Lang>().unwrap_err().to_string(),
            "language \"fr\" is not supported, use \"de\" or \"en\""
        );
    }
}
