//! Every chart, in both formats, at report and small size, from the synthetic year; what a reader would check:
//! the picture has the asked size, is not blank, the SVG is well-formed and says its title.

use chrono::NaiveDate;

use crate::chart::sample;
use crate::chart::{ChartError, ChartKind, ChartOptions, ChartView, Format, Lang, render};
use crate::projection::DayRow;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The decoded picture: width, height and RGB(A) pixels.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("png header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame decodes");
    let channels = info.color_type.samples();
    let pixels = buf[..info.buffer_size()].chunks(channels).map(|c| [c[0], c[1], c[2]]).collect();
    (info.width, info.height, pixels)
}

/// Checks that the PNG has the asked size and shows a chart: many colours, a good share of non-white pixels.
fn check_png(bytes: &[u8], width: u32, height: u32, what: &str) {
    let (w, h, pixels) = decode_png(bytes);
    assert_eq!((w, h), (width, height), "{what}: size");
    let colours: std::collections::HashSet<[u8; 3]> = pixels.iter().copied().collect();
    assert!(colours.len() >= 20, "{what}: only {} distinct colours", colours.len());
    let inked = pixels.iter().filter(|p| **p != [255, 255, 255]).count();
    assert!(inked * 100 >= pixels.len(), "{what}: only {inked} of {} pixels are not white", pixels.len());
}

/// A small XML well-formedness check: every tag closes in order, attributes are quoted, entities are known.
fn check_xml(svg: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = svg.trim_start();
    if let Some(after) = rest.strip_prefix("<?xml") {
        rest = &after[after.find("?>").ok_or("unterminated xml declaration")? + 2..];
    }
    let mut roots = 0;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            check_text(rest)?;
            break;
        };
        check_text(&rest[..lt])?;
        if !rest[..lt].trim().is_empty() && stack.is_empty() {
            return Err("text outside the root element".into());
        }
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").ok_or("unterminated comment")? + 3..];
            continue;
        }
        let gt = rest.find('>').ok_or("unterminated tag")?;
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name: String = body.chars().take_while(|c| !c.is_whitespace()).collect();
        if name.is_empty() {
            return Err(format!("tag without a name: <{tag}>"));
        }
        check_attributes(&body[name.len()..])?;
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name);
        }
    }
    match (stack.is_empty(), roots) {
        (true, 1) => Ok(()),
        (false, _) => Err(format!("unclosed elements: {stack:?}")),
        (true, n) => Err(format!("{n} root elements")),
    }
}

fn check_text(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        let semi = rest[amp..].find(';').ok_or("'&' without ';'")?;
        let entity = &rest[amp + 1..amp + semi];
        let known = ["lt", "gt", "amp", "quot", "apos"].contains(&entity) || entity.starts_with('#');
        if !known {
            return Err(format!("unknown entity &{entity};"));
        }
        rest = &rest[amp + semi..];
    }
    Ok(())
}

fn check_attributes(attrs: &str) -> Result<(), String> {
    let mut rest = attrs.trim();
    while !rest.is_empty() {
        let eq = rest.find('=').ok_or_else(|| format!("attribute without value: {rest}"))?;
        let quote = rest[eq + 1..].chars().next().ok_or("attribute without value")?;
        if quote != '"' && quote != '\'' {
            return Err(format!("unquoted attribute: {rest}"));
        }
        let value_start = eq + 2;
        let value_end = value_start + rest[value_start..].find(quote).ok_or("unterminated attribute value")?;
        if rest[value_start..value_end].contains('<') {
            return Err("'<' in an attribute value".into());
        }
        check_text(&rest[value_start..value_end])?;
        rest = rest[value_end + 1..].trim_start();
    }
    Ok(())
}

fn options(format: Format, (w, h): (u32, u32), lang: Lang) -> ChartOptions {
    ChartOptions::new(format, w, h, lang).unwrap()
}

const TITLES_DE: [(ChartKind, &str); 4] = [
    (ChartKind::Backlog, "Offene Anliegen nach Dienstleistung"),
    (ChartKind::Wait, "Wartezeit auf einen Termin"),
    (ChartKind::Flow, "Buchungen und bediente Anliegen pro Woche"),
    (ChartKind::Attribution, "Ausgefallene Termine nach Ursache"),
];

#[test]
fn every_chart_renders_as_png_at_both_sizes() {
    let view = sample::year_2020();
    for (kind, _) in TITLES_DE {
        for size in [(1200, 600), (600, 300)] {
            let png = render(kind, &view, &options(Format::Png, size, Lang::De)).unwrap();
            check_png(&png, size.0, size.1, &format!("{kind} {size:?}"));
        }
    }
}

#[test]
fn every_chart_renders_as_well_formed_svg_with_its_title() {
    let view = sample::year_2020();
    for (kind, title) in TITLES_DE {
        for size in [(1200, 600), (600, 300)] {
            let svg = String::from_utf8(render(kind, &view, &options(Format::Svg, size, Lang::De)).unwrap()).unwrap();
            check_xml(&svg).unwrap_or_else(|e| panic!("{kind} {size:?}: {e}"));
            assert!(svg.contains(title), "{kind}: title {title:?} missing");
            assert!(svg.contains(&format!("width=\"{}\"", size.0)), "{kind}: width missing");
        }
    }
}

#[test]
fn english_charts_use_english_words_dates_and_numbers() {
    let view = sample::year_2020();
    let svg =
        |kind| String::from_utf8(render(kind, &view, &options(Format::Svg, (1200, 600), Lang::En)).unwrap()).unwrap();
    let backlog = svg(ChartKind::Backlog);
    assert!(backlog.contains("Open requests by service"));
    assert!(backlog.contains("2020-01-01 – 2020-12-31"), "subtitle dates in ISO form");
    assert!(backlog.contains("Closure") && backlog.contains("Holiday"));
    let wait = svg(ChartKind::Wait);
    assert!(wait.contains("As of 2020-06-24"));
    assert!(wait.contains("Target (7 days)"));
    let attribution = svg(ChartKind::Attribution);
    assert!(attribution.contains("Lockdown: 4,440"), "per-cause total with English separator");
    // Closures are named by their cause in English; the office's German reasons stay on the German charts.
    for chart in [&backlog, &attribution] {
        assert!(chart.contains("Lockdown closure") && chart.contains("System migration closure"));
        assert!(!chart.contains("IT-Umstellung (landesweit)") && !chart.contains("Corona-Lockdown"));
    }
    let german =
        String::from_utf8(render(ChartKind::Backlog, &view, &options(Format::Svg, (1200, 600), Lang::De)).unwrap())
            .unwrap();
    assert!(german.contains("IT-Umstellung (landesweit)"));
}

#[test]
fn german_charts_use_german_dates_and_thousands_separators() {
    let view = sample::year_2020();
    let svg =
        |kind| String::from_utf8(render(kind, &view, &options(Format::Svg, (1200, 600), Lang::De)).unwrap()).unwrap();
    let backlog = svg(ChartKind::Backlog);
    assert!(backlog.contains("01.01.2020 – 31.12.2020"));
    assert!(backlog.contains("Fronleichnam"), "a holiday is named on the chart");
    assert!(backlog.contains("Corona-Lockdown"), "a closure is named on the chart");
    assert!(backlog.contains("Sonstige"), "services beyond six are pooled");
    assert!(svg(ChartKind::Wait).contains("Stand 24.06.2020"));
    assert!(svg(ChartKind::Attribution).contains("Lockdown: 4.440"));
}

#[test]
fn a_period_without_events_says_so_in_both_languages_and_formats() {
    let from = d("2021-03-01");
    let to = d("2021-03-31");
    let quiet: Vec<DayRow> = sample::rows(from, to)
        .into_iter()
        .map(|r| DayRow {
            date: r.date,
            backlog: 0,
            backlog_by_service: Default::default(),
            displaced: 0,
            bookings: 0,
            served_appointments: 0,
            served_walk_in: 0,
            cancellations: 0,
            no_shows: 0,
            capacity: 0,
            booked: 0,
            next_available_days: None,
            third_next_available_days: None,
            realized_wait_p50_days: None,
            realized_wait_p90_days: None,
        })
        .collect();
    for rows in [quiet, Vec::new()] {
        let view = ChartView::new("kl-buergercenter", from, to, rows);
        for (kind, title) in TITLES_DE {
            for (lang, message) in [(Lang::De, "Keine Daten im Zeitraum"), (Lang::En, "No data in this period")] {
                let svg = render(kind, &view, &options(Format::Svg, (600, 300), lang)).unwrap();
                let svg = String::from_utf8(svg).unwrap();
                assert!(svg.contains(message), "{kind} {lang}: no notice");
                if lang == Lang::De {
                    assert!(svg.contains(title), "{kind}: the empty chart still has its title");
                }
                let png = render(kind, &view, &options(Format::Png, (600, 300), lang)).unwrap();
                check_png(&png, 600, 300, &format!("empty {kind} {lang}"));
            }
        }
    }
}

#[test]
fn sizes_outside_the_bounds_are_refused_with_the_bounds_named() {
    for (w, h) in [(299, 600), (1200, 149), (3001, 600), (1200, 2001), (0, 0)] {
        let err = ChartOptions::new(Format::Png, w, h, Lang::De).unwrap_err();
        assert_eq!(err, ChartError::SizeOutOfBounds { width: w, height: h });
        assert!(err.to_string().contains("width must be in 300..=3000 and height in 150..=2000"), "{err}");
    }
    for (w, h) in [(300, 150), (3000, 2000)] {
        let view = sample::year_2020();
        let png = render(ChartKind::Wait, &view, &options(Format::Png, (w, h), Lang::De)).unwrap();
        check_png(&png, w, h, "extreme size");
    }
}

#[test]
fn a_view_that_does_not_fit_together_is_refused() {
    let mut view = sample::view(d("2020-06-01"), d("2020-06-30"), d("2020-06-24"));
    view.rows.swap(0, 1);
    let err = render(ChartKind::Backlog, &view, &ChartOptions::default()).unwrap_err();
    assert_eq!(err.to_string(), "view rows[1]: date 2020-06-01 is not after the row before");
    let mut view = sample::view(d("2020-06-01"), d("2020-06-30"), d("2020-06-24"));
    view.to = d("2020-05-01");
    assert!(render(ChartKind::Backlog, &view, &ChartOptions::default()).is_err());
}

#[test]
fn short_periods_and_missing_days_still_render() {
    for (from, to) in [("2020-06-24", "2020-06-24"), ("2020-06-15", "2020-06-28"), ("2019-12-01", "2021-02-28")] {
        let mut view = sample::view(d(from), d(to), d(to));
        if view.rows.len() > 5 {
            view.rows.remove(3);
        }
        for kind in ChartKind::ALL {
            for format in [Format::Png, Format::Svg] {
                let bytes = render(kind, &view, &options(format, (600, 300), Lang::De)).unwrap();
                if format == Format::Png {
                    check_png(&bytes, 600, 300, &format!("{kind} {from}..{to}"));
                } else {
                    check_xml(std::str::from_utf8(&bytes).unwrap()).unwrap();
                }
            }
        }
    }
}

#[test]
fn the_xml_check_catches_broken_documents() {
    assert!(check_xml("<svg><text>a &amp; b</text></svg>").is_ok());
    assert!(check_xml("<svg><text>a</svg>").is_err());
    assert!(check_xml("<svg><text>a & b</text></svg>").is_err());
    assert!(check_xml("<svg x=1></svg>").is_err());
    assert!(check_xml("<svg></svg><svg></svg>").is_err());
}

#[test]
fn names_parse_and_print_alike() {
    for kind in ChartKind::ALL {
        assert_eq!(kind.as_str().parse::<ChartKind>(), Ok(kind));
    }
    assert_eq!(
        "pie".parse::<ChartKind>().unwrap_err().to_string(),
        "chart \"pie\" is unknown, use backlog, wait, flow, attribution or forecast"
    );
    assert_eq!("svg".parse::<Format>(), Ok(Format::Svg));
    assert!("gif".parse::<Format>().is_err());
}

/// The legend is the bottom band of every chart; its last entry once ran into the right edge of the wait chart at
/// 1200 px. Every legend keeps a margin at both edges, at report and at small size, in both languages.
#[test]
fn legends_keep_clear_of_both_edges() {
    let (year, forecast) = (sample::year_2020(), sample::forecast_2020());
    for kind in ChartKind::ALL {
        let view = if kind == ChartKind::Forecast { &forecast } else { &year };
        for lang in [Lang::De, Lang::En] {
            for (w, h) in [(1200u32, 600u32), (600, 300)] {
                let bytes = render(kind, view, &options(Format::Png, (w, h), lang)).unwrap();
                let (_, _, pixels) = decode_png(&bytes);
                let band = (h as usize * 94 / 100)..h as usize;
                let inked: Vec<usize> = (0..w as usize)
                    .filter(|&x| band.clone().any(|y| pixels[y * w as usize + x] != [255, 255, 255]))
                    .collect();
                let (first, last) = (inked[0], inked[inked.len() - 1]);
                let margin = (w as usize) / 50;
                assert!(
                    first >= margin && last < w as usize - margin,
                    "{kind} {lang} {w}x{h}: legend spans {first}..={last}"
                );
            }
        }
    }
}

/// The forecast chart with a forecast: at both sizes and in both languages a real picture, with the fan drawn in
/// its colour beside the observed line, and an SVG that names the title and the legend's bands.
#[test]
fn the_forecast_chart_draws_the_observed_wait_and_the_fan() {
    let view = sample::forecast_2020();
    let fan = view.forecast.as_ref().unwrap();
    assert!(fan.fan.iter().any(|d| d.open && d.third[0] != d.third[4]), "the sample's fan has a spread");
    for lang in [Lang::De, Lang::En] {
        for (w, h) in [(1200u32, 600u32), (600, 300)] {
            let png = render(ChartKind::Forecast, &view, &options(Format::Png, (w, h), lang)).unwrap();
            check_png(&png, w, h, &format!("forecast {lang} {w}x{h}"));
        }
        let svg =
            String::from_utf8(render(ChartKind::Forecast, &view, &options(Format::Svg, (1200, 600), lang)).unwrap())
                .unwrap();
        check_xml(&svg).unwrap();
        let (title, band) = (crate::chart::text::FORECAST_TITLE.pick(lang), crate::chart::text::FORECAST_90.pick(lang));
        assert!(svg.contains(title) && svg.contains(band), "{lang}: title {title:?} and legend {band:?} in the SVG");
        assert!(svg.matches("<polygon").count() >= 2, "{lang}: both bands of the fan are drawn");
    }
    let empty = ChartView { forecast: None, ..view.clone() };
    let no_data = render(ChartKind::Forecast, &empty, &options(Format::Svg, (1200, 600), Lang::De)).unwrap();
    assert_ne!(no_data, render(ChartKind::Forecast, &view, &options(Format::Svg, (1200, 600), Lang::De)).unwrap());
}
