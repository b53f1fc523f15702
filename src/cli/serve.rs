//! `wartezeit serve`: the HTTP service over the log in the data directory, until SIGTERM or Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use chrono::NaiveDate;
use clap::Args;

use crate::cli::load::parse_date;
use crate::cli::{GlobalArgs, config};
use crate::log::Log;
use crate::service::{self, Token};

/// Arguments of `wartezeit serve`. Each has a key of the same name in the configuration file (`--config`).
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, env = "WARTEZEIT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// Fix the evaluation day ("today") instead of taking the wall-clock date (for replays and demos).
    #[arg(long, value_parser = parse_date)]
    pub as_of: Option<NaiveDate>,
    /// A file holding the bearer token that writes need (surrounding whitespace is ignored).
    #[arg(long, env = "WARTEZEIT_TOKEN_FILE", conflicts_with = "insecure_no_auth")]
    pub token_file: Option<PathBuf>,
    /// Let anyone write, without a token. Only for a service no one else can reach.
    #[arg(long)]
    pub insecure_no_auth: bool,
    /// A file holding a token that reads the raw event feed (`GET /api/v1/events`, for backups and replicas)
    /// but cannot write; the write token reads it too.
    #[arg(long, env = "WARTEZEIT_READ_TOKEN_FILE", value_name = "FILE")]
    pub read_token_file: Option<PathBuf>,
    /// Require the read or the write token on every route but /healthz and /readyz: the page, the charts, the API
    /// and /metrics. Browsers ask for it as a password (any user name); Prometheus sends it as a bearer token.
    #[arg(long)]
    pub require_read_token: bool,
    /// Connections open at once; more are answered 503 and closed (never more than the file descriptor limit
    /// leaves room for).
    #[arg(long, env = "WARTEZEIT_MAX_CONNECTIONS", default_value_t = 512,
          value_parser = clap::value_parser!(u64).range(config::MAX_CONNECTIONS))]
    pub max_connections: u64,
    /// Seconds a connection may take to send a request head; silent, idle and slow connections are closed then.
    #[arg(long, env = "WARTEZEIT_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(config::HEADER_TIMEOUT_SECS))]
    pub header_timeout_secs: u64,
    /// A plan file (TOML) of what-if plans to compare on the page ("Maßnahmen") and at `/api/v1/whatif` when a
    /// request names none; a mistake in it stops the start, naming file, line and key.
    #[arg(long, env = "WARTEZEIT_PLAN_FILE", value_name = "FILE")]
    pub plan_file: Option<PathBuf>,
    /// Write a checkpoint of the projection once the log has grown by this many events since the newest, and by a
    /// tenth of its length (0: never), so that a restart folds only the events after it. Written in the background
    /// from a projection of its own; appends and reads go on.
    #[arg(long, env = "WARTEZEIT_CHECKPOINT_EVENTS", default_value_t = crate::rebuild::CHECKPOINT_EVERY_EVENTS,
          value_parser = clap::value_parser!(u64).range(config::CHECKPOINT_EVENTS))]
    pub checkpoint_events: u64,
    /// Minutes after which a checkpoint is written if anything was appended since the newest, however little.
    #[arg(long, env = "WARTEZEIT_CHECKPOINT_MINUTES", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(config::CHECKPOINT_MINUTES))]
    pub checkpoint_minutes: u64,
    /// Make an empty store when the data directory holds none (it is made too). Without it, `serve` refuses a
    /// directory without a store, so that a mistyped path never starts an empty service.
    #[arg(long)]
    pub init: bool,
    /// Print the effective settings (command line over environment over config file over defaults, each with
    /// where it came from; secrets masked) as a config file, and exit without starting.
    #[arg(long)]
    pub print_config: bool,
}

/// The token from `--token-file` or `WARTEZEIT_TOKEN`; an error when neither is given without
/// `--insecure-no-auth`.
fn token(args: &ServeArgs) -> anyhow::Result<Option<Token>> {
    if args.insecure_no_auth {
        return Ok(None);
    }
    let text = match &args.token_file {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("cannot read --token-file {}", path.display()))?
        }
        None => std::env::var("WARTEZEIT_TOKEN").unwrap_or_default(),
    };
    match Token::new(&text) {
        Some(token) => Ok(Some(token)),
        None if args.token_file.is_some() => bail!("--token-file holds no token"),
        None => bail!("writes need a token: give --token-file FILE or set WARTEZEIT_TOKEN (or --insecure-no-auth)"),
    }
}

/// Runs `wartezeit serve`.
pub fn run(global: &GlobalArgs, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    if args.print_config {
        let token_in_env = std::env::var_os("WARTEZEIT_TOKEN").is_some_and(|t| !t.is_empty());
        print!("{}", config::render(global, args, token_in_env));
        return Ok(ExitCode::SUCCESS);
    }
    let token = token(args)?;
    let plans = match &args.plan_file {
        Some(path) => crate::cli::whatif::read_plan_file(path)?,
        None => Vec::new(),
    };
    let log = global.open_log_to_serve(args.init);
    let log = log.with_context(|| format!("cannot serve {}", global.data_dir.display()))?;
    let mut config = service::Config::new(global.tz, token);
    config.as_of = args.as_of;
    config.plans = plans;
    if let Some(path) = &args.read_token_file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read --read-token-file {}", path.display()))?;
        config.read_token = Some(Token::new(&text).context("--read-token-file holds no token")?);
    }
    if args.require_read_token && config.token.is_none() && config.read_token.is_none() {
        bail!("--require-read-token needs a token to require: give --read-token-file FILE or a write token");
    }
    config.require_read_token = args.require_read_token;
    config.connections = service::connections::Limits {
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        header_read_timeout: std::time::Duration::from_secs(args.header_timeout_secs),
    };
    config.checkpoints = service::Checkpointing {
        every_events: args.checkpoint_events,
        every: std::time::Duration::from_secs(args.checkpoint_minutes * 60),
    };
    let head = log.head();
    serve(config, log, args.listen, |addr| {
        // For people, the address on a line of its own; a log collector reading JSON gets JSON lines only.
        if global.log_format == crate::cli::LogFormat::Text {
            eprintln!("wartezeit serving http://{addr}/ (data directory {})", global.data_dir.display());
        }
        tracing::info!(
            version = %env!("CARGO_PKG_VERSION"),
            data_dir = %global.data_dir.display(),
            store_format = crate::log::STORE_FORMAT,
            log_head = head.position,
            listen = %addr,
            url = %format_args!("http://{addr}/"),
            "started"
        );
    })
}

/// Starts a runtime, binds `listen`, calls `started` with the bound address, and serves until a signal.
pub fn serve(
    config: service::Config,
    log: Log,
    listen: SocketAddr,
    started: impl FnOnce(SocketAddr),
) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting tokio")?;
    runtime.block_on(async move {
        let listener =
            tokio::net::TcpListener::bind(listen).await.with_context(|| format!("cannot listen on {listen}"))?;
        let addr = listener.local_addr()?;
        let limits = config.connections;
        let app = service::build(config, log)?;
        started(addr);
        service::run_with(listener, app.router, service::shutdown_signal(), limits).await.context("serving")?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
