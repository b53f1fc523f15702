//! Numbers, waits and dates in press language, German and English.
//!
//! A wait is said the way a press office says it: up to six days in days, then in half weeks ("zweieinhalb
//! Wochen"), from nine weeks on in months; "rund"/"about" when the rounded words are not exact. A count is said
//! without overstating it: from 100 on it is floored to two significant digits, "mehr als 1.000" for 1.043.

use chrono::{Datelike, NaiveDate};

pub use crate::lang::{Lang, date_short, integer};

/// A wait in words, and whether the words round it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct WaitWords {
    /// "drei Wochen", "zweieinhalb Wochen", "fünf Tage", "three weeks".
    pub words: String,
    /// `true` when the words are not exact (21 days are exactly three weeks, 20 are not).
    pub approximate: bool,
}

impl WaitWords {
    /// The words in the German dative, as after "von": "einem Tag", "fünf Tagen", "einer Woche", "zwei Monaten";
    /// English words are returned unchanged.
    pub fn dative(&self, lang: Lang) -> WaitWords {
        if lang == Lang::En {
            return self.clone();
        }
        let words = if let Some(rest) = self.words.strip_suffix(" Tage") {
            format!("{rest} Tagen")
        } else if let Some(rest) = self.words.strip_suffix(" Monate") {
            format!("{rest} Monaten")
        } else {
            match self.words.as_str() {
                "ein Tag" => "einem Tag".to_owned(),
                "eine Woche" => "einer Woche".to_owned(),
                other => other.to_owned(),
            }
        };
        WaitWords { words, approximate: self.approximate }
    }

    /// The words with "rund"/"about" in front when they round.
    pub fn phrase(&self, lang: Lang) -> String {
        match (self.approximate, lang) {
            (false, _) => self.words.clone(),
            (true, Lang::De) => format!("rund {}", self.words),
            (true, Lang::En) => format!("about {}", self.words),
        }
    }
}

const DE_NUMBERS: [&str; 13] =
    ["null", "ein", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf"];
const EN_NUMBERS: [&str; 13] =
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"];

/// A wait of `days` days in words.
pub fn wait_in_words(days: u32, lang: Lang) -> WaitWords {
    if days < 7 {
        let words = match (lang, days) {
            (Lang::De, 0) => "null Tage".to_owned(),
            (Lang::De, 1) => "ein Tag".to_owned(),
            (Lang::De, n) => format!("{} Tage", DE_NUMBERS[n as usize]),
            (Lang::En, 1) => "one day".to_owned(),
            (Lang::En, n) => format!("{} days", EN_NUMBERS[n as usize]),
        };
        return WaitWords { words, approximate: false };
    }
    if days < 63 {
        // Half weeks: round days / 3.5 to the nearest whole number of halves.
        let halves = ((f64::from(days) / 3.5) + 0.5).floor() as u32;
        let approximate = f64::from(halves) * 3.5 != f64::from(days);
        return WaitWords { words: half_weeks(halves, lang), approximate };
    }
    let months = ((f64::from(days) / 30.4375) + 0.5).floor() as u32;
    let words = match lang {
        Lang::De => format!("{} Monate", number_de(months)),
        Lang::En => format!("{} months", number_en(months)),
    };
    WaitWords { words, approximate: true }
}

fn half_weeks(halves: u32, lang: Lang) -> String {
    let (whole, half) = (halves / 2, halves % 2 == 1);
    match lang {
        Lang::De => match (whole, half) {
            (1, false) => "eine Woche".to_owned(),
            (1, true) => "anderthalb Wochen".to_owned(),
            (n, false) => format!("{} Wochen", number_de(n)),
            (n, true) => format!("{}einhalb Wochen", number_de(n)),
        },
        Lang::En => match (whole, half) {
            (1, false) => "one week".to_owned(),
            (n, false) => format!("{} weeks", number_en(n)),
            (n, true) => format!("{} and a half weeks", number_en(n)),
        },
    }
}

fn number_de(n: u32) -> String {
    DE_NUMBERS.get(n as usize).map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

fn number_en(n: u32) -> String {
    EN_NUMBERS.get(n as usize).map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

/// A number of days as a figure, after a preposition: "1 Tag", "20 Tagen"; "1 day", "20 days".
pub fn days_after_preposition(days: u32, lang: Lang) -> String {
    match (lang, days) {
        (Lang::De, 1) => "1 Tag".to_owned(),
        (Lang::De, n) => format!("{n} Tagen"),
        (Lang::En, 1) => "1 day".to_owned(),
        (Lang::En, n) => format!("{n} days"),
    }
}

/// A count as the press says it: "mehr als 1.000" for 1,043; exact below 100 or when already round.
pub fn count_in_words(n: u64, lang: Lang) -> String {
    if n < 100 {
        return integer(n, lang);
    }
    let magnitude = 10u64.pow(n.ilog10() - 1);
    let floored = n / magnitude * magnitude;
    if floored == n {
        return integer(n, lang);
    }
    match lang {
        Lang::De => format!("mehr als {}", integer(floored, lang)),
        Lang::En => format!("more than {}", integer(floored, lang)),
    }
}

/// A date in prose: "24. Juni 2020", "24 June 2020".
pub fn date_long(d: NaiveDate, lang: Lang) -> String {
    let month = crate::lang::month_name(d, lang);
    match lang {
        Lang::De => format!("{}. {month} {}", d.day(), d.year()),
        Lang::En => format!("{} {month} {}", d.day(), d.year()),
    }
}

/// Part of a month in prose: "Anfang Juli" (days 1–10), "Mitte Juli" (11–20), "Ende Juli"; "early/mid/late July".
pub fn part_of_month(d: NaiveDate, lang: Lang) -> String {
    let month = crate::lang::month_name(d, lang);
    let part = match (lang, d.day()) {
        (Lang::De, 1..=10) => "Anfang",
        (Lang::De, 11..=20) => "Mitte",
        (Lang::De, _) => "Ende",
        (Lang::En, 1..=10) => "early",
        (Lang::En, 11..=20) => "mid-",
        (Lang::En, _) => "late",
    };
    match lang {
        Lang::De => format!("{part} {month}"),
        Lang::En if part.ends_with('-') => format!("{part}{month}"),
        Lang::En => format!("{part} {month}"),
    }
}

/// The outlook sentence of a forecast: when the wait (third next available, on an open day) is expected to be at
/// or below the target again — the median date in words, the 85 % date exactly, and the forecast's runs (the seed
/// stays out of the text: it reads like a date, and the provenance line's command reproduces the forecast).
/// "Not within the horizon" is said as such, never turned into a date. `None` when
/// the wait is at the target already (the statement says so).
pub fn outlook(f: &crate::forecast::Forecast, lang: Lang) -> Option<String> {
    let reach = &f.wait_target;
    if reach.reached_as_of {
        return None;
    }
    let target = wait_in_words(f.config.target_wait_days, lang).dative(lang).phrase(lang);
    let runs = integer(u64::from(f.config.runs), lang);
    let horizon = f.config.horizon_days;
    let share = format!("{:.0}", reach.share_within_horizon * 100.0);
    Some(match (lang, reach.p50, reach.p85) {
        (Lang::De, Some(p50), p85) => {
            let by85 = match p85 {
                Some(d) => format!("mit 85 % Wahrscheinlichkeit bis {}", date_long(d, lang)),
                None => format!("ein Datum mit 85 % Wahrscheinlichkeit liegt nicht innerhalb von {horizon} Tagen"),
            };
            format!(
                "Die Wartezeit bis zum drittnächsten freien Termin liegt voraussichtlich bis {} wieder bei \
                    höchstens {target} ({by85}; Prognose aus {runs} Simulationen mit der am {} bekannten \
                    Kapazität).",
                part_of_month(p50, lang),
                date_long(f.as_of, lang)
            )
        }
        (Lang::En, Some(p50), p85) => {
            let by85 = match p85 {
                Some(d) => format!("with 85 % probability by {}", date_long(d, lang)),
                None => format!("a date with 85 % probability is not within {horizon} days"),
            };
            format!(
                "The wait for the third next free appointment is expected to be back to at most {target} by {} \
                    ({by85}; forecast from {runs} simulation runs with the capacity known on {}).",
                part_of_month(p50, lang),
                date_long(f.as_of, lang)
            )
        }
        (Lang::De, None, _) => format!(
            "Dass die Wartezeit in den nächsten {horizon} Tagen wieder bei höchstens {target} liegt, ist nach der \
                Prognose nicht zu erwarten: nur in {share} % der Simulationen geschieht das (Prognose aus {runs} \
                Simulationen mit der am {} bekannten Kapazität).",
            date_long(f.as_of, lang)
        ),
        (Lang::En, None, _) => format!(
            "The forecast does not expect the wait to be back to at most {target} within the next {horizon} days: \
                only {share} % of the simulation runs get there (forecast from {runs} runs with the capacity known \
                on {}).",
            date_long(f.as_of, lang)
        ),
    })
}

/// The sentence of a press statement about a plan not yet decided: when the wait would be back to the target under
/// it, against the plans known today, both with 85 % probability. For a head of office who announces a decision, or
/// weighs one in public; the dates are the comparison's, the same seed for both.
pub fn plan_outlook(c: &crate::forecast::whatif::Comparison, plan: &str, lang: Lang) -> Option<String> {
    let outcome = c.plans.iter().find(|o| o.plan.name == plan)?;
    let target = wait_in_words(c.config.target_wait_days, lang).dative(lang).phrase(lang);
    let runs = integer(u64::from(c.config.runs), lang);
    let horizon = c.config.horizon_days;
    let when = |reach: &crate::forecast::Reach| match (lang, reach.p85) {
        (Lang::De, Some(d)) => format!("mit 85 % Wahrscheinlichkeit bis {}", date_long(d, lang)),
        (Lang::En, Some(d)) => format!("with 85 % probability by {}", date_long(d, lang)),
        (Lang::De, None) => format!("nicht mit 85 % Wahrscheinlichkeit innerhalb von {horizon} Tagen"),
        (Lang::En, None) => format!("not with 85 % probability within {horizon} days"),
    };
    let (with, without) = (when(&outcome.wait_target), when(&c.baseline.wait_target));
    let name = &outcome.plan.name;
    Some(match lang {
        Lang::De => format!(
            "Mit der Maßnahme „{name}“ läge die Wartezeit bis zum drittnächsten freien Termin {with} wieder bei              höchstens {target}, ohne sie {without} (Prognose aus je {runs} Simulationen mit der am {} bekannten              Kapazität).",
            date_long(c.as_of, lang)
        ),
        Lang::En => format!(
            "With the measure \"{name}\" the wait for the third next free appointment would be back to at most              {target} {with}, without it {without} (forecast from {runs} simulation runs each with the capacity              known on {}).",
            date_long(c.as_of, lang)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(days: u32, de: &str, en: &str, approximate: bool) {
        let w = wait_in_words(days, Lang::De);
        assert_eq!((w.words.as_str(), w.approximate), (de, approximate), "{days} days in German");
        let w = wait_in_words(days, Lang::En);
        assert_eq!((w.words.as_str(), w.approximate), (en, approximate), "{days} days in English");
    }

    #[test]
    fn waits_round_to_half_weeks() {
        check(1, "ein Tag", "one day", false);
        check(5, "fünf Tage", "five days", false);
        check(7, "eine Woche", "one week", false);
        check(8, "eine Woche", "one week", true);
        check(9, "anderthalb Wochen", "one and a half weeks", true);
        check(11, "anderthalb Wochen", "one and a half weeks", true);
        check(14, "zwei Wochen", "two weeks", false);
        check(17, "zweieinhalb Wochen", "two and a half weeks", true);
        check(18, "zweieinhalb Wochen", "two and a half weeks", true);
        check(19, "zweieinhalb Wochen", "two and a half weeks", true);
        check(20, "drei Wochen", "three weeks", true);
        check(21, "drei Wochen", "three weeks", false);
        check(22, "drei Wochen", "three weeks", true);
        check(23, "dreieinhalb Wochen", "three and a half weeks", true);
        check(24, "dreieinhalb Wochen", "three and a half weeks", true);
        check(42, "sechs Wochen", "six weeks", false);
        check(70, "zwei Monate", "two months", true);
    }

    #[test]
    fn rounded_words_get_rund() {
        assert_eq!(wait_in_words(17, Lang::De).phrase(Lang::De), "rund zweieinhalb Wochen");
        assert_eq!(wait_in_words(21, Lang::De).phrase(Lang::De), "drei Wochen");
        assert_eq!(wait_in_words(20, Lang::En).phrase(Lang::En), "about three weeks");
    }

    #[test]
    fn german_waits_take_the_dative_after_von() {
        let dative = |days| wait_in_words(days, Lang::De).dative(Lang::De).phrase(Lang::De);
        assert_eq!(dative(1), "einem Tag");
        assert_eq!(dative(5), "fünf Tagen");
        assert_eq!(dative(7), "einer Woche");
        assert_eq!(dative(20), "rund drei Wochen");
        assert_eq!(dative(70), "rund zwei Monaten");
        assert_eq!(days_after_preposition(1, Lang::De), "1 Tag");
        assert_eq!(days_after_preposition(21, Lang::En), "21 days");
    }

    #[test]
    fn counts_never_overstate() {
        assert_eq!(count_in_words(1043, Lang::De), "mehr als 1.000");
        assert_eq!(count_in_words(1043, Lang::En), "more than 1,000");
        assert_eq!(count_in_words(1530, Lang::De), "mehr als 1.500");
        assert_eq!(count_in_words(1000, Lang::De), "1.000");
        assert_eq!(count_in_words(987, Lang::De), "mehr als 980");
        assert_eq!(count_in_words(43, Lang::De), "43");
        assert_eq!(count_in_words(12345, Lang::De), "mehr als 12.000");
    }

    #[test]
    fn numbers_and_dates_follow_the_language() {
        assert_eq!(integer(1234567, Lang::De), "1.234.567");
        assert_eq!(integer(999, Lang::En), "999");
        let d: NaiveDate = "2020-06-24".parse().unwrap();
        assert_eq!(date_long(d, Lang::De), "24. Juni 2020");
        assert_eq!(date_long(d, Lang::En), "24 June 2020");
        assert_eq!(date_short(d, Lang::De), "24.06.2020");
    }
}
