//! The page from plain data: what a reader checks — the figures and their changes are there, in the asked
//! language, text cannot turn into markup, and an empty log still gives a page.

use chrono::NaiveDate;

use crate::domain::event::ClosureCause;
use crate::lang::Lang;
use crate::page::tiles::{self, Figure, Tile};
use crate::page::{self, Dashboard, Form, Page, Statement, render};
use crate::projection::{NamedPeriod, PeriodKind};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn closure(label: &str, first: &str, last: &str) -> NamedPeriod {
    NamedPeriod {
        kind: PeriodKind::Closure(ClosureCause::SystemMigration),
        id: "it-2020".into(),
        label: label.into(),
        first_day: d(first),
        last_day: d(last),
        office_specific: true,
    }
}

fn count_tile(now: u32, before: u32) -> Tile {
    Tile {
        id: "backlog",
        title: page::words::BACKLOG,
        figure: Figure::Count(now),
        earlier: Some((d("2020-06-17"), Figure::Count(before))),
        note: None,
    }
}

fn page(lang: Lang, tiles: Vec<Tile>, periods: Vec<NamedPeriod>) -> Page {
    Page {
        lang,
        form: Form {
            offices: vec![("kl-buergercenter".into(), "Bürgercenter Kaiserslautern".into())],
            office: Some("kl-buergercenter".into()),
            as_of: d("2020-06-24"),
        },
        dashboard: Some(Dashboard {
            office: "kl-buergercenter".into(),
            name: Some("Bürgercenter Kaiserslautern".into()),
            as_of: d("2020-06-24"),
            position: 43_150,
            tiles,
            charts: page::charts(),
            chart_period: (d("2020-01-01"), d("2020-06-24")),
            periods,
            measures: None,
            statement: Statement { text: "Schlagzeile\n\nText".into(), provenance: "Quelle: wartezeit".into() },
        }),
    }
}

/// The text of the tile with `id`, tags stripped.
fn tile_text(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"tile-{id}\"")).unwrap_or_else(|| panic!("tile {id} missing"));
    let start = at + html[at..].find('>').unwrap() + 1;
    let end = start + html[start..].find("</div>").unwrap();
    let mut text = String::new();
    let mut in_tag = false;
    for c in html[start..end].chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn changes_have_an_arrow_a_signed_number_and_the_day_compared_with() {
    let check = |now, before, lang, expect: &str| {
        let html = render(&page(lang, vec![count_tile(now, before)], vec![]));
        assert!(tile_text(&html, "backlog").contains(expect), "{now} vs {before}: {}", tile_text(&html, "backlog"));
    };
    check(1226, 1362, Lang::De, "1.226 ▼ −136 vs. 17.06.");
    check(1362, 1226, Lang::De, "1.362 ▲ +136 vs. 17.06.");
    check(1000, 1000, Lang::De, "1.000 ±0 vs. 17.06.");
    check(1226, 1362, Lang::En, "1,226 ▼ −136 vs. Jun 17");
    assert_eq!(tiles::change(5, 3, Lang::De), ("▲ +2".to_owned(), "worse"));
    assert_eq!(tiles::change(3, 5, Lang::De), ("▼ −2".to_owned(), "better"));
    assert_eq!(tiles::change(4, 4, Lang::En), ("±0".to_owned(), "same"));
    assert_eq!(tiles::change(0, 1500, Lang::De).0, "▼ −1.500");
}

#[test]
fn a_missing_wait_is_said_in_words_and_shown_against_the_earlier_figure() {
    let tile = Tile {
        id: "next-available",
        title: page::words::NEXT_AVAILABLE,
        figure: Figure::Days(None, page::words::NONE_FREE),
        earlier: Some((d("2020-06-17"), Figure::Days(Some(1), page::words::NONE_FREE))),
        note: None,
    };
    let html = render(&page(Lang::De, vec![tile.clone()], vec![]));
    assert_eq!(tile_text(&html, "next-available"), "Nächster freier Termin kein freier Termin vs. 17.06.: 1 Tag");
    let html = render(&page(Lang::En, vec![tile], vec![]));
    assert_eq!(tile_text(&html, "next-available"), "Next free appointment no free appointment vs. Jun 17: 1 day");
}

#[test]
fn german_by_default_and_english_when_asked() {
    let periods = vec![closure("IT-Umstellung", "2020-06-29", "2020-07-01")];
    let de = render(&page(Lang::De, vec![count_tile(1, 1)], periods.clone()));
    assert!(de.contains("<html lang=\"de\">"));
    // The charts' heading names the period they show.
    for word in [
        "Offene Anliegen",
        "Anstehende Schließungen und Feiertage",
        "Mo 29.06.2020",
        "Pressemitteilung",
        "Verlauf vom 01.01.2020 bis 24.06.2020",
    ] {
        assert!(de.contains(word), "German page lacks {word:?}");
    }
    let en = render(&page(Lang::En, vec![count_tile(1, 1)], periods));
    assert!(en.contains("<html lang=\"en\">"));
    for word in [
        "Open requests",
        "Upcoming closures and holidays",
        "Mon 2020-06-29",
        "System migration",
        "Press",
        "From 2020-01-01 to 2020-06-24",
    ] {
        assert!(en.contains(word), "English page lacks {word:?}");
    }
    assert!(!en.contains("Anliegen") && !en.contains("Schließung"), "German words on the English page");
    assert!(en.contains("<option value=\"en\" selected>") && de.contains("<option value=\"de\" selected>"));
}

fn dashboard_name(p: &mut Page, name: &str) {
    if let Some(d) = p.dashboard.as_mut() {
        d.name = Some(name.into());
    }
}

#[test]
fn text_from_the_log_is_escaped_everywhere() {
    let evil = "<script>alert('x')</script> & \"Umbau\"";
    let mut p = page(Lang::De, vec![count_tile(1, 2)], vec![closure(evil, "2020-06-29", "2020-06-29")]);
    let dashboard = p.dashboard.as_mut().unwrap();
    dashboard.statement = Statement { text: format!("</blockquote>{evil}"), provenance: evil.into() };
    p.form.offices.push(("a\"b".into(), evil.into()));
    dashboard_name(&mut p, evil);
    let html = render(&p);
    assert!(!html.contains("<script>") && !html.contains("</blockquote><script>"), "markup leaked");
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Umbau&quot;"));
    assert_eq!(html.matches("</blockquote>").count(), 1);
    assert!(html.contains("<option value=\"a&quot;b\">&lt;script&gt;"), "the office menu escapes names");
    assert!(html.contains("<h1>&lt;script&gt;"), "the heading escapes the office's name");
    // Query strings in attributes have their ampersands escaped.
    assert!(html.contains("/charts/wait.png?office=kl-buergercenter&amp;as_of=2020-06-24&amp;lang=de\""));
}

#[test]
fn every_chart_is_an_image_with_alt_text_and_size_and_no_script_anywhere() {
    let html = render(&page(Lang::De, vec![count_tile(1, 2)], vec![]));
    for name in ["backlog", "wait", "flow", "attribution"] {
        let at = html.find(&format!("<img src=\"/charts/{name}.png?")).unwrap_or_else(|| panic!("{name} missing"));
        let tag = &html[at..at + html[at..].find('>').unwrap()];
        assert!(tag.contains("alt=\"") && tag.contains("width=\"1200\"") && tag.contains("height=\"600\""), "{tag}");
    }
    assert!(html.contains("name=\"viewport\"") && html.contains("<form method=\"get\""));
    assert!(!html.to_lowercase().contains("<script"));
}

#[test]
fn an_empty_log_still_renders_a_page_that_says_so() {
    for (lang, says) in [(Lang::De, "Noch keine Daten"), (Lang::En, "No data yet")] {
        let html = render(&Page {
            lang,
            form: Form { offices: vec![], office: None, as_of: d("2020-06-24") },
            dashboard: None,
        });
        assert!(html.contains(says), "{lang}");
        assert!(html.contains("type=\"date\"") && !html.contains("<img"), "{lang}");
    }
}

#[test]
fn upcoming_keeps_what_is_not_over_and_begins_within_a_year() {
    let periods = vec![
        closure("over", "2020-06-01", "2020-06-23"),
        closure("later", "2020-12-24", "2020-12-24"),
        closure("running", "2020-06-20", "2020-06-24"),
        closure("far", "2021-06-25", "2021-06-25"),
    ];
    let labels: Vec<String> = page::upcoming(periods, d("2020-06-24")).into_iter().map(|p| p.label).collect();
    assert_eq!(labels, ["running", "later"]);
}

#[test]
fn the_statement_is_split_from_its_provenance_line() {
    let composed = crate::press::Statement {
        headline: "H".into(),
        paragraphs: vec!["A".into(), "B".into(), "Quelle: x".into()],
        ..sample_statement()
    };
    let s = Statement::from_press(&composed);
    assert_eq!((s.text.as_str(), s.provenance.as_str()), ("H\n\nA\n\nB", "Quelle: x"));
}

fn sample_statement() -> crate::press::Statement {
    use crate::projection::{Config, Projection};
    let projection =
        Projection::new(Config { zone: crate::domain::time::Zone::parse("Europe/Berlin").unwrap(), horizon_days: 365 });
    let provenance = crate::press::Provenance { position: 0, digest: "00".repeat(32), definitions: "d" };
    let office = crate::domain::id::OfficeId::parse("x").unwrap();
    crate::press::compose(&projection, &office, d("2020-06-24"), Lang::De, provenance, None)
}
