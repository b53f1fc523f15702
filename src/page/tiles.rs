//! The headline tiles: one figure each, with its change against seven days earlier.
//!
//! A tile is plain data, so that a new figure (the forecast's "wieder normal voraussichtlich …") is one more
//! [`Tile`] pushed onto the list, with a [`Figure::Date`] and no change.

use std::fmt::Write as _;

use chrono::{Days, NaiveDate};

use crate::lang::Lang;
use crate::page::html::escape;
use crate::page::words::{self, Words};
use crate::projection::Summary;

/// A figure as a tile shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// A count: "1.043".
    Count(u32),
    /// A wait in days; `None` when there is none (no free slot within the horizon, no booking), with the words
    /// to say so.
    Days(Option<u32>, Words),
    /// A day: "29.07.2020"; `None` with the words to say why there is none.
    Date(Option<NaiveDate>, Words),
}

impl Figure {
    /// The number behind the figure, for comparing: counts and days; `None` for dates and missing values.
    fn number(&self) -> Option<i64> {
        match *self {
            Figure::Count(n) => Some(i64::from(n)),
            Figure::Days(d, _) => d.map(i64::from),
            Figure::Date(..) => None,
        }
    }

    /// The raw value for machines (`data-value`): the number, the ISO date, or empty.
    fn raw(&self) -> String {
        match *self {
            Figure::Count(n) => n.to_string(),
            Figure::Days(d, _) => d.map(|d| d.to_string()).unwrap_or_default(),
            Figure::Date(d, _) => d.map(|d| d.to_string()).unwrap_or_default(),
        }
    }

    /// The figure in words: "1.043", "21 Tage", "kein freier Termin", "29.07.2020".
    pub fn text(&self, lang: Lang) -> String {
        match *self {
            Figure::Count(n) => crate::lang::integer(u64::from(n), lang),
            Figure::Days(Some(d), _) => words::days(d, lang),
            Figure::Date(Some(d), _) => words::date(d, lang),
            Figure::Days(None, none) | Figure::Date(None, none) => none.pick(lang).to_owned(),
        }
    }
}

/// Why a figure stands where it does, in a line under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The realized wait's window: bookings made on these days (inclusive).
    BookedBetween(NaiveDate, NaiveDate),
    /// Free text in both languages, for figures that bring their own explanation.
    Text { de: String, en: String },
}

impl Note {
    fn text(&self, lang: Lang) -> String {
        match self {
            Note::BookedBetween(first, last) => words::booked_between(*first, *last, lang),
            Note::Text { de, en } => match lang {
                Lang::De => de.clone(),
                Lang::En => en.clone(),
            },
        }
    }
}

/// One headline tile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tile {
    /// A stable id for links, styles and tests: `backlog`, `next-available`, …
    pub id: &'static str,
    pub title: Words,
    pub figure: Figure,
    /// The same figure on an earlier day, for the change; `None` shows no change.
    pub earlier: Option<(NaiveDate, Figure)>,
    pub note: Option<Note>,
}

/// The four headline tiles of a summary: open requests, next and third next free appointment, realized wait
/// (median of the bookings of the last seven days), each against seven days earlier.
pub fn from_summary(summary: &Summary) -> Vec<Tile> {
    let as_of = summary.as_of;
    let earlier = as_of.checked_sub_days(Days::new(7)).unwrap_or(as_of);
    let week_start = |d: NaiveDate| d.checked_sub_days(Days::new(6)).unwrap_or(d);
    let days = |d: Option<u32>, none: Words| Figure::Days(d, none);
    let (next, third, p50) =
        (&summary.next_available_days, &summary.third_next_available_days, &summary.realized_wait_p50_days_7d);
    vec![
        Tile {
            id: "backlog",
            title: words::BACKLOG,
            figure: Figure::Count(summary.backlog.today),
            earlier: Some((earlier, Figure::Count(summary.backlog.seven_days_earlier))),
            note: None,
        },
        Tile {
            id: "next-available",
            title: words::NEXT_AVAILABLE,
            figure: days(next.today, words::NONE_FREE),
            earlier: Some((earlier, days(next.seven_days_earlier, words::NONE_FREE))),
            note: None,
        },
        Tile {
            id: "third-next-available",
            title: words::THIRD_NEXT,
            figure: days(third.today, words::NONE_FREE),
            earlier: Some((earlier, days(third.seven_days_earlier, words::NONE_FREE))),
            note: None,
        },
        Tile {
            id: "realized-wait",
            title: words::REALIZED_WAIT,
            figure: days(p50.today, words::NONE_BOOKED),
            earlier: Some((earlier, days(p50.seven_days_earlier, words::NONE_BOOKED))),
            note: Some(Note::BookedBetween(week_start(as_of), as_of)),
        },
    ]
}

/// The tiles of what the public online calendar showed: its next free slot against seven days earlier, under it
/// when it was last observed; for an office with observed figures only, also the third next free slot and the
/// free slots of the next 28 days.
pub fn from_observed(headline: &crate::read::ObservedHeadline) -> Vec<Tile> {
    let seen = &headline.seen;
    let (date, time) = (seen.at.date_naive(), seen.at.format("%H:%M"));
    let note = Note::Text {
        de: format!("Stand der Beobachtung: {}, {time} Uhr", words::date(date, Lang::De)),
        en: format!("Observed: {}, {time}", words::date(date, Lang::En)),
    };
    let wait = |pick: fn(&crate::projection::ObservedDay) -> Option<u32>| {
        let figure = Figure::Days(pick(&seen.figures), words::NONE_FREE);
        let earlier = headline
            .seven_days_earlier
            .as_ref()
            .map(|before| (before.at.date_naive(), Figure::Days(pick(&before.figures), words::NONE_FREE)));
        (figure, earlier)
    };
    let (figure, earlier) = wait(|d| d.observed_next_available_days);
    let mut tiles =
        vec![Tile { id: "observed-next-available", title: words::OBSERVED_NEXT, figure, earlier, note: Some(note) }];
    if !headline.booked {
        let (figure, earlier) = wait(|d| d.observed_third_next_available_days);
        tiles.push(Tile {
            id: "observed-third-next-available",
            title: words::OBSERVED_THIRD,
            figure,
            earlier,
            note: None,
        });
        tiles.push(Tile {
            id: "observed-free-28d",
            title: words::OBSERVED_FREE_28D,
            figure: Figure::Count(seen.figures.observed_free_next_28d.unwrap_or(0)),
            earlier: None,
            note: None,
        });
    }
    tiles
}

/// The forecast's tile: the day by which half of the simulated runs have the third next free appointment back
/// within the target wait, with the 85 % day and the target under it.
pub fn from_forecast(f: &crate::forecast::Forecast) -> Tile {
    let reach = &f.wait_target;
    let figure = if reach.reached_as_of {
        Figure::Date(None, words::ALREADY_NORMAL)
    } else {
        Figure::Date(reach.p50, words::NOT_WITHIN_HORIZON)
    };
    let target = f.config.target_wait_days;
    let (by85_de, by85_en) = match reach.p85 {
        Some(d) => {
            (format!("85 %: bis {}", words::date(d, Lang::De)), format!("85 %: by {}", words::date(d, Lang::En)))
        }
        None => ("85 %: nicht absehbar".to_owned(), "85 %: not within the horizon".to_owned()),
    };
    Tile {
        id: "back-to-normal",
        title: words::BACK_TO_NORMAL,
        figure,
        earlier: None,
        note: Some(Note::Text {
            de: format!(
                "{by85_de} · drittnächster Termin in höchstens {} · {} Simulationen",
                // Dative after "in": "in höchstens 7 Tagen".
                if target == 1 {
                    "1 Tag".to_owned()
                } else {
                    format!("{} Tagen", crate::lang::integer(u64::from(target), Lang::De))
                },
                crate::lang::integer(u64::from(f.config.runs), Lang::De)
            ),
            en: format!(
                "{by85_en} · third next appointment within {} · {} simulations",
                words::days(target, Lang::En),
                crate::lang::integer(u64::from(f.config.runs), Lang::En)
            ),
        }),
    }
}

/// The change from `before` to `now`: "▲ +12", "▼ −3", "±0", with the CSS class that colours it. Every figure of
/// the tiles is better when lower, so a rise is marked as worse.
pub fn change(now: i64, before: i64, lang: Lang) -> (String, &'static str) {
    let d = now - before;
    let magnitude = crate::lang::integer(d.unsigned_abs(), lang);
    match d.signum() {
        1 => (format!("▲ +{magnitude}"), "worse"),
        -1 => (format!("▼ −{magnitude}"), "better"),
        _ => ("±0".to_owned(), "same"),
    }
}

/// Writes one tile as a `<div class="tile">`.
pub fn write(out: &mut String, tile: &Tile, lang: Lang) {
    let _ = write!(
        out,
        "<div class=\"tile\" id=\"tile-{id}\"><h3>{title}</h3><p class=\"figure\" data-value=\"{raw}\">{figure}</p>",
        id = escape(tile.id),
        title = escape(tile.title.pick(lang)),
        raw = escape(&tile.figure.raw()),
        figure = escape(&tile.figure.text(lang)),
    );
    if let Some((day, before)) = &tile.earlier {
        let versus = escape(&words::versus(*day, lang));
        match (tile.figure.number(), before.number()) {
            (Some(now), Some(then)) => {
                let (text, class) = change(now, then, lang);
                let _ = write!(out, "<p class=\"change {class}\">{} {versus}</p>", escape(&text));
            }
            // Without two numbers there is no difference to show; the earlier figure itself is shown instead.
            _ => {
                let _ = write!(out, "<p class=\"change\">{versus}: {}</p>", escape(&before.text(lang)));
            }
        }
    }
    if let Some(note) = &tile.note {
        let _ = write!(out, "<p class=\"note\">{}</p>", escape(&note.text(lang)));
    }
    out.push_str("</div>\n");
}
