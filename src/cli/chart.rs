//! `wartezeit chart NAME --office O --from D1 --to D2 --out FILE.png|FILE.svg`: one chart of one office, written
//! to a file. The format follows the file's extension.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Args;

use crate::chart::{self, ChartKind, ChartOptions, ChartView, Format, Lang, LostSlots};
use crate::cli::GlobalArgs;
use crate::domain::id::OfficeId;
use crate::projection::Projection;

/// Arguments of `wartezeit chart`.
#[derive(Debug, Clone, Args)]
pub struct ChartArgs {
    /// The chart: backlog, wait, flow, attribution or forecast (the forecast as of --as-of, default runs and seed,
    /// over the observed days from --from).
    pub name: ChartKind,
    /// The office; may be left out when the log has only one.
    #[arg(long)]
    pub office: Option<String>,
    /// First day of the period (YYYY-MM-DD).
    #[arg(long)]
    pub from: NaiveDate,
    /// Last day of the period, inclusive (YYYY-MM-DD).
    #[arg(long)]
    pub to: NaiveDate,
    /// The day the figures are as of, marked on the wait chart; defaults to --to.
    #[arg(long)]
    pub as_of: Option<NaiveDate>,
    /// The file to write; its extension (.png or .svg) chooses the format.
    #[arg(long)]
    pub out: PathBuf,
    /// The language of titles, labels and dates: de or en.
    #[arg(long, default_value_t = Lang::De)]
    pub lang: Lang,
    /// Width in pixels (300..=3000).
    #[arg(long, default_value_t = 1200)]
    pub width: u32,
    /// Height in pixels (150..=2000).
    #[arg(long, default_value_t = 600)]
    pub height: u32,
    /// The wait target in days, drawn as a dashed line on the wait chart.
    #[arg(long, default_value_t = chart::DEFAULT_TARGET_WAIT_DAYS)]
    pub target_days: u32,
}

/// The format named by the extension of `path`.
pub fn format_of(path: &Path) -> anyhow::Result<Format> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("png") => Ok(Format::Png),
        Some("svg") => Ok(Format::Svg),
        _ => bail!("--out {}: the file name must end in .png or .svg", path.display()),
    }
}

/// Runs `wartezeit chart`: folds the log, attributes the period's lost capacity, draws, writes `--out`.
pub fn run(global: &GlobalArgs, args: &ChartArgs) -> anyhow::Result<ExitCode> {
    let loaded = crate::cli::load::projection(global, None, None)?;
    let office = match &args.office {
        Some(name) => Some(OfficeId::parse(name).with_context(|| format!("--office {name:?}"))?),
        None => None,
    };
    let office = crate::cli::load::office(&loaded.projection, office.as_ref())?;
    let attribution = lost_slots(&loaded.projection.attribution(&office, args.from, args.to));
    draw(args, &loaded.projection, attribution)
}

/// The attribution chart's bars: one per named closure or holiday of the period.
pub fn lost_slots(attribution: &crate::projection::Attribution) -> Vec<LostSlots> {
    use crate::domain::event::ClosureCause;
    use crate::projection::{LossCause, PeriodKind};
    attribution
        .by_period
        .iter()
        .map(|p| {
            let cause = match p.cause {
                LossCause::Holiday => PeriodKind::Holiday,
                LossCause::Lockdown => PeriodKind::Closure(ClosureCause::Lockdown),
                LossCause::SystemMigration => PeriodKind::Closure(ClosureCause::SystemMigration),
                LossCause::StaffShortage => PeriodKind::Closure(ClosureCause::StaffShortage),
                LossCause::Other => PeriodKind::Closure(ClosureCause::Other),
            };
            // Reasons are free text and often long; a bar label wants the closure's id then.
            let label = if p.label.is_empty() || p.label.chars().count() > 40 { p.id.clone() } else { p.label.clone() };
            LostSlots { label, cause, slots: p.loss.lost_slots }
        })
        .collect()
}

/// Draws the chart from `projection` (already folded from the log by the caller) and writes it to `--out`.
/// `attribution` feeds the attribution chart (lost slots per named closure or holiday in the period); the other
/// charts ignore it.
pub fn draw(args: &ChartArgs, projection: &Projection, attribution: Vec<LostSlots>) -> anyhow::Result<ExitCode> {
    let format = format_of(&args.out)?;
    let options = ChartOptions::new(format, args.width, args.height, args.lang).context("--width/--height")?;
    crate::cli::load::period(args.from, args.to, crate::domain::time::MAX_CHART_DAYS)?;
    let office = match &args.office {
        Some(name) => OfficeId::parse(name).with_context(|| format!("--office {name:?}"))?,
        None => match projection.only_office() {
            Some(only) => only.clone(),
            None => bail!("--office is required: the log has {} offices", projection.offices().len()),
        },
    };
    let as_of = args.as_of.unwrap_or(args.to);
    let mut view = ChartView::from_projection(projection, &office, args.from, args.to, as_of);
    view.target_wait_days = args.target_days;
    view.attribution = attribution;
    if args.name == ChartKind::Forecast {
        // The forecast made as of the as-of day, with the defaults the press statement uses; the rows after the
        // as-of day are what happened later and stay out of a forecast chart.
        let config = crate::forecast::ForecastConfig {
            target_wait_days: args.target_days,
            wait_horizon_days: projection.config().horizon_days,
            ..crate::forecast::ForecastConfig::default()
        };
        let inputs = crate::service::forecast::Inputs::take(projection, &office, as_of, config);
        let made = crate::forecast::forecast(&inputs.snapshot, &inputs.history, &inputs.services, &config)
            .with_context(|| format!("forecast for {office} as of {as_of}"))?;
        view.rows.retain(|r| r.date <= as_of);
        view.forecast = Some(Box::new(made));
    }
    let bytes = chart::render(args.name, &view, &options).with_context(|| format!("chart {}", args.name))?;
    std::fs::write(&args.out, &bytes).with_context(|| format!("writing {}", args.out.display()))?;
    println!("{} ({} bytes)", args.out.display(), bytes.len());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_chooses_the_format() {
        assert_eq!(format_of(Path::new("a/b.png")).unwrap(), Format::Png);
        assert_eq!(format_of(Path::new("b.SVG")).unwrap(), Format::Svg);
        let err = format_of(Path::new("b.pdf")).unwrap_err().to_string();
        assert_eq!(err, "--out b.pdf: the file name must end in .png or .svg");
    }

    #[test]
    fn arguments_parse_with_german_defaults() {
        use clap::Parser;
        let cli = crate::cli::Cli::try_parse_from([
            "wartezeit",
            "chart",
            "wait",
            "--office",
            "kl-buergercenter",
            "--from",
            "2020-06-01",
            "--to",
            "2020-06-30",
            "--out",
            "w.svg",
        ])
        .unwrap();
        let crate::cli::Command::Chart(args) = cli.command else { panic!("not the chart command") };
        assert_eq!(args.name, ChartKind::Wait);
        assert_eq!((args.lang, args.width, args.height, args.target_days), (Lang::De, 1200, 600, 7));
        let bad = crate::cli::Cli::try_parse_from(["wartezeit", "chart", "pie", "--from", "2020-06-01", "--to", "x"]);
        assert!(bad.is_err());
    }
}
