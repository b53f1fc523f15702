//! Chart rendering speed: a year of daily data (the synthetic 2020 of `chart::sample`), every chart as PNG at
//! 1200 × 600 (target under 50 ms) and as SVG (target under 20 ms); the forecast chart with the sample's forecast
//! (`chart::sample::forecast_2020`).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

use wartezeit::chart::{ChartKind, ChartOptions, Format, Lang, render, sample};

fn charts(c: &mut Criterion) {
    let view = sample::year_2020();
    // The forecast chart draws the fan of a real forecast (made once, outside the measurement).
    let forecast = sample::forecast_2020();
    for format in [Format::Png, Format::Svg] {
        let options = ChartOptions::new(format, 1200, 600, Lang::De).expect("report size is in bounds");
        let mut group = c.benchmark_group(format!("chart_{}_1200x600_year", format.extension()));
        for kind in ChartKind::ALL {
            let view = if kind == ChartKind::Forecast { &forecast } else { &view };
            group.bench_function(kind.as_str(), |b| {
                b.iter(|| render(kind, black_box(view), &options).expect("chart renders"))
            });
        }
        group.finish();
    }
}

criterion_group!(benches, charts);
criterion_main!(benches);
