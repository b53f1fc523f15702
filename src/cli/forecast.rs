//! `wartezeit forecast`: the forecast of one office as of one day, as JSON or as a table for people.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use chrono::{Days, NaiveDate};

use crate::domain::id::OfficeId;
use crate::forecast::{Forecast, ForecastConfig, Reach, forecast_on};
use crate::projection::Projection;

/// How the forecast is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The full forecast, fan included, as one JSON document.
    Json,
    /// A summary for people.
    Table,
}

/// The options `forecast` and `backtest` share: what counts as normal, how many runs, which seed, the follow-ups,
/// and the output format.
#[derive(Debug, Clone, clap::Args)]
pub struct ForecastOptions {
    /// The wait, in days, that counts as normal again.
    #[arg(long, default_value_t = ForecastConfig::default().target_wait_days)]
    pub target_days: u32,
    /// How many simulation runs (per forecast).
    #[arg(long, default_value_t = ForecastConfig::default().runs)]
    pub runs: u32,
    /// The random seed; the same seed gives the same forecast.
    #[arg(long, default_value_t = ForecastConfig::default().seed)]
    pub seed: u64,
    /// Resample identity document pick-ups like any other booking instead of booking them from the attended
    /// applications of the last five weeks (see the README's forecast section).
    #[arg(long)]
    pub no_follow_ups: bool,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

impl ForecastOptions {
    /// The forecast configuration these options ask for, the rest default; H is the projection's.
    pub fn config(&self, projection: &Projection) -> ForecastConfig {
        ForecastConfig {
            runs: self.runs,
            seed: self.seed,
            target_wait_days: self.target_days,
            wait_horizon_days: projection.config().horizon_days,
            follow_ups: !self.no_follow_ups,
            ..ForecastConfig::default()
        }
    }
}

/// `wartezeit forecast --office O --as-of D [--target-days N] [--backlog-level N] [--runs N] [--horizon-days N]
/// [--seed N] [--no-follow-ups] [--format json|table]`.
#[derive(Debug, Clone, clap::Args)]
pub struct ForecastArgs {
    /// The office; may be left out when the log holds exactly one.
    #[arg(long)]
    pub office: Option<OfficeId>,
    /// The day the forecast is made on: only what was known by its end is used; default today in --tz.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// The backlog that counts as normal again [default: target days × mean daily capacity].
    #[arg(long)]
    pub backlog_level: Option<u32>,
    /// How many days each run looks ahead.
    #[arg(long, default_value_t = ForecastConfig::default().horizon_days)]
    pub horizon_days: u32,
    #[command(flatten)]
    pub options: ForecastOptions,
}

impl ForecastArgs {
    /// The forecast configuration these arguments ask for; H is the projection's.
    pub fn config(&self, projection: &Projection) -> ForecastConfig {
        ForecastConfig {
            horizon_days: self.horizon_days,
            backlog_level: self.backlog_level,
            ..self.options.config(projection)
        }
    }
}

/// Forecasts from a built projection and prints the result to `out`.
pub fn run(
    args: &ForecastArgs,
    projection: &Projection,
    today: NaiveDate,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let as_of = args.as_of.unwrap_or(today);
    let office = crate::cli::load::office(projection, args.office.as_ref())?;
    let config = args.config(projection);
    let snapshot = projection.snapshot(&office, as_of, config.snapshot_days());
    let from = as_of
        .checked_sub_days(Days::new(ForecastConfig::HISTORY_DAYS as u64 - 1))
        .context("--as-of: too early a date")?;
    let history = projection.series(&office, from, as_of);
    let services = crate::forecast::ServiceInputs::take(projection, &office, from, as_of);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let made = forecast_on(&snapshot, &history, &services, &config, threads)
        .with_context(|| format!("forecast for {office} as of {as_of}"))?;
    match args.options.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &made).context("writing the forecast")?;
            writeln!(out).context("writing the forecast")?;
        }
        Format::Table => out.write_all(table(&made).as_bytes()).context("writing the forecast")?,
    }
    Ok(ExitCode::SUCCESS)
}

fn when(date: Option<NaiveDate>) -> String {
    date.map_or_else(|| "not within the horizon".to_string(), |d| d.to_string())
}

fn reach_line(label: &str, reach: &Reach) -> String {
    let already = if reach.reached_as_of { " (already there on the as-of day)" } else { "" };
    format!(
        "{label:<22} 50 %: {:<23} 85 %: {:<23} 95 %: {}{already}\n",
        when(reach.p50),
        when(reach.p85),
        when(reach.p95)
    )
}

fn days(wait: Option<u32>, horizon: u32) -> String {
    wait.map_or_else(|| format!("> {horizon}"), |w| w.to_string())
}

/// The forecast as a table for people.
pub fn table(f: &Forecast) -> String {
    let o = &f.observed;
    let c = &f.config;
    let mut s = format!(
        "Forecast for {} as of {} ({} runs, seed {}, horizon {} days to {})\n",
        f.office, f.as_of, c.runs, c.seed, c.horizon_days, f.horizon_end
    );
    s += &format!(
        "Now: backlog {}, next available slot in {} days\n",
        o.backlog,
        days(o.next_available_days, c.wait_horizon_days)
    );
    let by_weekday: Vec<String> = o.bookings_by_weekday.iter().map(|b| format!("{b:.1}")).collect();
    let cancel = o.cancellation_rate_by_weekday.iter().copied().fold(0.0, f64::max) * 100.0;
    s += &format!(
        "Fitted on {} open days {} to {}: bookings Mon–Sun {}; cancellations up to {cancel:.2} % of the backlog \
         a day; no-shows {:.1} %\n",
        o.open_days,
        o.window_first_day,
        o.window_last_day,
        by_weekday.join(" "),
        o.no_show_rate * 100.0
    );
    for d in &o.dropped_demand {
        s += &format!(
            "Left out from {}: {} ({:.1} bookings per open day), which needs no appointment then\n",
            d.from, d.service, d.mean_bookings_per_open_day
        );
    }
    for fu in &o.follow_ups {
        let r = &fu.rule;
        let after: Vec<&str> = r.after.iter().map(|s| s.as_str()).collect();
        s += &format!(
            "Follow-ups: {} booked {}–{} days after each attended {}: {:.0} still to come from appointments \
             attended by {}, then {:.2} per ended appointment of the other services",
            r.service,
            r.lag_days[0],
            r.lag_days[1],
            after.join(" or "),
            fu.expected_from_attended,
            f.as_of,
            fu.per_ended_appointment
        );
        s += &match fu.appointment_free_from {
            Some(day) => format!("; none booked from {day} (no appointment needed)\n"),
            None => "\n".to_string(),
        };
    }
    s += "\n";
    s += &reach_line(&format!("Wait ≤ {} days", f.wait_target.level), &f.wait_target);
    s += &reach_line(&format!("Backlog ≤ {}", f.backlog_target.level), &f.backlog_target);
    s += "\n";
    for w in &f.wait_after {
        s += &format!(
            "Wait in {} weeks ({}): p5 {}, p50 {}, p95 {} days\n",
            w.days / 7,
            w.date,
            days(w.p5, c.wait_horizon_days),
            days(w.p50, c.wait_horizon_days),
            days(w.p95, c.wait_horizon_days)
        );
    }
    if f.turned_away_per_run > 0.0 {
        s += &format!("Bookings that found no free slot in the known calendar: {:.1} per run\n", f.turned_away_per_run);
    }
    let l = &f.littles_law;
    s += &match (l.days, l.date) {
        (Some(d), Some(date)) => format!(
            "\nLittle's law: {} ÷ {:.1} slots a day = {d:.1} days, done by {date}\n",
            l.backlog, l.mean_daily_capacity
        ),
        _ => format!("\nLittle's law: {} appointments and no capacity planned: never\n", l.backlog),
    };
    s += &format!("  {}\n", l.caveat);
    s
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
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
        let quiet = table(&made(0));
        assert!(quiet.contains("Wait ≤ 7 days"), "{quiet}");
        assert!(quiet.contains("50 %: 2020-06-13"), "{quiet}");
        assert!(quiet.contains("Little's law: 140 ÷ 10.0 slots a day = 14.0 days, done by 2020-06-19"), "{quiet}");
        let swamped = table(&made(30));
        assert!(swamped.contains("50 %: not within the horizon"), "{swamped}");
    }
}
