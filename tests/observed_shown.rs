//! Where people read the observed figures: the page's tiles, the press statement and the wait chart, for an office
//! known only from its public calendar and for one with both calendars.

mod support {
    pub mod server;
}

use support::server::{DATA_SET, Server};

/// Observations of kl-buergercenter's public calendar on 23 and 24 June 2020: on the 24th at 08:00 its next free
/// slot is 15 July (21 days ahead), the third the 16th.
fn observations(office: &str) -> String {
    let slots = r#""2020-07-15T08:00:00+02:00","2020-07-15T08:20:00+02:00","2020-07-16T10:40:00+02:00""#;
    [("2020-06-23T08:00:00+02:00", "o23"), ("2020-06-24T08:00:00+02:00", "o24")]
        .map(|(at, id)| {
            format!(
                r#"{{"event_id":"{id}","type":"calendar_observed","at":"{at}","office":"{office}","source":"scraper","free_slots":[{slots}]}}"#
            )
        })
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_known_only_from_its_calendar_shows_the_observed_figures_alone() {
    let server = Server::start(&(observations("nur-kalender") + "\n"), Some("2020-06-24")).await;
    let page = server.get("/?office=nur-kalender").await.text().await.unwrap();
    assert!(page.contains("id=\"tile-observed-next-available\""), "{page}");
    assert!(page.contains("Stand der Beobachtung: 24.06.2020, 08:00 Uhr"), "{page}");
    assert!(page.contains("id=\"tile-observed-free-28d\""));
    assert!(!page.contains("id=\"tile-backlog\""), "no booked figures for an office nobody exports");
    let press = server.get("/api/v1/press-statement?office=nur-kalender&as_of=2020-06-24").await.text().await.unwrap();
    assert!(press.contains("im Online-Kalender nächster freier Termin: drei Wochen"), "{press}");
    assert!(press.contains("am 24. Juni 2020 um 08:00 Uhr (Stand der Beobachtung)"), "{press}");
    let chart = server.get("/charts/wait.svg?office=nur-kalender&as_of=2020-06-24&from=2020-06-01&to=2020-06-24").await;
    assert_eq!(chart.status(), 200);
    assert!(chart.text().await.unwrap().contains("Online-Kalender: nächster freier Termin"), "the line's legend");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_office_with_both_calendars_shows_them_side_by_side_and_the_press_says_when_they_differ() {
    let events = format!("{DATA_SET}{}\n", observations("kl-buergercenter"));
    let server = Server::start(&events, Some("2020-06-24")).await;
    let page = server.get("/").await.text().await.unwrap();
    assert!(page.contains("id=\"tile-backlog\"") && page.contains("id=\"tile-observed-next-available\""), "{page}");
    // Booked: 20 days to the next free appointment on 24 June 2020, the calendar shows 21: no sentence.
    let press = server.get("/api/v1/press-statement?as_of=2020-06-24").await.text().await.unwrap();
    assert!(!press.contains("Der öffentliche Online-Kalender zeigte"), "{press}");
    server.stop().await;

    // A calendar that shows nothing free for a year differs by more than a week from the booked 21 days.
    let empty = r#"{"event_id":"o-empty","type":"calendar_observed","at":"2020-06-24T09:00:00+02:00","office":"kl-buergercenter","source":"scraper","free_slots":[]}"#;
    let server = Server::start(&format!("{DATA_SET}{empty}\n"), Some("2020-06-24")).await;
    let press = server.get("/api/v1/press-statement?as_of=2020-06-24").await.text().await.unwrap();
    assert!(
        press.contains("Der öffentliche Online-Kalender zeigte am 24. Juni 2020 um 09:00 Uhr dagegen in den nächsten 365 Tagen keinen freien Termin."),
        "{press}"
    );
    server.stop().await;
}
