//! The `wartezeit` binary: parses the command line and hands it to [`wartezeit::cli::run`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = wartezeit::cli::Cli::parse();
    match wartezeit::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
