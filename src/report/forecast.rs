//! The forecast and its back-test as text for people, in German or English. Pure: a forecast (or a back-test
//! report) in, text out; the JSON of both is their serde form.

use chrono::NaiveDate;

use crate::forecast::backtest::{Actual, BacktestPoint, BacktestReport, ChangedAfter};
use crate::forecast::{Forecast, ForecastConfig, Reach};
use crate::lang::{Lang, date_short, integer};

/// German or English, picked by `lang`.
fn t<'a>(lang: Lang, de: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

/// A number with one decimal in the language's notation.
fn decimal(x: f64, lang: Lang) -> String {
    let text = format!("{x:.1}");
    match lang {
        Lang::De => text.replace('.', ","),
        Lang::En => text,
    }
}

fn days_word(n: i64, lang: Lang) -> &'static str {
    match (lang, n.abs() == 1) {
        (Lang::De, true) => "Tag",
        (Lang::De, false) => "Tage",
        (Lang::En, true) => "day",
        (Lang::En, false) => "days",
    }
}

fn reach_line(label: &str, reach: &Reach, lang: Lang) -> String {
    let when = |d: Option<NaiveDate>| {
        d.map_or_else(|| t(lang, "nicht im Horizont", "not within the horizon").to_owned(), |d| date_short(d, lang))
    };
    let already = if reach.reached_as_of {
        t(lang, " (am Stichtag schon erreicht)", " (already there on the as-of day)")
    } else {
        ""
    };
    format!(
        "{label:<22} 50 %: {:<23} 85 %: {:<23} 95 %: {}{already}\n",
        when(reach.p50),
        when(reach.p85),
        when(reach.p95)
    )
}

/// The forecast as a table for people.
pub fn forecast_table(f: &Forecast, lang: Lang) -> String {
    let o = &f.observed;
    let c = &f.config;
    let days = |wait: Option<u32>| wait.map_or_else(|| format!("> {}", c.wait_horizon_days), |w| w.to_string());
    let mut s = match lang {
        Lang::De => format!(
            "Prognose für {} zum {} ({} Läufe, Startwert {}, Horizont {} Tage bis {})\n",
            f.office,
            date_short(f.as_of, lang),
            integer(u64::from(c.runs), lang),
            c.seed,
            c.horizon_days,
            date_short(f.horizon_end, lang)
        ),
        Lang::En => format!(
            "Forecast for {} as of {} ({} runs, seed {}, horizon {} days to {})\n",
            f.office,
            date_short(f.as_of, lang),
            integer(u64::from(c.runs), lang),
            c.seed,
            c.horizon_days,
            date_short(f.horizon_end, lang)
        ),
    };
    s += &match lang {
        Lang::De => format!(
            "Jetzt: {} offene Anliegen, nächster freier Termin in {} Tagen\n",
            o.backlog,
            days(o.next_available_days)
        ),
        Lang::En => {
            format!("Now: backlog {}, next available slot in {} days\n", o.backlog, days(o.next_available_days))
        }
    };
    let by_weekday: Vec<String> = o.bookings_by_weekday.iter().map(|b| decimal(*b, lang)).collect();
    let cancel = o.cancellation_rate_by_weekday.iter().copied().fold(0.0, f64::max) * 100.0;
    let (first, last) = (date_short(o.window_first_day, lang), date_short(o.window_last_day, lang));
    s += &match lang {
        Lang::De => format!(
            "Gelernt aus {} Öffnungstagen vom {first} bis {last}: Buchungen Mo–So {}; Stornierungen bis zu {} % \
             der offenen Anliegen am Tag; nicht erschienen {} %\n",
            o.open_days,
            by_weekday.join(" "),
            format!("{cancel:.2}").replace('.', ","),
            decimal(o.no_show_rate * 100.0, lang)
        ),
        Lang::En => format!(
            "Fitted on {} open days {first} to {last}: bookings Mon–Sun {}; cancellations up to {cancel:.2} % of the \
             backlog a day; no-shows {} %\n",
            o.open_days,
            by_weekday.join(" "),
            decimal(o.no_show_rate * 100.0, lang)
        ),
    };
    for d in &o.dropped_demand {
        let (from, per_day) = (date_short(d.from, lang), decimal(d.mean_bookings_per_open_day, lang));
        s += &match lang {
            Lang::De => format!(
                "Ab {from} nicht mitgerechnet: {} ({per_day} Buchungen je Öffnungstag), dann ohne Termin\n",
                d.service
            ),
            Lang::En => format!(
                "Left out from {from}: {} ({per_day} bookings per open day), which needs no appointment then\n",
                d.service
            ),
        };
    }
    for fu in &o.follow_ups {
        let r = &fu.rule;
        let after: Vec<&str> = r.after.iter().map(|s| s.as_str()).collect();
        let (expected, per_ended) =
            (format!("{:.0}", fu.expected_from_attended), decimal(fu.per_ended_appointment, lang));
        s += &match lang {
            Lang::De => format!(
                "Folgetermine: {} gebucht {}–{} Tage nach jedem wahrgenommenen Termin für {}: noch {expected} aus \
                 Terminen bis {}, danach {per_ended} je beendetem Termin der anderen Dienstleistungen",
                r.service,
                r.lag_days[0],
                r.lag_days[1],
                after.join(" oder "),
                date_short(f.as_of, lang)
            ),
            Lang::En => format!(
                "Follow-ups: {} booked {}–{} days after each attended {}: {expected} still to come from appointments \
                 attended by {}, then {per_ended} per ended appointment of the other services",
                r.service,
                r.lag_days[0],
                r.lag_days[1],
                after.join(" or "),
                date_short(f.as_of, lang)
            ),
        };
        s += &match (fu.appointment_free_from, lang) {
            (Some(day), Lang::De) => format!("; ab {} ohne Termin\n", date_short(day, lang)),
            (Some(day), Lang::En) => format!("; none booked from {} (no appointment needed)\n", date_short(day, lang)),
            (None, _) => "\n".to_owned(),
        };
    }
    s += "\n";
    let wait_label = match lang {
        Lang::De => format!("Wartezeit ≤ {} Tage", f.wait_target.level),
        Lang::En => format!("Wait ≤ {} days", f.wait_target.level),
    };
    s += &reach_line(&wait_label, &f.wait_target, lang);
    let backlog_label = format!("{} ≤ {}", t(lang, "Offene Anliegen", "Backlog"), f.backlog_target.level);
    s += &reach_line(&backlog_label, &f.backlog_target, lang);
    s += "\n";
    for w in &f.wait_after {
        let (weeks, date) = (w.days / 7, date_short(w.date, lang));
        let (p5, p50, p95) = (days(w.p5), days(w.p50), days(w.p95));
        s += &match lang {
            Lang::De => format!("Wartezeit in {weeks} Wochen ({date}): p5 {p5}, p50 {p50}, p95 {p95} Tage\n"),
            Lang::En => format!("Wait in {weeks} weeks ({date}): p5 {p5}, p50 {p50}, p95 {p95} days\n"),
        };
    }
    if f.turned_away_per_run > 0.0 {
        let per_run = decimal(f.turned_away_per_run, lang);
        s += &match lang {
            Lang::De => format!("Buchungen ohne freien Termin im bekannten Kalender: {per_run} je Lauf\n"),
            Lang::En => format!("Bookings that found no free slot in the known calendar: {per_run} per run\n"),
        };
    }
    let l = &f.littles_law;
    let capacity = decimal(l.mean_daily_capacity, lang);
    s += &match (l.days, l.date, lang) {
        (Some(d), Some(date), Lang::De) => format!(
            "\nLittles Gesetz: {} ÷ {capacity} Termine am Tag = {} Tage, abgearbeitet bis {}\n",
            l.backlog,
            decimal(d, lang),
            date_short(date, lang)
        ),
        (Some(d), Some(date), Lang::En) => format!(
            "\nLittle's law: {} ÷ {capacity} slots a day = {} days, done by {}\n",
            l.backlog,
            decimal(d, lang),
            date_short(date, lang)
        ),
        (_, _, Lang::De) => format!("\nLittles Gesetz: {} Anliegen und keine Kapazität geplant: nie\n", l.backlog),
        (_, _, Lang::En) => format!("\nLittle's law: {} appointments and no capacity planned: never\n", l.backlog),
    };
    s += &format!("  {}\n", t(lang, LITTLES_LAW_CAVEAT_DE, l.caveat));
    s
}

/// [`crate::forecast::LITTLES_LAW_CAVEAT`] in German.
const LITTLES_LAW_CAVEAT_DE: &str = "Littles Gesetz teilt die heute offenen Anliegen durch die mittlere Kapazität \
     am Tag und nimmt damit an, dass niemand mehr bucht; es ist zu optimistisch, sobald die neue Nachfrage nahe an \
     der Kapazität oder darüber liegt (die offenen Anliegen füllen sich so schnell auf, wie sie abgearbeitet \
     werden), es übersieht kommende Schließungen und Feiertage, und es sagt nichts über die Wartezeit, die der \
     erste freie Termin bestimmt: sie kann kurz sein, während viele Anliegen im Kalender stehen, oder lang bei \
     wenigen.";

/// The back-test as a table for people.
pub fn backtest_table(report: &BacktestReport, config: &ForecastConfig, lang: Lang) -> String {
    let when = |d: Option<NaiveDate>| d.map_or_else(|| t(lang, "später", "beyond").to_owned(), |d| date_short(d, lang));
    let actual = |a: Actual| match a {
        Actual::Reached { date } => date_short(date, lang),
        Actual::NotWithinHorizon => t(lang, "nicht im Horizont", "not within horizon").to_owned(),
        Actual::Censored { known_until } => {
            format!("{} ({})", t(lang, "noch nicht", "not yet"), date_short(known_until, lang))
        }
    };
    let yes_no = |hit: Option<bool>| match hit {
        Some(true) => t(lang, "ja", "yes"),
        Some(false) => t(lang, "nein", "no"),
        None => t(lang, "offen", "open"),
    };
    let share = |share: Option<f64>, points: &[BacktestPoint], pick: fn(&BacktestPoint) -> Option<bool>| {
        let decided: Vec<bool> = points.iter().filter_map(pick).collect();
        let hits = decided.iter().filter(|&&h| h).count();
        match share {
            Some(s) => format!("{:.0} % ({hits} {} {})", s * 100.0, t(lang, "von", "of"), decided.len()),
            None => t(lang, "keine entschieden", "none decided").to_owned(),
        }
    };
    let mut s = match lang {
        Lang::De => format!(
            "Rückblick für {}: wann ist die Wartezeit (drittnächster freier Termin, an einem Öffnungstag) ≤ {} Tage? \
             {} Läufe je Prognose, Startwert {}\n\n",
            report.office,
            report.target_wait_days,
            integer(u64::from(config.runs), lang),
            config.seed
        ),
        Lang::En => format!(
            "Back-test for {}: when is the wait (third next available, on an open day) ≤ {} days? \
             {} runs per forecast, seed {}\n\n",
            report.office,
            report.target_wait_days,
            integer(u64::from(config.runs), lang),
            config.seed
        ),
    };
    let header = match lang {
        Lang::De => ["Stichtag", "p50", "p85", "p95", "tatsächlich", "in 85", "in 95", "Fehler", "später entschieden"],
        Lang::En => ["as of", "p50", "p85", "p95", "actual", "in 85", "in 95", "error", "decided later"],
    };
    let row = |c: [&str; 9]| {
        format!(
            "{:<10}  {:<10}  {:<10}  {:<10}  {:<22}  {:<5}  {:<5}  {:<9}  {}\n",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
        )
    };
    s += &row(header);
    for p in &report.points {
        let error = p.error_days.map_or_else(|| "–".to_owned(), |e| format!("{e:+} {}", days_word(e, lang)));
        s += &row([
            &date_short(p.as_of, lang),
            &when(p.p50),
            &when(p.p85),
            &when(p.p95),
            &actual(p.actual),
            yes_no(p.in_central_85),
            yes_no(p.in_central_95),
            &error,
            &changed(&p.changed_after, lang),
        ]);
    }
    let (c85, c95) = (
        share(report.coverage_85, &report.points, |p| p.in_central_85),
        share(report.coverage_95, &report.points, |p| p.in_central_95),
    );
    s += &match lang {
        Lang::De => format!(
            "\nTrefferquote des mittleren 85-%-Intervalls: {c85}\nTrefferquote des mittleren 95-%-Intervalls: {c95}\n"
        ),
        Lang::En => {
            format!("\nCoverage of the central 85 % interval: {c85}\nCoverage of the central 95 % interval: {c95}\n")
        }
    };
    let held: Vec<BacktestPoint> = report.points.iter().filter(|p| p.changed_after.held()).cloned().collect();
    let (h85, h95) = (
        share(report.coverage_85_plans_held, &held, |p| p.in_central_85),
        share(report.coverage_95_plans_held, &held, |p| p.in_central_95),
    );
    let (held_count, all) = (report.plans_held, report.points.len());
    s += &match lang {
        Lang::De => format!(
            "Prognosen, deren Pläne und Regeln bis zum Ergebnis galten: {held_count} von {all}; ihre Trefferquote \
             85 %: {h85}, 95 %: {h95}\n"
        ),
        Lang::En => format!(
            "Forecasts whose plans and policies held up to the outcome: {held_count} of {all}; their coverage 85 %: \
             {h85}, 95 %: {h95}\n"
        ),
    };
    s += &match (report.median_abs_error_days, lang) {
        (Some(e), Lang::De) => {
            format!("Median des absoluten Fehlers des p50-Datums: {e} {}\n", days_word(e.into(), lang))
        }
        (Some(e), Lang::En) => format!("Median absolute error of the p50 date: {e} {}\n", days_word(e.into(), lang)),
        (None, Lang::De) => "Median des absoluten Fehlers des p50-Datums: keine Prognose mit beiden Daten\n".to_owned(),
        (None, Lang::En) => "Median absolute error of the p50 date: no forecast with both dates\n".to_owned(),
    };
    s
}

/// The decisions taken after a forecast, in a few words: "capacity +370 from 2020-07-13; ausweis-abholung no
/// appointment from 2020-06-29"; "–" when its plans held.
fn changed(changed: &ChangedAfter, lang: Lang) -> String {
    let mut parts = Vec::new();
    if let Some(from) = changed.capacity_from {
        let from = date_short(from, lang);
        parts.push(match lang {
            Lang::De => format!("Kapazität {:+} ab {from}", changed.capacity_slots),
            Lang::En => format!("capacity {:+} from {from}", changed.capacity_slots),
        });
    }
    for p in &changed.policies {
        let from = date_short(p.effective_from, lang);
        parts.push(match (lang, p.appointment_required) {
            (Lang::De, true) => format!("{} mit Termin ab {from}", p.service),
            (Lang::De, false) => format!("{} ohne Termin ab {from}", p.service),
            (Lang::En, true) => format!("{} appointment from {from}", p.service),
            (Lang::En, false) => format!("{} no appointment from {from}", p.service),
        });
    }
    if parts.is_empty() { "–".to_owned() } else { parts.join("; ") }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use chrono::Days;

    use super::*;
    use crate::domain::id::OfficeId;
    use crate::projection::{CalendarSnapshot, DayRow};

    /// Ten slots every day, booked out for fourteen days, `bookings` a day in the past.
    fn made(bookings: u32) -> Forecast {
        let as_of: NaiveDate = "2020-06-05".parse().unwrap();
        let config = ForecastConfig { runs: 50, ..ForecastConfig::default() };
        let history: Vec<DayRow> = (0..60)
            .rev()
            .map(|back| DayRow {
                date: as_of - Days::new(back),
                backlog: 140,
                backlog_by_service: BTreeMap::new(),
                displaced: 0,
                bookings,
                served_appointments: 10,
                served_walk_in: 0,
                cancellations: 0,
                no_shows: 0,
                capacity: 10,
                booked: 10,
                next_available_days: Some(15),
                third_next_available_days: Some(15),
                realized_wait_p50_days: None,
                realized_wait_p90_days: None,
            })
            .collect();
        let days = config.snapshot_days();
        let snapshot = CalendarSnapshot {
            office: OfficeId::parse("kl-buergercenter").unwrap(),
            as_of,
            capacity: vec![10; days as usize],
            booked: (0..days).map(|i| if i < 14 { 10 } else { 0 }).collect(),
            today: history.last().unwrap().clone(),
        };
        crate::forecast::forecast(&snapshot, &history, &crate::forecast::ServiceInputs::default(), &config).unwrap()
    }

    #[test]
    fn the_table_gives_dates_and_says_when_there_is_none() {
        let quiet = forecast_table(&made(0), Lang::En);
        assert!(quiet.contains("Wait ≤ 7 days"), "{quiet}");
        assert!(quiet.contains("50 %: 2020-06-13"), "{quiet}");
        assert!(quiet.contains("Little's law: 140 ÷ 10.0 slots a day = 14.0 days, done by 2020-06-19"), "{quiet}");
        let swamped = forecast_table(&made(30), Lang::En);
        assert!(swamped.contains("50 %: not within the horizon"), "{swamped}");
        let ruhig = forecast_table(&made(0), Lang::De);
        assert!(ruhig.contains("Wartezeit ≤ 7 Tage") && ruhig.contains("50 %: 13.06.2020"), "{ruhig}");
        assert!(ruhig.contains("Littles Gesetz: 140 ÷ 10,0 Termine am Tag = 14,0 Tage, abgearbeitet bis 19.06.2020"));
        assert!(forecast_table(&made(30), Lang::De).contains("50 %: nicht im Horizont"));
    }
}
