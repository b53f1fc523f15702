//! The crate's one HTTP client: a running service's events endpoint (`/api/v1/events`), the token that opens it, and
//! the policy of retries. `push` sends batches to it (`POST`), `backup` reads the event feed from it (`GET`); both
//! speak the API's JSON with types of their own, never the service's (`cli` does not import `service`).
//!
//! What is retried is what may pass by itself: a connection that failed or broke, and the answers 408 (timed out),
//! 429 (too many requests), 500, 502, 503, 504 (the service or a proxy in front of it in trouble) and 507 (the
//! service's store below its reserve of free space, which it recovers from by itself). A resend is safe: a page of
//! the feed reads the same again, and an event whose id is stored with the same content counts as a duplicate, so a
//! batch that was stored before its answer was lost is acknowledged again, not appended twice. Everything else (400,
//! 401, 403, 409, 413, 415, 422, a redirect) would be answered the same way again and ends the command.

use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_TYPE, LOCATION, RETRY_AFTER};
use serde::Deserialize;

/// The first wait before a retry; each further one doubles, up to [`MAX_BACKOFF`].
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest wait between two attempts that the backoff itself chooses.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The longest `Retry-After` honoured: a longer one is taken as this, so that a command does not sleep for hours.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How long one request may take in all. The service answers 408 itself after 30 s; this is for a connection that
/// went silent.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The events endpoint of a service, and the option it was given with (for messages).
#[derive(Debug, Clone)]
pub struct Target {
    url: reqwest::Url,
    option: &'static str,
}

impl Target {
    /// The events endpoint of the service at `base` (`https://host[:port][/prefix]`; a base that already ends in
    /// `/api/v1/events` is taken as it is), given with the command line option `option` (`--to`, `--from`), which
    /// messages name. Only http and https, and no credentials, query or fragment in it: the token comes from its
    /// file.
    pub fn parse(option: &'static str, base: &str) -> Result<Target, String> {
        let mut url = reqwest::Url::parse(base.trim()).map_err(|e| format!("{option} {base:?}: not a URL: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("{option} {base:?}: the scheme must be https (or http), not {:?}", url.scheme()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!("{option}: the URL holds credentials; give the token with --token-file only"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{option} {base:?}: give the service's address without a query or fragment"));
        }
        let path = url.path().trim_end_matches('/').to_owned();
        if !path.ends_with("/api/v1/events") {
            url.set_path(&format!("{path}/api/v1/events"));
        }
        Ok(Target { url, option })
    }

    /// The endpoint's URL.
    pub fn as_str(&self) -> &str {
        self.url.as_str()
    }

    /// Whether the token would cross a network in the clear: plain http to a host other than the loopback.
    pub fn is_plain_beyond_loopback(&self) -> bool {
        let host = self.url.host_str().unwrap_or_default();
        let address = host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>();
        let loopback = host.eq_ignore_ascii_case("localhost") || address.is_ok_and(|ip| ip.is_loopback());
        self.url.scheme() == "http" && !loopback
    }
}

/// A token of the service (the write token; for reading the feed, the read token does as well). It is sent in the
/// `Authorization` header only, and never shown: its `Debug` hides it.
#[derive(Clone)]
pub struct Token(String);

impl Token {
    /// The token in the file at `path`, without surrounding whitespace. The messages name the file, never its
    /// content.
    pub fn read(path: &Path) -> Result<Token, String> {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read --token-file {}: {e}", path.display()))?;
        let token = text.trim();
        if token.is_empty() {
            return Err(format!("--token-file {} holds no token", path.display()));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "--token-file {} holds more than one word; it must hold the token alone",
                path.display()
            ));
        }
        Ok(Token(token.to_owned()))
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(hidden)")
    }
}

/// The parts of the service's answer to an acknowledged batch (`200 {appended, duplicates, …}`) that a push uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Receipt {
    /// Events of the batch appended to the log.
    pub appended: u64,
    /// Events of the batch that were stored already with the same content (or earlier in the batch).
    pub duplicates: u64,
    /// The log's durable head after the batch.
    pub last_position: u64,
}

/// A refusal as the service explains it in problem details (RFC 9457), as far as a command reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Problem {
    /// The status's reason phrase.
    #[serde(default)]
    pub title: String,
    /// What is wrong, in the service's words.
    #[serde(default)]
    pub detail: String,
    /// The violations of a rejected batch, by the index of the event in the batch (the first 100).
    #[serde(default)]
    pub violations: Vec<ProblemViolation>,
    /// How many violations the batch has in all.
    #[serde(default)]
    pub violations_total: Option<usize>,
}

/// One violation of a rejected batch.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProblemViolation {
    /// The event's index in the batch, from 0.
    pub index: usize,
    /// The field at fault, as named on the wire; none when the event as a whole is wrong.
    #[serde(default)]
    pub field: Option<String>,
    /// What is wrong.
    pub reason: String,
    /// 400, 409 or 422.
    pub status: u16,
}

impl Problem {
    /// The problem an answer's body states: problem details, or else (a proxy's page, say) the start of its text on
    /// one line.
    pub fn from_body(body: &[u8]) -> Problem {
        match serde_json::from_slice::<Problem>(body) {
            Ok(problem) if !problem.detail.is_empty() || !problem.title.is_empty() => return problem,
            _ => {}
        }
        let text: String = String::from_utf8_lossy(body).split_whitespace().collect::<Vec<_>>().join(" ");
        let detail: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
        Problem { detail, ..Problem::default() }
    }

    /// A problem the client found itself, with `detail` as its words.
    fn said(detail: String) -> Problem {
        Problem { detail, ..Problem::default() }
    }
}

/// What becomes of a request after an answer of this status that is not a success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// Send it again after a while: the cause may pass by itself.
    Retry,
    /// Stop: the same request would be refused again.
    Refuse,
}

/// Whether an answer of `status` (not 2xx) is worth sending the request again for.
pub fn disposition(status: u16) -> Disposition {
    match status {
        408 | 429 | 500 | 502 | 503 | 504 | 507 => Disposition::Retry,
        _ => Disposition::Refuse,
    }
}

/// The backoff before retry number `retry` (from 1): 0.2 s, doubling, at most 5 s.
pub fn backoff(retry: u32) -> Duration {
    let doublings = retry.saturating_sub(1).min(16);
    FIRST_BACKOFF.saturating_mul(1 << doublings).min(MAX_BACKOFF)
}

/// How long to wait before retry number `retry` when the request has been failing for `failing_for` and may go on
/// failing for `retry_for` in all: the backoff, or the service's `Retry-After` (at most [`MAX_RETRY_AFTER`]) when
/// that is longer, cut to what is left of `retry_for`. `None`: give up, `retry_for` has passed.
pub fn next_wait(
    retry: u32,
    retry_after: Option<Duration>,
    failing_for: Duration,
    retry_for: Duration,
) -> Option<Duration> {
    let left = retry_for.checked_sub(failing_for).filter(|left| !left.is_zero())?;
    let asked = retry_after.map_or(Duration::ZERO, |d| d.min(MAX_RETRY_AFTER));
    Some(backoff(retry).max(asked).min(left))
}

/// What one attempt at a request came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt<T> {
    /// Answered with success, and the answer read as `T` (for a batch: acknowledged, durable in the log).
    Done(T),
    /// Not answered with success, for a reason that may pass; `retry_after` is the service's `Retry-After`.
    Again { reason: String, retry_after: Option<Duration> },
    /// Refused for good (or answered with something that is not what was asked for).
    Refused { status: u16, problem: Problem },
}

/// What an answer with `status`, `Retry-After`, `Location` and `body` means for the request at `target`; `read` reads
/// the body of a success (its error is what the body is instead, in words).
pub fn answer_of<T>(
    target: &Target,
    status: u16,
    retry_after: Option<Duration>,
    location: Option<&str>,
    body: &[u8],
    read: impl FnOnce(&[u8]) -> Result<T, String>,
) -> Attempt<T> {
    match status {
        200..=299 => match read(body) {
            Ok(answer) => Attempt::Done(answer),
            Err(instead) => Attempt::Refused { status, problem: Problem::said(instead) },
        },
        300..=399 => Attempt::Refused {
            status,
            problem: Problem::said(format!(
                "the service redirects to {}; give that address with {}",
                location.unwrap_or("an address it does not name"),
                target.option
            )),
        },
        _ => {
            let problem = Problem::from_body(body);
            match disposition(status) {
                Disposition::Retry => {
                    let words = [problem.title.as_str(), problem.detail.as_str()];
                    let said: Vec<&str> = words.into_iter().filter(|w| !w.is_empty()).collect();
                    Attempt::Again { reason: format!("answered {status}: {}", said.join(": ")), retry_after }
                }
                Disposition::Refuse => Attempt::Refused { status, problem },
            }
        }
    }
}

/// What an answer to a batch means: [`answer_of`] with the body of a success read as a [`Receipt`].
pub fn attempt_of(
    target: &Target,
    status: u16,
    retry_after: Option<Duration>,
    location: Option<&str>,
    body: &[u8],
) -> Attempt<Receipt> {
    answer_of(target, status, retry_after, location, body, |body| {
        serde_json::from_slice::<Receipt>(body).map_err(|e| {
            format!(
                "the answer is not a wartezeit receipt ({e}), so whether the batch is stored is not known; is {} the \
                 service's address?",
                target.option
            )
        })
    })
}

/// How a request that did not succeed ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The service refused it, and would refuse it again.
    Refused { status: u16, problem: Problem },
    /// It did not succeed within `--retry-for` of its first failure.
    GaveUp { attempts: u32, failing_for: Duration, last: String },
}

/// An acknowledged batch, and how many times it had to be sent again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// The service's receipt.
    pub receipt: Receipt,
    /// How many times it was sent again after a failure.
    pub retries: u32,
}

/// A retry about to be waited for, to tell the person watching.
#[derive(Debug)]
pub struct Retrying<'a> {
    /// Which retry of the request this is, from 1.
    pub retry: u32,
    /// Why the last attempt failed.
    pub reason: &'a str,
    /// How long the command waits before it.
    pub wait: Duration,
}

/// A client of one service's events endpoint.
pub struct Remote {
    client: reqwest::blocking::Client,
    target: Target,
    token: Token,
}

impl Remote {
    /// A client of `target` with `token`. Redirects are not followed: a POST that a redirect turns into a GET would
    /// be answered with something else than a receipt, and the token should go to the address given only.
    pub fn new(target: Target, token: Token) -> Result<Remote, String> {
        let client = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("wartezeit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot set up the HTTP client: {}", chain(&e)))?;
        Ok(Remote { client, target, token })
    }

    /// The endpoint this client speaks to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Sends `body` (NDJSON) until the service acknowledges it, refuses it, or `retry_for` has passed since its
    /// first failure; `retrying` is told of every retry before its wait.
    pub fn send(&self, body: &[u8], retry_for: Duration, retrying: impl FnMut(&Retrying)) -> Result<Sent, Failure> {
        let (receipt, retries) = self.retried(retry_for, retrying, || {
            let request = self
                .client
                .post(self.target.url.clone())
                .header(CONTENT_TYPE, "application/x-ndjson")
                .body(body.to_vec());
            self.attempt(request, |status, retry_after, location, body| {
                attempt_of(&self.target, status, retry_after, location, body)
            })
        })?;
        Ok(Sent { receipt, retries })
    }

    /// `GET` of the endpoint with `query` (the event feed: `from`, `limit`) until it is answered with success and
    /// its body reads as `T` through `read`, it is refused, or `retry_for` has passed since its first failure;
    /// `retrying` is told of every retry before its wait. The answer and how many retries it took.
    pub fn get<T>(
        &self,
        query: &[(&str, String)],
        retry_for: Duration,
        retrying: impl FnMut(&Retrying),
        read: impl Fn(&[u8]) -> Result<T, String>,
    ) -> Result<(T, u32), Failure> {
        self.retried(retry_for, retrying, || {
            let request = self.client.get(self.target.url.clone()).query(query);
            self.attempt(request, |status, retry_after, location, body| {
                answer_of(&self.target, status, retry_after, location, body, &read)
            })
        })
    }

    /// Makes attempts until one succeeds or is refused, or `retry_for` has passed since the first failure: the
    /// backoff of [`next_wait`] between them, each retry told to `retrying` before its wait.
    fn retried<T>(
        &self,
        retry_for: Duration,
        mut retrying: impl FnMut(&Retrying),
        mut attempt: impl FnMut() -> Attempt<T>,
    ) -> Result<(T, u32), Failure> {
        let mut first_failure: Option<Instant> = None;
        let mut retries = 0;
        loop {
            match attempt() {
                Attempt::Done(answer) => return Ok((answer, retries)),
                Attempt::Refused { status, problem } => return Err(Failure::Refused { status, problem }),
                Attempt::Again { reason, retry_after } => {
                    let since = *first_failure.get_or_insert_with(Instant::now);
                    let Some(wait) = next_wait(retries + 1, retry_after, since.elapsed(), retry_for) else {
                        return Err(Failure::GaveUp {
                            attempts: retries + 1,
                            failing_for: since.elapsed(),
                            last: reason,
                        });
                    };
                    retries += 1;
                    retrying(&Retrying { retry: retries, reason: &reason, wait });
                    std::thread::sleep(wait);
                }
            }
        }
    }

    /// One request, with the token; `answer` tells what its status, `Retry-After`, `Location` and body mean.
    fn attempt<T>(
        &self,
        request: reqwest::blocking::RequestBuilder,
        answer: impl FnOnce(u16, Option<Duration>, Option<&str>, &[u8]) -> Attempt<T>,
    ) -> Attempt<T> {
        let response = match request.bearer_auth(&self.token.0).send() {
            Ok(response) => response,
            Err(e) => return Attempt::Again { reason: why_unanswered(&e), retry_after: None },
        };
        let status = response.status().as_u16();
        let header = |name| response.headers().get(name).and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok());
        let retry_after = header(RETRY_AFTER).and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs);
        let location = header(LOCATION).map(str::to_owned);
        match response.bytes() {
            Ok(bytes) => answer(status, retry_after, location.as_deref(), &bytes),
            Err(e) => {
                Attempt::Again { reason: format!("the answer ({status}) broke off: {}", innermost(&e)), retry_after }
            }
        }
    }
}

/// Why a request got no answer, in few words: connecting failed, it timed out, or the connection broke; with the
/// innermost cause (the operating system's words), since reqwest's own message only repeats the URL.
fn why_unanswered(error: &reqwest::Error) -> String {
    let cause = innermost(error);
    if error.is_connect() {
        format!("cannot connect: {cause}")
    } else if error.is_timeout() {
        format!("no answer in time: {cause}")
    } else {
        format!("the request failed: {cause}")
    }
}

/// The innermost cause of an error.
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(deeper) = cause.source() {
        cause = deeper;
    }
    cause.to_string()
}

/// An error with its causes, `outer: inner: innermost`, each said once.
fn chain(error: &dyn std::error::Error) -> String {
    let mut said: Vec<String> = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !said.iter().any(|s| s.contains(&text)) {
            said.push(text);
        }
        source = cause.source();
    }
    said.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_endpoint_is_found_from_the_services_address() {
        let check =
            |base: &str, expect: &str| assert_eq!(Target::parse("--to", base).unwrap().as_str(), expect, "{base}");
        check("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v1/events");
        check("https://wartezeit.example.de/", "https://wartezeit.example.de/api/v1/events");
        check("https://stadt.example/wartezeit/", "https://stadt.example/wartezeit/api/v1/events");
        check("https://stadt.example/api/v1/events", "https://stadt.example/api/v1/events");
        for bad in ["ftp://x.example", "no url", "https://user:pw@x.example", "https://x.example/?token=1"] {
            assert!(Target::parse("--to", bad).is_err(), "{bad}");
        }
        let named = Target::parse("--from", "ftp://x.example").unwrap_err();
        assert_eq!(named, r#"--from "ftp://x.example": the scheme must be https (or http), not "ftp""#);
        let secret = Target::parse("--to", "https://u:hunter2@x.example").unwrap_err();
        assert!(!secret.contains("hunter2"), "{secret}");
    }

    #[test]
    fn plain_http_is_noticed_beyond_the_loopback_only() {
        let plain = |base: &str| Target::parse("--to", base).unwrap().is_plain_beyond_loopback();
        assert!(!plain("http://127.0.0.1:8080") && !plain("http://localhost:1") && !plain("http://[::1]:8080"));
        assert!(!plain("https://stadt.example"));
        assert!(plain("http://stadt.example") && plain("http://10.1.2.3:8080"));
    }

    #[test]
    fn what_may_pass_by_itself_is_retried_and_nothing_else() {
        for status in [408, 429, 500, 502, 503, 504, 507] {
            assert_eq!(disposition(status), Disposition::Retry, "{status}");
        }
        for status in [400, 401, 403, 404, 409, 413, 415, 422, 501] {
            assert_eq!(disposition(status), Disposition::Refuse, "{status}");
        }
    }

    #[test]
    fn the_backoff_doubles_from_a_fifth_of_a_second_to_five_seconds() {
        let waits: Vec<u128> = (1..=8).map(|n| backoff(n).as_millis()).collect();
        assert_eq!(waits, [200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn retries_end_when_retry_for_has_passed() {
        let s = Duration::from_secs;
        let ms = Duration::from_millis;
        assert_eq!(next_wait(1, None, s(0), s(120)), Some(ms(200)));
        assert_eq!(next_wait(7, None, s(60), s(120)), Some(s(5)));
        assert_eq!(next_wait(7, None, s(118), s(120)), Some(s(2)), "the last wait ends at the deadline");
        assert_eq!(next_wait(7, None, s(120), s(120)), None);
        assert_eq!(next_wait(1, None, s(0), s(0)), None, "--retry-for 0 never retries");
        assert_eq!(next_wait(1, Some(s(5)), s(0), s(120)), Some(s(5)), "Retry-After when longer");
        assert_eq!(next_wait(9, Some(s(1)), s(0), s(120)), Some(s(5)), "the backoff when longer");
        assert_eq!(next_wait(1, Some(s(86_400)), s(0), s(600)), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn answers_are_read_as_stored_again_or_refused() {
        let to = Target::parse("--to", "http://127.0.0.1:8080").unwrap();
        let receipt = br#"{"appended":3,"duplicates":2,"first_position":8,"last_position":10,"digest":"ab"}"#;
        assert_eq!(
            attempt_of(&to, 200, None, None, receipt),
            Attempt::Done(Receipt { appended: 3, duplicates: 2, last_position: 10 })
        );
        let busy = br#"{"type":"urn:wartezeit:problem:storage-full","title":"Insufficient Storage","status":507,"detail":"the batch was not stored"}"#;
        assert_eq!(
            attempt_of(&to, 507, Some(Duration::from_secs(5)), None, busy),
            Attempt::Again {
                reason: "answered 507: Insufficient Storage: the batch was not stored".into(),
                retry_after: Some(Duration::from_secs(5))
            }
        );
        let rejected = br#"{"type":"urn:wartezeit:problem:conflict","title":"Conflict","status":409,"detail":"batch rejected, nothing appended: 1 violation(s)","violations":[{"index":4,"line":5,"field":"event_id","reason":"already stored with other content","status":409}],"violations_total":1}"#;
        let Attempt::Refused { status: 409, problem } = attempt_of(&to, 409, None, None, rejected) else { panic!() };
        assert_eq!(problem.violations[0].index, 4);
        assert_eq!(problem.violations[0].field.as_deref(), Some("event_id"));
        assert_eq!(problem.violations_total, Some(1));
        let Attempt::Refused { problem, .. } = attempt_of(&to, 302, None, Some("https://new.example/"), b"") else {
            panic!()
        };
        assert_eq!(problem.detail, "the service redirects to https://new.example/; give that address with --to");
        let Attempt::Refused { problem, .. } =
            attempt_of(&to, 413, None, None, b"<html>\n<h1>413 Too Large</h1></html>")
        else {
            panic!()
        };
        assert_eq!(problem.detail, "<html> <h1>413 Too Large</h1></html>", "a proxy's page, on one line");
        let Attempt::Refused { problem, .. } = attempt_of(&to, 404, None, None, b"{}") else { panic!() };
        assert_eq!(problem.detail, "{}", "JSON that is no problem details is shown as it is");
        let Attempt::Refused { status: 200, problem } = attempt_of(&to, 200, None, None, b"<html>") else { panic!() };
        assert!(problem.detail.starts_with("the answer is not a wartezeit receipt"), "{}", problem.detail);
    }

    #[test]
    fn a_token_is_read_trimmed_and_never_shown() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, "  s3cret-token\n").unwrap();
        let token = Token::read(&path).unwrap();
        assert_eq!(token.0, "s3cret-token");
        assert_eq!(format!("{token:?}"), "Token(hidden)");
        std::fs::write(&path, "\n\n").unwrap();
        assert_eq!(Token::read(&path).unwrap_err(), format!("--token-file {} holds no token", path.display()));
        std::fs::write(&path, "s3cret other").unwrap();
        let two = Token::read(&path).unwrap_err();
        assert!(!two.contains("s3cret"), "{two}");
    }
}
