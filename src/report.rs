//! Renderings of projection views for people and spreadsheets: aligned tables and CSV. Pure: views in, text out.
//! JSON needs no help here: the views serialize with serde in their documented key order.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::press::words::{Lang, date_short, integer};
use crate::projection::{Attribution, Change, OfficeInfo, Summary};
use crate::read::SeriesRow;

mod forecast;
pub use forecast::{backtest_table, forecast_table};
mod whatif;
pub use whatif::{capacity_table, whatif_table};

/// An aligned table: a header row and data rows, right-aligned but for the first column.
fn table(header: &[String], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header).chain(rows.iter().map(Vec::as_slice)) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i == 0 {
                let _ = write!(line, "{cell:<w$}");
            } else {
                let _ = write!(line, "  {cell:>w$}");
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// At most `max` characters, with an ellipsis when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut cut: String = s.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

fn opt(v: Option<u32>) -> String {
    v.map_or_else(|| "–".to_owned(), |v| v.to_string())
}

/// The series as an aligned table; headings and dates in `lang`.
pub fn series_table(rows: &[SeriesRow], lang: Lang, observed: bool) -> String {
    let mut header: Vec<String> = match lang {
        Lang::De => [
            "Datum",
            "offen",
            "verdrängt",
            "Buchungen",
            "bedient",
            "ohne Termin",
            "storniert",
            "nicht erschienen",
            "Kapazität",
            "gebucht",
            "nächster",
            "drittnächster",
            "Wartezeit p50",
            "p90",
        ],
        Lang::En => [
            "date",
            "backlog",
            "displaced",
            "bookings",
            "served",
            "walk-ins",
            "cancelled",
            "no-shows",
            "capacity",
            "booked",
            "next",
            "third next",
            "wait p50",
            "p90",
        ],
    }
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if observed {
        let seen: [&str; 3] = match lang {
            Lang::De => ["Beobachtungen", "Kalender nächster", "Kalender frei 28 T."],
            Lang::En => ["observations", "calendar next", "calendar free 28 d"],
        };
        header.extend(seen.map(str::to_owned));
    }
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            let r = &row.day;
            let mut cells = vec![
                date_short(r.date, lang),
                integer(u64::from(r.backlog), lang),
                r.displaced.to_string(),
                r.bookings.to_string(),
                r.served_appointments.to_string(),
                r.served_walk_in.to_string(),
                r.cancellations.to_string(),
                r.no_shows.to_string(),
                r.capacity.to_string(),
                r.booked.to_string(),
                opt(r.next_available_days),
                opt(r.third_next_available_days),
                opt(r.realized_wait_p50_days),
                opt(r.realized_wait_p90_days),
            ];
            if observed {
                let o = &row.observed;
                cells.extend([
                    o.observations.to_string(),
                    opt(o.observed_next_available_days),
                    opt(o.observed_free_next_28d),
                ]);
            }
            cells
        })
        .collect();
    table(&header, &body)
}

/// The series as CSV with a header; the backlog per service becomes one `backlog_<service>` column per service
/// seen in the rows; nulls are empty cells.
pub fn series_csv(rows: &[SeriesRow], observed: bool) -> String {
    let services: BTreeSet<_> = rows.iter().flat_map(|r| r.day.backlog_by_service.keys()).collect();
    let mut out = String::from("date,backlog");
    for s in &services {
        let _ = write!(out, ",backlog_{s}");
    }
    out.push_str(
        ",displaced,bookings,served_appointments,served_walk_in,cancellations,no_shows,capacity,booked,\
         next_available_days,third_next_available_days,realized_wait_p50_days,realized_wait_p90_days",
    );
    if observed {
        out.push_str(
            ",observations,observed_next_available_days,observed_third_next_available_days,observed_free_next_28d,\
             observed_taken,observed_released",
        );
    }
    out.push('\n');
    let cell = |v: Option<u32>| v.map_or_else(String::new, |v| v.to_string());
    for row in rows {
        let r = &row.day;
        let _ = write!(out, "{},{}", r.date, r.backlog);
        for s in &services {
            let _ = write!(out, ",{}", r.backlog_by_service.get(*s).copied().unwrap_or(0));
        }
        let _ = write!(
            out,
            ",{},{},{},{},{},{},{},{},{},{},{},{}",
            r.displaced,
            r.bookings,
            r.served_appointments,
            r.served_walk_in,
            r.cancellations,
            r.no_shows,
            r.capacity,
            r.booked,
            cell(r.next_available_days),
            cell(r.third_next_available_days),
            cell(r.realized_wait_p50_days),
            cell(r.realized_wait_p90_days),
        );
        if observed {
            let o = &row.observed;
            let _ = write!(
                out,
                ",{},{},{},{},{},{}",
                o.observations,
                cell(o.observed_next_available_days),
                cell(o.observed_third_next_available_days),
                cell(o.observed_free_next_28d),
                o.observed_taken,
                o.observed_released
            );
        }
        out.push('\n');
    }
    out
}

/// The summary for people: each headline figure today, seven days earlier, and the change.
pub fn summary_text(s: &Summary, lang: Lang) -> String {
    let delta = |c: Change<Option<u32>>| match (c.today, c.seven_days_earlier) {
        (Some(a), Some(b)) => format!("{:+}", i64::from(a) - i64::from(b)),
        _ => "–".to_owned(),
    };
    let some = |c: Change<u32>| Change { today: Some(c.today), seven_days_earlier: Some(c.seven_days_earlier) };
    let line =
        |label: &str, c: Change<Option<u32>>| vec![label.to_owned(), opt(c.today), opt(c.seven_days_earlier), delta(c)];
    let office = match &s.office_name {
        Some(name) => format!("{name} ({})", s.office),
        None => s.office.to_string(),
    };
    let (title, header, labels) = match lang {
        Lang::De => (
            format!("{office}, Stand {}", date_short(s.as_of, lang)),
            ["", "heute", "vor 7 Tagen", "Änderung"],
            [
                "offene Anliegen",
                "davon auf geschlossenen Tagen",
                "nächster freier Termin (Tage)",
                "drittnächster freier Termin (Tage)",
                "realisierte Wartezeit p50, 7 Tage (Tage)",
                "realisierte Wartezeit p90, 7 Tage (Tage)",
            ],
        ),
        Lang::En => (
            format!("{office}, as of {}", date_short(s.as_of, lang)),
            ["", "today", "7 days earlier", "change"],
            [
                "open requests (backlog)",
                "of which on closed days (displaced)",
                "next available appointment (days)",
                "third next available (days)",
                "realized wait p50, 7 days (days)",
                "realized wait p90, 7 days (days)",
            ],
        ),
    };
    let rows = vec![
        line(labels[0], some(s.backlog)),
        line(labels[1], some(s.displaced)),
        line(labels[2], s.next_available_days),
        line(labels[3], s.third_next_available_days),
        line(labels[4], s.realized_wait_p50_days_7d),
        line(labels[5], s.realized_wait_p90_days_7d),
    ];
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    let mut out = format!("{title}\n\n{}", table(&header, &rows));
    let t = &s.today;
    let services: Vec<String> = t
        .backlog_by_service
        .iter()
        .map(|(k, v)| format!("{} {v}", s.service_names.get(k).map_or(k.as_str(), String::as_str)))
        .collect();
    let _ = match lang {
        Lang::De => write!(
            out,
            "\nheute: Kapazität {}, gebucht {}, Buchungen {}, bedient {} mit und {} ohne Termin, {} storniert, {} nicht \
             erschienen\noffen nach Dienstleistung: {}\n",
            t.capacity,
            t.booked,
            t.bookings,
            t.served_appointments,
            t.served_walk_in,
            t.cancellations,
            t.no_shows,
            if services.is_empty() { "–".to_owned() } else { services.join(", ") }
        ),
        Lang::En => write!(
            out,
            "\ntoday: capacity {}, booked {}, bookings {}, served {} by appointment and {} walk-in, {} cancelled, {} \
             no-shows\nopen by service: {}\n",
            t.capacity,
            t.booked,
            t.bookings,
            t.served_appointments,
            t.served_walk_in,
            t.cancellations,
            t.no_shows,
            if services.is_empty() { "–".to_owned() } else { services.join(", ") }
        ),
    };
    out
}

/// The offices as a table.
pub fn offices_table(offices: &[OfficeInfo]) -> String {
    let header = ["office", "name", "state", "first event", "last event", "events"].map(str::to_owned);
    let rows: Vec<Vec<String>> = offices
        .iter()
        .map(|o| {
            vec![
                o.office.to_string(),
                o.name.clone().unwrap_or_default(),
                o.state.map_or("", |s| s.code()).to_owned(),
                o.first_event_date.to_string(),
                o.last_event_date.to_string(),
                o.events.to_string(),
            ]
        })
        .collect();
    table(&header, &rows)
}

/// The attribution of the office people know as `office` as a table: per cause, then per named period, with the
/// totals.
pub fn attribution_table(a: &Attribution, office: &str, lang: Lang) -> String {
    let pct = |x: f64| crate::lang::percent(x, lang);
    let days = |x: f64| format!("{x:.1}");
    let header: Vec<String> = match lang {
        Lang::De => ["Ursache / Zeitraum", "verlorene Termine", "Tage", "Arbeitstage", "Anteil"],
        Lang::En => ["cause / period", "lost slots", "days", "working days", "share"],
    }
    .map(str::to_owned)
    .to_vec();
    let mut rows = Vec::new();
    for (cause, loss) in &a.by_cause {
        rows.push(vec![
            cause.as_str().to_owned(),
            integer(loss.lost_slots, lang),
            loss.days.to_string(),
            days(loss.working_days),
            pct(loss.share_of_planned),
        ]);
    }
    for p in &a.by_period {
        let label = if p.label.is_empty() || p.label == p.id {
            p.id.clone()
        } else {
            format!("{} ({})", p.id, shorten(&p.label, 40))
        };
        rows.push(vec![
            if p.first_day == p.last_day {
                format!("  {label}, {}", date_short(p.first_day, lang))
            } else {
                format!("  {label}, {}–{}", date_short(p.first_day, lang), date_short(p.last_day, lang))
            },
            integer(p.loss.lost_slots, lang),
            p.loss.days.to_string(),
            days(p.loss.working_days),
            pct(p.loss.share_of_planned),
        ]);
    }
    let total = match lang {
        Lang::De => "gesamt",
        Lang::En => "total",
    };
    let working = if a.normal_daily_slots > 0.0 { a.lost_slots as f64 / a.normal_daily_slots } else { 0.0 };
    rows.push(vec![
        total.to_owned(),
        integer(a.lost_slots, lang),
        String::new(),
        days(working),
        pct(a.share_of_planned),
    ]);
    let title = match lang {
        Lang::De => format!(
            "{office}: verlorene Kapazität {}–{} (geplant {} Termine, ein normaler Arbeitstag = {:.0} Termine)\n\n",
            date_short(a.from, lang),
            date_short(a.to, lang),
            integer(a.planned_slots, lang),
            a.normal_daily_slots
        ),
        Lang::En => format!(
            "{office}: lost capacity {} to {} (planned {} slots, a normal working day = {:.0} slots)\n\n",
            date_short(a.from, lang),
            date_short(a.to, lang),
            integer(a.planned_slots, lang),
            a.normal_daily_slots
        ),
    };
    title + &table(&header, &rows)
}
