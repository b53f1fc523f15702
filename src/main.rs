//! The `wartezeit` binary: parse the command line, set up logging to stderr, dispatch.

use std::io::IsTerminal as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match wartezeit::cli::parse() {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    // By default warnings of everything and wartezeit's own information (one line per request, start and stop);
    // `RUST_LOG` chooses otherwise. Colours only on a terminal, so that log files hold plain text.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,wartezeit=info".into());
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter);
    match cli.global.log_format {
        wartezeit::cli::LogFormat::Text => logs.with_ansi(std::io::stderr().is_terminal()).init(),
        wartezeit::cli::LogFormat::Json => logs.json().flatten_event(true).init(),
    }
    match wartezeit::cli::dispatch(&cli) {
        Ok(code) => code,
        // The reader of stdout went away (`wartezeit export | head`): nothing left to tell anyone, as other tools.
        Err(e) if broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
