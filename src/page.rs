//! The management page: server-rendered HTML, German by default, no JavaScript, readable on a phone.
//!
//! Pure: [`render`] takes a [`Page`] of plain data (tiles, chart links, closures and holidays, the press statement)
//! and returns the document; the service gathers that data under the projection's read lock and hands it over.
//! Every piece of text is escaped ([`html::escape`]); the only markup is written here.
//!
//! To add a figure or a chart (the forecast's "wieder normal voraussichtlich …"), push one more [`tiles::Tile`] onto
//! [`Dashboard::tiles`] or one more [`ChartLink`] onto [`Dashboard::charts`]; nothing else changes.

pub mod html;
pub mod tiles;
pub mod words;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use chrono::{Days, NaiveDate};

use crate::chart::ChartKind;
use crate::lang::Lang;
use crate::page::html::{escape, query};
use crate::page::tiles::Tile;
use crate::page::words::Words;
use crate::projection::NamedPeriod;

/// How far ahead the table of closures and holidays looks, in days.
pub const UPCOMING_DAYS: u64 = 365;

/// The page: the form, and the office's figures or the note that there are none yet.
#[derive(Debug, Clone)]
pub struct Page {
    pub lang: Lang,
    pub form: Form,
    /// `None`: the log holds no office yet.
    pub dashboard: Option<Dashboard>,
}

/// The form that chooses office, as-of day and language.
#[derive(Debug, Clone)]
pub struct Form {
    /// The offices of the log, in id order: (id, the name people read).
    pub offices: Vec<(String, String)>,
    /// The office shown.
    pub office: Option<String>,
    pub as_of: NaiveDate,
}

/// One office's figures as of one day.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub office: String,
    /// The office's display name (`office_described`), if it has one.
    pub name: Option<String>,
    pub as_of: NaiveDate,
    /// The log position the figures were computed at.
    pub position: u64,
    pub tiles: Vec<Tile>,
    pub charts: Vec<ChartLink>,
    /// The period the charts show (the charts' default: the year up to the as-of day), named in their heading.
    pub chart_period: (NaiveDate, NaiveDate),
    /// Closures and holidays from the as-of day on (see [`upcoming`]).
    pub periods: Vec<NamedPeriod>,
    pub statement: Statement,
    /// The what-if plans compared ("Maßnahmen"): those given in the URL, or those the operator saved; `None`:
    /// none to show.
    pub measures: Option<Measures>,
}

/// The "Maßnahmen" section: plans beside the baseline, and the press statement's sentence for the first plan.
#[derive(Debug, Clone)]
pub struct Measures {
    pub comparison: crate::forecast::whatif::Comparison,
    /// Whether the plans are the operator's saved ones (else the URL's).
    pub saved: bool,
}

/// A chart on the page: the image at `/charts/{name}.png`, with words for those who cannot see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartLink {
    /// The chart's name in its URL.
    pub name: &'static str,
    pub alt: Words,
    /// The size asked for, which is also the `<img>`'s intrinsic size.
    pub width: u32,
    pub height: u32,
}

/// The charts of the page, in report order.
pub fn charts() -> Vec<ChartLink> {
    ChartKind::ALL
        .into_iter()
        .map(|kind| {
            let alt = match kind {
                ChartKind::Backlog => words::BACKLOG_CHART,
                ChartKind::Wait => words::WAIT_CHART,
                ChartKind::Flow => words::FLOW_CHART,
                ChartKind::Attribution => words::ATTRIBUTION_CHART,
                ChartKind::Forecast => words::FORECAST_CHART,
            };
            ChartLink { name: kind.as_str(), alt, width: 1200, height: 600 }
        })
        .collect()
}

/// The press statement as it is copied: the text, and apart from it the provenance line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub text: String,
    pub provenance: String,
}

impl Statement {
    /// The text of a composed statement, headline first; its last paragraph is the provenance line.
    pub fn from_press(statement: &crate::press::Statement) -> Statement {
        let (body, provenance) = statement.paragraphs.split_at(statement.paragraphs.len().saturating_sub(1));
        let mut text = statement.headline.clone();
        for p in body {
            text.push_str("\n\n");
            text.push_str(p);
        }
        Statement { text, provenance: provenance.concat() }
    }
}

/// The size of the charts a phone gets (a screen up to 700 CSS pixels wide).
pub const PHONE_CHART: (u32, u32) = (360, 300);

/// The closures and holidays that are not over by `as_of` and begin within [`UPCOMING_DAYS`], in date order.
pub fn upcoming(periods: Vec<NamedPeriod>, as_of: NaiveDate) -> Vec<NamedPeriod> {
    let horizon = as_of.checked_add_days(Days::new(UPCOMING_DAYS)).unwrap_or(as_of);
    let mut out: Vec<NamedPeriod> =
        periods.into_iter().filter(|p| p.last_day >= as_of && p.first_day <= horizon).collect();
    out.sort_by(|a, b| (a.first_day, a.last_day, &a.label).cmp(&(b.first_day, b.last_day, &b.label)));
    out
}

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:16px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#212529;\
background:#f4f5f7}\
header,main,footer{max-width:1240px;margin:0 auto;padding:0 12px}\
h1{font-size:1.5rem;margin:16px 0 4px}h2{font-size:1.2rem;margin:24px 0 8px}h3{font-size:.95rem;margin:0;\
font-weight:600;color:#495057}\
.meta{color:#5f6368;margin:0 0 8px}\
form{display:flex;flex-wrap:wrap;gap:8px 16px;align-items:end;background:#fff;padding:12px;border-radius:8px}\
label{display:flex;flex-direction:column;font-size:.85rem;color:#495057}\
select,input,button{font:inherit;padding:6px 8px;min-height:2.5rem}\
button{background:#2f5d8a;color:#fff;border:0;border-radius:6px;padding:6px 16px}\
.tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:12px}\
.tile{background:#fff;border-radius:8px;padding:12px 14px}\
.figure{font-size:2rem;font-weight:700;margin:4px 0}\
.change,.note{margin:0;font-size:.9rem;color:#5f6368}\
.worse{color:#b4232f}.better{color:#1e7b34}\
figure{margin:0 0 16px;background:#fff;border-radius:8px;padding:8px}\
figure img{display:block;width:100%;height:auto}\
.scroll{overflow-x:auto}\
table{border-collapse:collapse;background:#fff;width:100%}\
th,td{text-align:left;padding:6px 10px;border-bottom:1px solid #e2e4e7;white-space:nowrap}\
td.num{text-align:right}\
.statement{margin:0;background:#fff;border-radius:8px;padding:4px 16px;user-select:all}\
.statement .headline{font-weight:700}\
.provenance{font-size:.85rem;color:#5f6368;word-break:break-word}\
footer{margin:32px auto;font-size:.85rem;color:#5f6368}\
footer a{color:inherit}";

/// The whole document.
/// The page a browser gets when its request cannot be answered (a bad parameter, an unknown office): the reason in
/// the words of the API, and a way back, in the page's language.
pub fn render_error(lang: Lang, status: u16, detail: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\n<body>\n<header>\n<h1>{title}</h1>\n</header>\n<main>\n\
         <p>{status}: {detail}</p>\n<p><a href=\"/?lang={lang}\">{back}</a></p>\n</main>\n</body></html>\n",
        title = escape(words::CANNOT_SHOW.pick(lang)),
        detail = escape(detail),
        back = escape(words::BACK.pick(lang)),
    )
}

pub fn render(page: &Page) -> String {
    let lang = page.lang;
    let mut out = String::with_capacity(16 * 1024);
    let title = match &page.dashboard {
        Some(d) => format!(
            "{} – {} – {} {}",
            words::TITLE.pick(lang),
            d.name.as_deref().unwrap_or(&d.office),
            words::AS_OF.pick(lang),
            words::date(d.as_of, lang)
        ),
        None => words::TITLE.pick(lang).to_owned(),
    };
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{STYLE}</style></head>\n<body>\n<header>\n<h1>{h1}</h1>\n",
        title = escape(&title),
        h1 = escape(&match &page.dashboard {
            Some(Dashboard { name: Some(name), .. }) => name.clone(),
            Some(d) => format!("{} {}", words::OFFICE.pick(lang), d.office),
            None => words::TITLE.pick(lang).to_owned(),
        }),
    );
    if let Some(d) = &page.dashboard {
        let _ = writeln!(
            out,
            "<p class=\"meta\">{} {} · {} {}</p>",
            escape(words::AS_OF.pick(lang)),
            escape(&words::date(d.as_of, lang)),
            escape(words::DATA_POSITION.pick(lang)),
            escape(&crate::lang::integer(d.position, lang)),
        );
    }
    write_form(&mut out, &page.form, lang);
    out.push_str("</header>\n<main>\n");
    match &page.dashboard {
        None => {
            let _ = writeln!(out, "<p class=\"empty\">{}</p>", escape(words::NO_DATA.pick(lang)));
        }
        Some(d) => write_dashboard(&mut out, d, lang),
    }
    let _ = write!(
        out,
        "</main>\n<footer>{}: <a href=\"/api/v1/summary\">/api/v1/summary</a> · \
         <a href=\"/api/v1/press-statement?format=text\">/api/v1/press-statement</a> · \
         <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> · <a href=\"/metrics\">/metrics</a></footer>\n\
         </body></html>\n",
        escape(words::API.pick(lang))
    );
    out
}

fn write_form(out: &mut String, form: &Form, lang: Lang) {
    out.push_str("<form method=\"get\" action=\"/\">\n");
    if !form.offices.is_empty() {
        let _ = write!(out, "<label>{}<select name=\"office\">", escape(words::OFFICE.pick(lang)));
        for (office, label) in &form.offices {
            let selected = if form.office.as_ref() == Some(office) { " selected" } else { "" };
            let _ = write!(out, "<option value=\"{}\"{selected}>{}</option>", escape(office), escape(label));
        }
        out.push_str("</select></label>\n");
    }
    let _ = writeln!(
        out,
        "<label>{}<input type=\"date\" name=\"as_of\" value=\"{}\" required></label>",
        escape(words::AS_OF.pick(lang)),
        form.as_of
    );
    let _ = write!(out, "<label>{}<select name=\"lang\">", escape(words::LANGUAGE.pick(lang)));
    for (code, name) in [(Lang::De, "Deutsch"), (Lang::En, "English")] {
        let selected = if code == lang { " selected" } else { "" };
        let _ = write!(out, "<option value=\"{code}\"{selected}>{name}</option>");
    }
    let _ = writeln!(
        out,
        "</select></label>\n<button type=\"submit\">{}</button>\n</form>",
        escape(words::SHOW.pick(lang))
    );
}

fn write_dashboard(out: &mut String, d: &Dashboard, lang: Lang) {
    let _ = writeln!(out, "<h2>{}</h2>\n<section class=\"tiles\">", escape(words::TILES.pick(lang)));
    for tile in &d.tiles {
        tiles::write(out, tile, lang);
    }
    out.push_str("</section>\n");

    let (from, to) = (crate::lang::date_short(d.chart_period.0, lang), crate::lang::date_short(d.chart_period.1, lang));
    let heading = match lang {
        Lang::De => format!("Verlauf vom {from} bis {to}"),
        Lang::En => format!("From {from} to {to}"),
    };
    let _ = writeln!(out, "<h2>{}</h2>\n<section class=\"charts\">", escape(&heading));
    let as_of = d.as_of.to_string();
    let lang_code = lang.to_string();
    let params = query(&[("office", &d.office), ("as_of", &as_of), ("lang", &lang_code)]);
    for chart in &d.charts {
        // A phone gets a chart drawn for its width (about 360 px shown), whose text is then shown at the size it was
        // drawn (11 px and up): a 1200 px chart shrunk to a phone's width would have 5 px labels.
        let (small_w, small_h) = PHONE_CHART;
        let small = query(&[("width", &small_w.to_string()), ("height", &small_h.to_string())]).replacen('?', "&", 1);
        let _ = writeln!(
            out,
            "<figure><picture><source media=\"(max-width: 700px)\" srcset=\"{small_src}\" width=\"{small_w}\" \
             height=\"{small_h}\"><img src=\"{src}\" alt=\"{alt}\" width=\"{w}\" height=\"{h}\" loading=\"lazy\">\
             </picture></figure>",
            small_src = escape(&format!("/charts/{}.png{params}{small}", chart.name)),
            src = escape(&format!("/charts/{}.png{params}", chart.name)),
            alt = escape(chart.alt.pick(lang)),
            w = chart.width,
            h = chart.height,
        );
    }
    out.push_str("</section>\n");

    if let Some(measures) = &d.measures {
        write_measures(out, measures, lang);
    }

    let _ = writeln!(out, "<h2>{}</h2>\n<section class=\"periods\">", escape(words::PERIODS.pick(lang)));
    write_periods(out, &d.periods, lang);
    out.push_str("</section>\n");

    // The statement whole, as a block of paragraphs (not a box of fixed height that cuts its last lines): select
    // it to copy, the source line included, once.
    let _ = writeln!(
        out,
        "<h2>{}</h2>\n<section class=\"press\">\n<blockquote class=\"statement\" aria-label=\"{label}\">",
        escape(words::PRESS.pick(lang)),
        label = escape(words::PRESS.pick(lang)),
    );
    let mut paragraphs = d.statement.text.split("\n\n");
    if let Some(headline) = paragraphs.next() {
        let _ = writeln!(out, "<p class=\"headline\">{}</p>", escape(headline));
    }
    for paragraph in paragraphs {
        let _ = writeln!(out, "<p>{}</p>", escape(paragraph));
    }
    let _ = writeln!(out, "<p class=\"provenance\">{}</p>\n</blockquote>\n</section>", escape(&d.statement.provenance));
}

fn write_measures(out: &mut String, m: &Measures, lang: Lang) {
    use crate::forecast::whatif::Outcome;
    let c = &m.comparison;
    let _ = writeln!(out, "<h2>{}</h2>\n<section class=\"measures\">", escape(words::MEASURES.pick(lang)));
    let source = match (m.saved, lang) {
        (true, Lang::De) => "Gespeicherte Pläne",
        (true, Lang::En) => "Saved plans",
        (false, Lang::De) => "Pläne aus der Adresse (plan=)",
        (false, Lang::En) => "Plans from the address (plan=)",
    };
    let note = match lang {
        Lang::De => format!(
            "{source}, jeweils {} Simulationen mit demselben Startwert; Ziel: Wartezeit höchstens {} Tage.",
            crate::lang::integer(u64::from(c.config.runs), lang),
            c.config.target_wait_days
        ),
        Lang::En => format!(
            "{source}, {} simulation runs each with the same seed; target: a wait of at most {} days.",
            crate::lang::integer(u64::from(c.config.runs), lang),
            c.config.target_wait_days
        ),
    };
    let _ = writeln!(out, "<p>{}</p>", escape(&note));
    let (plan, slots, after) = match lang {
        Lang::De => ("Plan", "Termine (Horizont)", "Wartezeit (Median) in 2 / 4 / 8 Wochen"),
        Lang::En => ("Plan", "Slots (horizon)", "Wait (median) in 2 / 4 / 8 weeks"),
    };
    let _ = writeln!(
        out,
        "<div class=\"scroll\"><table><thead><tr><th>{plan}</th><th>{slots}</th><th>50 %</th><th>85 %</th>\
         <th>95 %</th><th>{after}</th></tr></thead><tbody>",
        plan = escape(plan),
        slots = escape(slots),
        after = escape(after),
    );
    let when = |d: Option<NaiveDate>| d.map_or_else(|| words::BEYOND.pick(lang).to_owned(), |d| words::date(d, lang));
    let row = |out: &mut String, name: &str, o: &Outcome| {
        let waits: Vec<String> =
            o.wait_after.iter().map(|w| w.p50.map_or_else(|| "–".to_owned(), |v| v.to_string())).collect();
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td class=\"num\">{:+}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>",
            escape(name),
            o.slots_added,
            escape(&when(o.wait_target.p50)),
            escape(&when(o.wait_target.p85)),
            escape(&when(o.wait_target.p95)),
            escape(&waits.join(" / ")),
        );
    };
    row(out, words::BASELINE.pick(lang), &c.baseline);
    for o in &c.plans {
        row(out, &o.plan.name, o);
    }
    out.push_str("</tbody></table></div>\n");
    let sentences = c.plans.iter().filter_map(|o| crate::press::words::plan_outlook(c, &o.plan.name, lang));
    for sentence in sentences {
        let _ = writeln!(out, "<p class=\"statement\">{}</p>", escape(&sentence));
    }
    out.push_str("</section>\n");
}

fn write_periods(out: &mut String, periods: &[NamedPeriod], lang: Lang) {
    if periods.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", escape(words::NO_PERIODS.pick(lang)));
        return;
    }
    let _ = writeln!(
        out,
        "<div class=\"scroll\"><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>\
         <tbody>",
        escape(words::NAME.pick(lang)),
        escape(words::FROM.pick(lang)),
        escape(words::TO.pick(lang)),
        escape(words::DAYS_COLUMN.pick(lang)),
        escape(words::CAUSE.pick(lang)),
    );
    for p in periods {
        let days = (p.last_day - p.first_day).num_days() + 1;
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"num\">{days}</td><td>{}</td></tr>",
            escape(&p.label),
            escape(&words::weekday_date(p.first_day, lang)),
            escape(&words::weekday_date(p.last_day, lang)),
            escape(words::cause(p.kind, lang)),
        );
    }
    out.push_str("</tbody></table></div>\n");
}
