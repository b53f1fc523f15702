//! What-if plans side by side and the capacity needed, as text for people in German or English. Pure: the
//! comparison (or the answer) in, text out; their JSON is their serde form.

use chrono::NaiveDate;

use crate::forecast::whatif::{CapacityNeeded, Comparison, Needed, Outcome, Tried};
use crate::lang::{Lang, date_short, integer, percent};

fn t<'a>(lang: Lang, de: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::De => de,
        Lang::En => en,
    }
}

fn when(d: Option<NaiveDate>, lang: Lang) -> String {
    d.map_or_else(|| t(lang, "nicht im Horizont", "not within the horizon").to_owned(), |d| date_short(d, lang))
}

fn wait(w: Option<u32>, lang: Lang) -> String {
    w.map_or_else(|| t(lang, "keine", "none").to_owned(), |w| format!("{w} {}", t(lang, "T.", "d")))
}

fn row(o: &Outcome, lang: Lang) -> String {
    let r = &o.wait_target;
    let after: Vec<String> = o.wait_after.iter().map(|w| format!("{:>8}", wait(w.p50, lang))).collect();
    format!(
        "{:<34} {:>7} {:>16} {:>16} {:>16} {}\n",
        truncate(&o.plan.name, 34),
        if o.slots_added == 0 { "±0".to_owned() } else { format!("{:+}", o.slots_added) },
        when(r.p50, lang),
        when(r.p85, lang),
        when(r.p95, lang),
        after.join(" ")
    )
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n { s.to_owned() } else { s.chars().take(n - 1).chain(['…']).collect() }
}

/// The plans beside the baseline: per plan the slots it adds, the 50/85/95 % dates of the target wait, and the
/// median wait in 2, 4 and 8 weeks.
pub fn whatif_table(c: &Comparison, lang: Lang) -> String {
    let mut s = match lang {
        Lang::De => format!(
            "Maßnahmen für {} zum {}: Wartezeit höchstens {} Tage ({} Läufe je Plan, Startwert {}, für alle gleich)\n",
            c.office,
            date_short(c.as_of, lang),
            c.config.target_wait_days,
            integer(u64::from(c.config.runs), lang),
            c.config.seed
        ),
        Lang::En => format!(
            "Plans for {} as of {}: wait at most {} days ({} runs per plan, seed {}, the same for all)\n",
            c.office,
            date_short(c.as_of, lang),
            c.config.target_wait_days,
            integer(u64::from(c.config.runs), lang),
            c.config.seed
        ),
    };
    s += &format!(
        "{:<34} {:>7} {:>16} {:>16} {:>16} {}\n",
        t(lang, "Plan", "Plan"),
        t(lang, "Slots", "Slots"),
        "50 %",
        "85 %",
        "95 %",
        t(lang, "Wartezeit (Median) in 2 / 4 / 8 Wochen", "wait (median) in 2 / 4 / 8 weeks")
    );
    s += &row(&c.baseline, lang);
    for o in &c.plans {
        s += &row(o, lang);
    }
    s
}

fn tried(x: &Tried, lang: Lang) -> String {
    format!("{} ± {}", percent(x.share, lang), percent(x.standard_error, lang))
}

/// The capacity needed as sentences with their uncertainty, and the numbers tried.
pub fn capacity_table(c: &CapacityNeeded, lang: Lang) -> String {
    let q = &c.question;
    let mut s = match lang {
        Lang::De => format!(
            "{} zum {}: Wartezeit höchstens {} Tage bis {} mit {} Wahrscheinlichkeit, zusätzliche Termine je \
             Öffnungstag ab {} (höchstens {}), {} Läufe je Anzahl\n",
            c.office,
            date_short(c.as_of, lang),
            c.config.target_wait_days,
            date_short(q.by, lang),
            percent(q.probability, lang),
            date_short(q.from, lang),
            q.limit,
            integer(u64::from(c.config.runs), lang)
        ),
        Lang::En => format!(
            "{} as of {}: wait at most {} days by {} with {} probability, extra slots per open day from {} (at most \
             {}), {} runs per number\n",
            c.office,
            date_short(c.as_of, lang),
            c.config.target_wait_days,
            date_short(q.by, lang),
            percent(q.probability, lang),
            date_short(q.from, lang),
            q.limit,
            integer(u64::from(c.config.runs), lang)
        ),
    };
    s += &match (&c.needed, lang) {
        (Needed::NoneNeeded { at }, Lang::De) => {
            format!("Keine zusätzlichen Termine nötig: ohne sie schaffen es {} der Läufe.\n", tried(at, lang))
        }
        (Needed::NoneNeeded { at }, Lang::En) => {
            format!("No extra slots needed: without them {} of the runs get there.\n", tried(at, lang))
        }
        (Needed::Slots { at, one_fewer }, Lang::De) => format!(
            "Nötig: {} zusätzliche Termine je Öffnungstag ({} bis {}). Damit schaffen es {} der Läufe, mit einem \
             weniger {}.\n",
            at.slots_per_open_day,
            integer(c.slots_until_by.unwrap_or(0), lang),
            date_short(q.by, lang),
            tried(at, lang),
            tried(one_fewer, lang)
        ),
        (Needed::Slots { at, one_fewer }, Lang::En) => format!(
            "Needed: {} extra slots per open day ({} up to {}). With them {} of the runs get there, with one fewer \
             {}.\n",
            at.slots_per_open_day,
            integer(c.slots_until_by.unwrap_or(0), lang),
            date_short(q.by, lang),
            tried(at, lang),
            tried(one_fewer, lang)
        ),
        (Needed::NotReachable { at_limit }, Lang::De) => format!(
            "Nicht erreichbar mit höchstens {} zusätzlichen Terminen je Öffnungstag: damit schaffen es nur {} der \
             Läufe.\n",
            at_limit.slots_per_open_day,
            tried(at_limit, lang)
        ),
        (Needed::NotReachable { at_limit }, Lang::En) => format!(
            "Not reachable with at most {} extra slots per open day: with them only {} of the runs get there.\n",
            at_limit.slots_per_open_day,
            tried(at_limit, lang)
        ),
    };
    s += t(lang, "Versucht (zusätzliche Termine: Anteil der Läufe):", "Tried (extra slots: share of runs):");
    for x in &c.tried {
        s += &format!(" {}: {};", x.slots_per_open_day, tried(x, lang));
    }
    s.pop();
    s.push('\n');
    s
}
