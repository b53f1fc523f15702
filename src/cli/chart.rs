//! `wartezeit chart NAME --office O --from D1 --to D2 --out FILE.png|FILE.svg`: one chart of one office, written
//! to a file. The format follows the file's extension.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Args;

use crate::chart::{self, ChartKind, ChartOptions, Format, Lang};
use crate::cli::GlobalArgs;
use crate::domain::id::OfficeId;
use crate::read;

/// Arguments of `wartezeit chart`.
#[derive(Debug, Clone, Args)]
pub struct ChartArgs {
    /// The chart: backlog, wait, flow, attribution or forecast (the forecast as of --as-of with the default runs
    /// and seed: the 8 weeks before and the 16 after, as /charts/forecast.png draws it).
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

/// Runs `wartezeit chart`: folds the log, draws, writes `--out`.
pub fn run(global: &GlobalArgs, args: &ChartArgs) -> anyhow::Result<ExitCode> {
    let options =
        ChartOptions::new(format_of(&args.out)?, args.width, args.height, args.lang).context("--width/--height")?;
    read::chart_period(args.from, args.to)
        .map_err(|e| anyhow::anyhow!("--from {} --to {}: {e}", args.from, args.to))?;
    let office = match &args.office {
        Some(name) => Some(OfficeId::parse(name).with_context(|| format!("--office {name:?}"))?),
        None => None,
    };
    let loaded = crate::cli::load::projection(global, None, None)?;
    let projection = &loaded.projection;
    let office = crate::cli::load::office(projection, office.as_ref())?;
    let as_of = args.as_of.unwrap_or(args.to);
    // The forecast chart is the one `/charts/forecast.png` draws for the same question: the forecast made as of
    // the as-of day with the default runs and seed, over the weeks around that day.
    let forecast = if args.name == ChartKind::Forecast {
        let target = Some(u64::from(args.target_days));
        let config =
            read::forecast_config(projection, target, None, None, None).map_err(|e| anyhow::anyhow!("--{e}"))?;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        Some(read::ForecastInputs::take(projection, &office, as_of, config).run(threads)?)
    } else {
        None
    };
    let mut view = read::chart_view(projection, &office, args.from, args.to, as_of, forecast.as_ref());
    view.target_wait_days = args.target_days;
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
