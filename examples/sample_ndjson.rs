//! Writes a generated event stream, valid under the rules, as NDJSON to stdout.
//!
//! `cargo run --release --example sample_ndjson -- 1000000 > /tmp/events.ndjson` (count, then an optional seed).

use std::io::Write as _;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n = args.next().and_then(|a| a.parse().ok()).unwrap_or(1_000);
    let seed = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for event in wartezeit::sample::events(seed, n) {
        writeln!(out, "{}", wartezeit::domain::wire::to_json_line(&event))?;
    }
    out.flush()
}
