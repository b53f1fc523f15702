//! The management page and the chart images, black box over loopback: the 2020 scenario served as of 2020-06-24
//! through the same `service::build` as `wartezeit serve`, on port 0, with a fresh data directory.

use reqwest::StatusCode;
use serde_json::Value;

mod support {
    pub mod cli;
    pub mod server;
}

use support::server::{DATA_SET, Server, content_type};

impl Server {
    /// `GET path` as a browser would: 200, HTML, the page's text.
    async fn page(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        assert_eq!(content_type(&response), "text/html; charset=utf-8", "GET {path}");
        response.text().await.unwrap()
    }
}

async fn assert_problem(response: reqwest::Response, status: u16, parameter: Option<&str>) {
    assert_eq!(response.status().as_u16(), status, "{}", response.url());
    assert_eq!(content_type(&response), "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert_eq!(body["parameter"].as_str(), parameter, "{body}");
}

fn decode_png(bytes: &[u8]) -> (u32, u32) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().expect("png header decodes");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("png frame decodes");
    (info.width, info.height)
}

/// A small XML well-formedness check: tags close in order, the document has one root `<svg>` element.
fn check_svg(svg: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut roots = Vec::new();
    let mut rest = svg.trim_start();
    if let Some(after) = rest.strip_prefix("<?xml") {
        rest = &after[after.find("?>").expect("xml declaration ends") + 2..];
    }
    while let Some(lt) = rest.find('<') {
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").expect("comment ends") + 3..];
            continue;
        }
        let gt = rest.find('>').expect("tag ends");
        let tag = &rest[1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name.trim()), "</{name}> closes the wrong element");
            continue;
        }
        let name: String = tag.trim_end_matches('/').chars().take_while(|c| !c.is_whitespace()).collect();
        assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
        if stack.is_empty() {
            roots.push(name.clone());
        }
        if !tag.ends_with('/') {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    assert_eq!(roots, ["svg"]);
}

/// The values of every `attr="…"` on the page, entities undone.
fn attributes(html: &str, attr: &str) -> Vec<String> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .map(|(at, _)| {
            let start = at + needle.len();
            html[start..start + html[start..].find('"').unwrap()].replace("&amp;", "&")
        })
        .collect()
}

/// The `data-value` of the tile with `id`.
fn tile_value(html: &str, id: &str) -> String {
    let at = html.find(&format!("id=\"tile-{id}\"")).unwrap_or_else(|| panic!("tile {id} missing"));
    attributes(&html[at..], "data-value").into_iter().next().unwrap()
}

fn json_number(v: &Value) -> String {
    v.as_u64().map(|n| n.to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_chart_in_both_formats_has_its_type_size_and_cache_headers() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    for name in ["backlog", "wait", "flow", "attribution", "forecast"] {
        let png = server.get(&format!("/charts/{name}.png?width=640&height=320&lang=en")).await;
        assert_eq!(png.status(), StatusCode::OK, "{name}.png");
        assert_eq!(content_type(&png), "image/png");
        assert_eq!(png.headers()["cache-control"], "no-cache");
        let etag = png.headers()["etag"].to_str().unwrap().to_owned();
        assert_eq!(decode_png(&png.bytes().await.unwrap()), (640, 320), "{name}.png");
        // Asking again with the tag costs nothing: 304, no body.
        let again = server
            .client
            .get(format!("{}/charts/{name}.png?width=640&height=320&lang=en", server.base))
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{name}.png revalidated");
        assert!(again.bytes().await.unwrap().is_empty());

        let svg =
            server.get(&format!("/charts/{name}.svg?office=kl-buergercenter&from=2020-01-01&to=2020-06-30")).await;
        assert_eq!(svg.status(), StatusCode::OK, "{name}.svg");
        assert_eq!(content_type(&svg), "image/svg+xml");
        let text = svg.text().await.unwrap();
        check_svg(&text);
        assert!(text.contains("width=\"1200\"") && text.contains("height=\"600\""), "{name}.svg default size");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_chart_requests_are_problems_naming_what_is_wrong() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    for path in ["/charts/pie.png", "/charts/wait.gif", "/charts/wait"] {
        assert_problem(server.get(path).await, 404, None).await;
    }
    assert_problem(server.get("/charts/wait.png?office=nowhere").await, 404, None).await;
    for (query, parameter) in [
        ("width=299", "width"),
        ("width=3001", "width"),
        ("height=2001", "height"),
        ("height=abc", "height"),
        ("lang=fr", "lang"),
        ("from=2020-07-01&to=2020-06-01", "to"),
        ("as_of=24.06.2020", "as_of"),
        ("size=big", "size"),
    ] {
        assert_problem(server.get(&format!("/charts/backlog.png?{query}")).await, 400, Some(parameter)).await;
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_page_shows_the_summary_figures_and_every_image_on_it_loads() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let html = server.page("/").await;
    let summary: Value = server.get("/api/v1/summary?as_of=2020-06-24").await.json().await.unwrap();
    assert_eq!(tile_value(&html, "backlog"), json_number(&summary["backlog"]["today"]));
    assert_eq!(tile_value(&html, "next-available"), json_number(&summary["next_available_days"]["today"]));
    assert_eq!(tile_value(&html, "third-next-available"), json_number(&summary["third_next_available_days"]["today"]));
    assert_eq!(tile_value(&html, "realized-wait"), json_number(&summary["realized_wait_p50_days_7d"]["today"]));
    assert_eq!(summary["backlog"]["today"], 1226, "the scenario's backlog as of 2020-06-24");
    assert!(html.contains(">1.226<") && html.contains("vs. 17.06."), "German figures and the day compared with");
    assert!(html.contains("<html lang=\"de\">") && html.contains("Pressemitteilung"));
    assert!(html.contains("Quelle: wartezeit, Datenstand Logposition 43.157"), "the provenance line");
    assert_eq!(html.matches("Quelle: wartezeit, Datenstand").count(), 1, "the source line once");

    // The forecast's tile and the press statement's outlook come from the forecast the API gives.
    let forecast: Value = server.get("/api/v1/forecast?as_of=2020-06-24").await.json().await.unwrap();
    let p50 = forecast["wait_target"]["p50"].as_str().expect("a date as of 2020-06-24");
    assert_eq!(tile_value(&html, "back-to-normal"), p50);
    assert!(html.contains("drittnächster Termin in höchstens 7 Tagen · 2.000 Simulationen"), "the tile's note");
    assert!(html.contains("voraussichtlich bis"), "the press statement's outlook sentence");

    let mut images = attributes(&html, "src");
    images.extend(attributes(&html, "srcset"));
    assert_eq!(images.len(), 10, "five charts, each large and small: {images:?}");
    for src in images {
        let response = server.get(&src).await;
        assert_eq!(response.status(), StatusCode::OK, "{src}");
        assert!(content_type(&response).starts_with("image/"), "{src}");
    }

    let en = server.page("/?lang=en&as_of=2020-06-24&office=kl-buergercenter").await;
    assert!(en.contains("<html lang=\"en\">") && en.contains("Open requests") && en.contains(">1,226<"));
    assert!(en.contains("vs. Jun 17") && en.contains("Source: wartezeit"));
    assert!(attributes(&en, "src").iter().all(|s| s.contains("lang=en")));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_form_chooses_the_day_and_bad_values_name_their_parameter() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let march = server.page("/?as_of=2020-03-02").await;
    let summary: Value = server.get("/api/v1/summary?as_of=2020-03-02").await.json().await.unwrap();
    assert_eq!(tile_value(&march, "backlog"), json_number(&summary["backlog"]["today"]));
    assert!(march.contains("value=\"2020-03-02\"") && march.contains("as_of=2020-03-02"));
    assert_problem(server.get("/?as_of=yesterday").await, 400, Some("as_of")).await;
    assert_problem(server.get("/?lang=fr").await, 400, Some("lang")).await;
    assert_problem(server.get("/?ofice=kl").await, 400, Some("ofice")).await;
    assert_problem(server.get("/?office=nowhere").await, 404, None).await;
    // A browser gets the same refusal as a page in its language, with the reason and a way back.
    let browser =
        |path: &str| server.client.get(format!("{}{path}", server.base)).header("accept", "text/html,*/*;q=0.8");
    let french = browser("/?lang=fr").send().await.unwrap();
    assert_eq!(french.status(), 400);
    assert!(french.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = french.text().await.unwrap();
    assert!(html.contains("<html lang=\"de\">") && html.contains("Diese Ansicht gibt es so nicht"), "{html}");
    assert!(html.contains("lang=\"fr\" is not a language") || html.contains("lang=&quot;fr&quot;"), "{html}");
    let unknown = browser("/?office=nowhere&lang=en").send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    let html = unknown.text().await.unwrap();
    assert!(html.contains("This view cannot be shown") && html.contains("Back to the overview"), "{html}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_empty_log_gives_a_page_that_says_there_is_no_data_yet() {
    let server = Server::start("", Some("2020-06-24")).await;
    let html = server.page("/").await;
    assert!(html.contains("Noch keine Daten"), "{html}");
    assert!(server.page("/?lang=en").await.contains("No data yet"));
    assert_problem(server.get("/charts/wait.png").await, 404, None).await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_command_line_draws_the_forecast_chart_the_service_serves() {
    let server = Server::start(DATA_SET, Some("2020-06-24")).await;
    let served = server.get("/charts/forecast.png?as_of=2020-06-24").await;
    assert_eq!(served.status(), StatusCode::OK);
    let served = served.bytes().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("forecast.png");
    // Whatever period the command names, the forecast chart shows the weeks around its as-of day, as the route does.
    let args = ["chart", "forecast", "--from", "2020-01-01", "--to", "2020-12-31", "--as-of", "2020-06-24"];
    support::cli::ok(support::cli::store(), &[&args[..], &["--out", out.to_str().unwrap()]].concat());
    let drawn = std::fs::read(&out).unwrap();
    assert!(
        drawn == served.as_ref(),
        "the CLI's picture ({} bytes) is not the route's ({} bytes)",
        drawn.len(),
        served.len()
    );
    server.stop().await;
}
