//! The `wartezeit` binary: parse the command line, set up logging to stderr, dispatch.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = wartezeit::cli::Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    match wartezeit::cli::dispatch(&cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
