//! The flow chart: per ISO week, bookings (one bar) against served requests (a second bar, appointments and
//! walk-ins stacked). When the served bar stays below the booking bar week after week, the backlog grows.
//!
//! The first and last week count only their days inside the period; a reader comparing bars should know that the
//! edge weeks may be partial, so their bars are drawn lighter.

use chrono::{Datelike, Duration, NaiveDate};
use plotters::prelude::DrawingBackend;
use plotters::style::Color;

use crate::chart::canvas::{Canvas, LegendItem, Mark, PALETTE};
use crate::chart::frame::{self, Axes, Tick};
use crate::chart::text::{self, Lang};
use crate::chart::{ChartError, ChartView};

/// One ISO week's sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Week {
    /// The Monday of the week.
    pub monday: NaiveDate,
    /// All seven days lie in the period.
    pub whole: bool,
    pub bookings: u32,
    pub served_appointments: u32,
    pub served_walk_in: u32,
}

/// The weeks touching the period, in order, with the sums of their rows.
pub(crate) fn weeks(view: &ChartView) -> Vec<Week> {
    let monday = |d: NaiveDate| d - Duration::days(i64::from(d.weekday().num_days_from_monday()));
    let first = monday(view.from);
    let count = (monday(view.to) - first).num_days() / 7 + 1;
    let mut weeks: Vec<Week> = (0..count)
        .map(|i| {
            let monday = first + Duration::weeks(i);
            let whole = monday >= view.from && monday + Duration::days(6) <= view.to;
            Week { monday, whole, bookings: 0, served_appointments: 0, served_walk_in: 0 }
        })
        .collect();
    for row in &view.rows {
        let week = &mut weeks[((monday(row.date) - first).num_days() / 7) as usize];
        week.bookings += row.bookings;
        week.served_appointments += row.served_appointments;
        week.served_walk_in += row.served_walk_in;
    }
    weeks
}

/// The period shows nothing: no booking and no one served.
pub(crate) fn is_empty(view: &ChartView) -> bool {
    view.rows.iter().all(|r| r.bookings == 0 && r.served_appointments == 0 && r.served_walk_in == 0)
}

pub(crate) fn draw<DB: DrawingBackend>(canvas: &Canvas<'_, DB>, view: &ChartView) -> Result<(), ChartError> {
    let lang = canvas.lang;
    let top = canvas.header(text::FLOW_TITLE.pick(lang), view)?;
    if is_empty(view) {
        return canvas.no_data(top);
    }
    let weeks = weeks(view);
    let (booked, appointments, walk_in) = (PALETTE[0], PALETTE[2], PALETTE[4]);
    let legend = vec![
        LegendItem { label: text::BOOKINGS.pick(lang).to_owned(), mark: Mark::Fill(booked.to_rgba()) },
        LegendItem { label: text::SERVED_APPOINTMENTS.pick(lang).to_owned(), mark: Mark::Fill(appointments.to_rgba()) },
        LegendItem { label: text::SERVED_WALK_IN.pick(lang).to_owned(), mark: Mark::Fill(walk_in.to_rgba()) },
    ];
    let (rows, legend_h) = canvas.legend_rows(&legend)?;
    let legend_top = canvas.height - canvas.sizes.pad / 2 - legend_h;

    let y_max = weeks.iter().map(|w| w.bookings.max(w.served_appointments + w.served_walk_in)).max().unwrap_or(0);
    let axes = Axes {
        y_title: text::FLOW_AXIS.pick(lang),
        x_title: text::WEEK_AXIS.pick(lang),
        x: (0.0, weeks.len() as f64),
        y_max: f64::from(y_max) * 1.05,
    };
    let frame = frame::layout(canvas, &axes, top, legend_top)?;

    for (i, week) in weeks.iter().enumerate() {
        let x = i as f64;
        // Partial edge weeks are drawn lighter: their bars are not comparable with whole weeks.
        let alpha = if week.whole { 1.0 } else { 0.45 };
        let bar = |from: f64, to: f64, lo: u32, hi: u32, color: plotters::style::RGBColor| {
            let (x0, x1) = (frame.px(x + from), frame.px(x + to));
            canvas.rect((x0, frame.py(f64::from(lo))), (x1.max(x0 + 1), frame.py(f64::from(hi))), color.mix(alpha))
        };
        if week.bookings > 0 {
            bar(0.12, 0.48, 0, week.bookings, booked)?;
        }
        if week.served_appointments > 0 {
            bar(0.52, 0.88, 0, week.served_appointments, appointments)?;
        }
        if week.served_walk_in > 0 {
            let top = week.served_appointments + week.served_walk_in;
            bar(0.52, 0.88, week.served_appointments, top, walk_in)?;
        }
    }
    frame::x_ticks(canvas, &frame, week_candidates(&weeks, lang))?;
    canvas.legend(&legend, &rows, legend_top)
}

/// Tick sets for the week axis, finest first: every week, then every 2nd, 4th, 8th, 13th, 26th, 52nd.
fn week_candidates(weeks: &[Week], lang: Lang) -> Vec<Vec<Tick>> {
    let years_differ =
        weeks.first().map(|w| w.monday.iso_week().year()) != weeks.last().map(|w| w.monday.iso_week().year());
    [1, 2, 4, 8, 13, 26, 52]
        .into_iter()
        .map(|every| {
            weeks
                .iter()
                .enumerate()
                .filter(|(i, _)| i % every == 0)
                .map(|(i, w)| {
                    let with_year = years_differ && (i == 0 || w.monday.iso_week().week() <= every as u32);
                    (i as f64 + 0.5, text::iso_week(w.monday, with_year, lang))
                })
                .collect()
        })
        .collect()
}
