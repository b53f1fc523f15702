//! The two languages of everything wartezeit writes for people — German (the offices' language, the default) and
//! English — with the number and date formats that go with them: "1.000" and "24.06.2020" in German, "1,000" and
//! "2020-06-24" in English. Charts, the press statement and tables all format through here.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

/// A language of text for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// German: the language of the offices and their council.
    #[default]
    De,
    /// English.
    En,
}

/// A language code that is neither `de` nor `en`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("language {0:?} is not supported, use \"de\" or \"en\"")]
pub struct UnknownLang(pub String);

impl FromStr for Lang {
    type Err = UnknownLang;
    fn from_str(s: &str) -> Result<Self, UnknownLang> {
        match s {
            "de" => Ok(Lang::De),
            "en" => Ok(Lang::En),
            other => Err(UnknownLang(other.to_owned())),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lang::De => "de",
            Lang::En => "en",
        })
    }
}

/// An integer with the language's thousands separator: "1.043" or "1,043".
pub fn integer(n: u64, lang: Lang) -> String {
    let separator = match lang {
        Lang::De => '.',
        Lang::En => ',',
    };
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

/// A share as a percentage with one decimal, the one precision every view uses: "51,5 %" or "51.5 %".
pub fn percent(share: f64, lang: Lang) -> String {
    let text = format!("{:.1} %", share * 100.0);
    match lang {
        Lang::De => text.replace('.', ","),
        Lang::En => text,
    }
}

/// A date in tables and labels: "24.06.2020" or "2020-06-24".
pub fn date_short(d: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::De => d.format("%d.%m.%Y").to_string(),
        Lang::En => d.format("%Y-%m-%d").to_string(),
    }
}

const MONTHS_DE: [&str; 12] = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// The name of a date's month: "Juni", "June".
pub fn month_name(d: NaiveDate, lang: Lang) -> &'static str {
    match lang {
        Lang::De => MONTHS_DE[d.month0() as usize],
        Lang::En => MONTHS_EN[d.month0() as usize],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_dates_and_codes_follow_the_language() {
        assert_eq!(integer(1_234_567, Lang::De), "1.234.567");
        assert_eq!(integer(1_043, Lang::En), "1,043");
        assert_eq!(integer(999, Lang::De), "999");
        let d: NaiveDate = "2020-06-24".parse().unwrap();
        assert_eq!(date_short(d, Lang::De), "24.06.2020");
        assert_eq!(date_short(d, Lang::En), "2020-06-24");
        assert_eq!((month_name(d, Lang::De), month_name(d, Lang::En)), ("Juni", "June"));
        assert_eq!("en".parse::<Lang>(), Ok(Lang::En));
        assert_eq!("fr".parse::<Lang>(), Err(UnknownLang("fr".into())));
        assert_eq!(Lang::De.to_string(), "de");
    }
}
