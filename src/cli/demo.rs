//! `wartezeit demo`: the whole service on the embedded Kaiserslautern 2020 data set, in a fresh temporary store.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context as _;
use clap::Args;
use rand::TryRngCore as _;

use crate::cli::GlobalArgs;
use crate::cli::serve::serve;
use crate::domain::wire::parse_event;
use crate::log::Log;
use crate::service::{self, Token};

/// The data set, embedded so that the binary runs anywhere.
const DATA_SET: &str = include_str!("../../data/kaiserslautern-2020.ndjson");
/// The day the demo is evaluated as of.
const AS_OF: &str = "2020-06-24";

/// Arguments of `wartezeit demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
}

/// Runs `wartezeit demo`: loads the data set into a temporary directory (removed on exit) and serves it.
pub fn run(global: &GlobalArgs, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    let dir = tempfile::Builder::new().prefix("wartezeit-demo-").tempdir().context("creating a temporary store")?;
    let log = Log::open(dir.path()).context("opening the temporary store")?;
    let events = DATA_SET
        .lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, line)| parse_event(line).map_err(|e| anyhow::anyhow!("embedded data set, event {i}: {e:?}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let count = events.len();
    // What a public observer of the office's online calendar would have recorded, made from the bookings.
    let office = crate::domain::id::OfficeId::parse("kl-buergercenter").context("the data set's office")?;
    let observations = crate::scenario::observer::observe(&events, &office, global.tz);
    let observed = observations.len();
    log.append(events).context("loading the data set")?;
    log.append(observations).context("loading the observations of the online calendar")?;
    let mut secret = [0u8; 16];
    rand::rngs::OsRng.try_fill_bytes(&mut secret).context("no randomness for the token")?;
    let token = Token::new(&hex::encode(secret)).context("a generated token is never empty")?;
    let shown = token.expose().to_owned();
    let mut config = service::Config::new(global.tz, Some(token));
    config.as_of = Some(AS_OF.parse().context("the demo day")?);
    serve(config, log, args.listen, |addr| {
        let base = format!("http://{addr}");
        println!(
            "wartezeit demo: {count} events of Kaiserslautern 2020 and {observed} observations of its online \
             calendar, evaluated as of {AS_OF}"
        );
        println!("store: {} (removed on exit)\n", dir.path().display());
        for path in ["/", "/api/v1/summary", "/api/v1/press-statement?format=text", "/metrics", "/api/v1/openapi.json"]
        {
            println!("  {base}{path}");
        }
        println!("\nwrite token (POST /api/v1/events): {shown}");
        println!("  curl -H 'Authorization: Bearer {shown}' -H 'Content-Type: application/x-ndjson' \\");
        println!("       --data-binary @events.ndjson {base}/api/v1/events\n");
        println!("Ctrl-C stops the demo.");
    })
}
