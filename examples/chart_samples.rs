//! Writes every chart of the synthetic 2020 (`chart::sample`) as PNG and SVG, German and English, at 1200 × 600
//! and 600 × 300, into the directory given as the first argument (default `target/chart-samples`).
//!
//! `cargo run --example chart_samples -- docs/charts`

use std::path::PathBuf;

use anyhow::Context;
use wartezeit::chart::{ChartKind, ChartOptions, Format, Lang, render, sample};

fn main() -> anyhow::Result<()> {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/chart-samples".into()));
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let view = sample::year_2020();
    for kind in ChartKind::ALL {
        for lang in [Lang::De, Lang::En] {
            for (w, h) in [(1200, 600), (600, 300)] {
                for format in [Format::Png, Format::Svg] {
                    let bytes = render(kind, &view, &ChartOptions::new(format, w, h, lang)?)?;
                    let path = dir.join(format!("{kind}-{lang}-{w}x{h}.{}", format.extension()));
                    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
                }
            }
        }
    }
    println!("{}", dir.display());
    Ok(())
}
