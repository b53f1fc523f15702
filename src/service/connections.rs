//! Connections: the accept loop, with a bound on how many are open at once and a deadline for every request head.
//!
//! axum's own `serve` sets neither, so one client could hold sockets open for ever (a silent connection, an idle
//! keep-alive, a header byte every two seconds) until the process ran out of file descriptors and every other
//! client waited. Here:
//! - every connection must deliver each request head within [`Limits::header_read_timeout`], counted from the
//!   moment the server waits for it: that closes silent connections, idle keep-alives and slow heads alike (the
//!   body and the answer fall under the request timeout of the router);
//! - at most [`Limits::max_connections`] are open at once (and never more than the file descriptor limit leaves
//!   room for): one over that is answered `503` with `Retry-After` and closed at once, so the accepted ones are
//!   served instead of starved;
//! - on shutdown, in-flight requests finish and idle connections are closed.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1::Builder;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

/// How many connections the service keeps, and for how long it waits for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once; further ones are answered 503 and closed.
    pub max_connections: usize,
    /// How long a connection may take to send a request head (a new connection's first, or the next one on a
    /// kept-alive connection).
    pub header_read_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_connections: 512, header_read_timeout: Duration::from_secs(10) }
    }
}

/// File descriptors kept free for the store, logs and the like when the connection limit is fitted to the
/// process's limit.
const RESERVED_DESCRIPTORS: usize = 64;

impl Limits {
    /// The connection limit, lowered to what the process's file descriptor limit leaves room for.
    pub fn effective_max_connections(&self) -> usize {
        match descriptor_limit() {
            Some(limit) => self.max_connections.min(limit.saturating_sub(RESERVED_DESCRIPTORS).max(1)),
            None => self.max_connections,
        }
    }
}

/// The soft limit on open file descriptors, where the platform says.
fn descriptor_limit() -> Option<usize> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes the one struct it is given, which lives on this stack frame.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    ok.then(|| usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX))
}

/// What a connection over the limit is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Type: application/problem+json\r\n\
Connection: close\r\nContent-Length: 97\r\n\r\n\
{\"type\":\"about:blank\",\"title\":\"Service Unavailable\",\"status\":503,\"detail\":\"too many connections\"}";

/// Serves `app` on `listener` under `limits` until `shutdown` completes, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let max = limits.effective_max_connections();
    let open = Arc::new(Semaphore::new(max));
    // HTTP/1.1 only: sniffing for HTTP/2 would wait for a silent connection's first bytes without a deadline.
    let mut builder = Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of descriptors despite the limit (something else holds them), or a connection reset before
                // it was accepted: say so, wait a moment, go on.
                tracing::warn!(error = %e, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            tracing::warn!(max, "connection refused: too many open connections");
            let _ = stream.try_write(BUSY);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
