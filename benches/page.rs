//! The management page end to end through the router (query parsing, the read lock, summary, press statement,
//! HTML), over the 2020 scenario as of 2020-06-24: target under 100 ms. One chart through the router beside it,
//! for the cost of the images the page links.

use std::hint::black_box;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use criterion::{Criterion, criterion_group, criterion_main};
use tower::ServiceExt;

use wartezeit::domain::time::Zone;
use wartezeit::log::Log;
use wartezeit::service::{self, Config};

const DATA_SET: &str = include_str!("../data/kaiserslautern-2020.ndjson");

fn page(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let dir = tempfile::tempdir().expect("a temporary directory");
    let router = runtime.block_on(async {
        let log = Log::open(dir.path()).expect("opens");
        let events: Vec<_> =
            DATA_SET.lines().map(|l| wartezeit::domain::wire::parse_event(l).expect("a valid event")).collect();
        log.append(events).expect("appended");
        let mut config = Config::new(Zone::parse("Europe/Berlin").unwrap(), None);
        config.as_of = Some("2020-06-24".parse().unwrap());
        let app = service::build(config, log).expect("builds");
        app.ready().await;
        app.router
    });
    let get = |path: &'static str| {
        let router = router.clone();
        let runtime = &runtime;
        move || {
            runtime.block_on(async {
                let request = Request::get(path).body(Body::empty()).unwrap();
                let response = router.clone().oneshot(request).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap()
            })
        }
    };
    let mut group = c.benchmark_group("http_2020_as_of_2020-06-24");
    let index = get("/");
    group.bench_function("get_index", |b| b.iter(|| black_box(index())));
    let index_en = get("/?lang=en&office=kl-buergercenter&as_of=2020-03-02");
    group.bench_function("get_index_en_march", |b| b.iter(|| black_box(index_en())));
    let chart = get("/charts/wait.png");
    group.bench_function("get_chart_wait_png_1200x600", |b| b.iter(|| black_box(chart())));
    group.finish();
}

criterion_group!(benches, page);
criterion_main!(benches);
