//! Connections on a city's network: silent, idle and slow connections are closed after the header deadline, one
//! over the limit is answered 503 and closed at once, and the service goes on answering others throughout.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use wartezeit::log::Log;
use wartezeit::service::connections::Limits;

mod support {
    pub mod server;
}

use support::server::Server;

/// Every wait of these tests is bounded: a server that keeps a connection open fails them instead of hanging.
const BOUND: Duration = Duration::from_secs(10);

async fn server(limits: Limits) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let log = Log::open(dir.path()).unwrap();
    Server::limited(log, None, dir, limits).await
}

/// Reads until the server closes the connection; what it sent.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    tokio::time::timeout(BOUND, stream.read_to_end(&mut got)).await.expect("closed in time").expect("reads");
    got
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_idle_and_slow_connections_are_closed_after_the_header_deadline() {
    let server = server(Limits { max_connections: 64, header_read_timeout: Duration::from_millis(500) }).await;
    let addr = server.base.trim_start_matches("http://").to_owned();

    // Silent: connects and sends nothing.
    let mut silent = TcpStream::connect(&addr).await.unwrap();
    // Idle keep-alive: one request answered, then nothing.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut first = [0u8; 12];
    idle.read_exact(&mut first).await.unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // Slow: a header byte every 100 ms, never finishing the head.
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    let slow_writer = tokio::spawn({
        async move {
            for &byte in b"GET /healthz HTTP/1.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
                if slow.write_all(&[byte]).await.is_err() {
                    return slow;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            slow
        }
    });

    assert!(until_closed(&mut silent).await.is_empty(), "a silent connection is closed without an answer");
    until_closed(&mut idle).await;
    let mut slow = tokio::time::timeout(BOUND, slow_writer).await.expect("the slow head is cut off").unwrap();
    until_closed(&mut slow).await;
    // Others are served all the while.
    assert_eq!(server.get("/healthz").await.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_connection_over_the_limit_is_refused_cleanly_and_the_slots_come_back() {
    let server = server(Limits { max_connections: 4, header_read_timeout: Duration::from_secs(1) }).await;
    let addr = server.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    // Every slot is taken by a silent connection: the next one hears 503 and is closed, not left waiting.
    let mut over = TcpStream::connect(&addr).await.unwrap();
    let answer = String::from_utf8(until_closed(&mut over).await).unwrap();
    assert!(answer.starts_with("HTTP/1.1 503 Service Unavailable\r\n"), "{answer}");
    assert!(answer.contains("Retry-After: 1") && answer.ends_with("\"detail\":\"too many connections\"}"), "{answer}");
    // Once the silent ones pass the header deadline, their slots serve others again.
    for stream in &mut held {
        until_closed(stream).await;
    }
    let response = tokio::time::timeout(BOUND, server.get("/healthz")).await.expect("answered");
    assert_eq!(response.status(), 200);
    server.stop().await;
}

#[test]
fn the_connection_limit_leaves_descriptors_for_the_rest() {
    let limits = Limits { max_connections: usize::MAX, header_read_timeout: Duration::from_secs(10) };
    let effective = limits.effective_max_connections();
    assert!(effective < usize::MAX, "fitted to the descriptor limit");
    assert!(effective >= 1);
}
