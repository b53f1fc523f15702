//! The configuration file: every setting of `serve` and the global options in one TOML file (`--config FILE` or
//! `WARTEZEIT_CONFIG`), below the command line and the environment, above the defaults. `serve --print-config`
//! writes the effective settings back as TOML, each with where it came from, secrets masked.
//!
//! The keys are the long flags with `_` for `-` (`data_dir`, `listen`, `token_file`, …). Paths in the file are
//! taken relative to the file's directory. A key the file does not know, a value of the wrong type or out of its
//! range is an error naming the file, line and key; nothing starts. Keys of `serve` are read by `serve` only, so
//! that the same file serves `wartezeit --config F summary` for its data directory and zone.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow};
use clap::ArgMatches;
use clap::parser::ValueSource;
use serde::Deserialize;
use toml::Spanned;

use crate::cli::serve::ServeArgs;
use crate::cli::{Cli, Command, GlobalArgs, LogFormat};
use crate::domain::time::Zone;

/// The range of `--min-free-mb`, for the flag and the file alike.
pub const MIN_FREE_MB: RangeInclusive<u64> = 0..=1 << 20;
/// The range of `--max-connections`.
pub const MAX_CONNECTIONS: RangeInclusive<u64> = 1..=1_000_000;
/// The range of `--header-timeout-secs`.
pub const HEADER_TIMEOUT_SECS: RangeInclusive<u64> = 1..=3600;
/// The range of `--checkpoint-events` (0: no checkpoints).
pub const CHECKPOINT_EVENTS: RangeInclusive<u64> = 0..=1_000_000_000;
/// The range of `--checkpoint-minutes`: a minute to a week.
pub const CHECKPOINT_MINUTES: RangeInclusive<u64> = 1..=10_080;

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Source {
    #[default]
    Default,
    File,
    Env,
    Flag,
}

/// Where each setting came from, by key; a key not named here has its default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    /// The configuration file read, if any.
    pub file: Option<PathBuf>,
    by_key: BTreeMap<&'static str, Source>,
}

impl Sources {
    /// Where the setting `key` came from.
    pub fn of(&self, key: &str) -> Source {
        self.by_key.get(key).copied().unwrap_or_default()
    }
}

/// The file as written: every key optional, each with its place in the file for messages.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    data_dir: Option<Spanned<PathBuf>>,
    tz: Option<Spanned<String>>,
    min_free_mb: Option<Spanned<u64>>,
    log_format: Option<Spanned<String>>,
    listen: Option<Spanned<String>>,
    as_of: Option<Spanned<String>>,
    token_file: Option<Spanned<PathBuf>>,
    insecure_no_auth: Option<Spanned<bool>>,
    read_token_file: Option<Spanned<PathBuf>>,
    require_read_token: Option<Spanned<bool>>,
    max_connections: Option<Spanned<u64>>,
    header_timeout_secs: Option<Spanned<u64>>,
    plan_file: Option<Spanned<PathBuf>>,
    checkpoint_events: Option<Spanned<u64>>,
    checkpoint_minutes: Option<Spanned<u64>>,
    init: Option<Spanned<bool>>,
}

/// One file value checked and about to be taken: where it stands and why it is refused, if it is.
struct Reader<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Reader<'_> {
    fn line_of<T>(&self, value: &Spanned<T>) -> usize {
        let start = value.span().start.min(self.text.len());
        self.text[..start].matches('\n').count() + 1
    }

    /// The error for `key` at `value`'s line.
    fn refuse<T>(&self, key: &str, value: &Spanned<T>, reason: impl std::fmt::Display) -> anyhow::Error {
        anyhow!("config file {}, line {}, {key}: {reason}", self.path.display(), self.line_of(value))
    }

    fn in_range(&self, key: &str, value: &Spanned<u64>, range: &RangeInclusive<u64>) -> anyhow::Result<u64> {
        let n = *value.get_ref();
        if range.contains(&n) {
            Ok(n)
        } else {
            Err(self.refuse(key, value, format!("{n} is not in {}..={}", range.start(), range.end())))
        }
    }

    /// A path of the file, relative to the file's directory.
    fn path(&self, value: &Spanned<PathBuf>) -> PathBuf {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        dir.join(value.get_ref())
    }

    fn parsed<T>(
        &self,
        key: &str,
        value: &Spanned<String>,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> anyhow::Result<T> {
        parse(value.get_ref()).map_err(|reason| self.refuse(key, value, reason))
    }
}

/// Where a value of the command line came from, for the matches that hold it.
fn source_in(matches: &ArgMatches, id: &str) -> Source {
    match matches.value_source(id) {
        Some(ValueSource::CommandLine) => Source::Flag,
        Some(ValueSource::EnvVariable) => Source::Env,
        _ => Source::Default,
    }
}

/// Fills what the command line and the environment left at its default from the configuration file, if one is
/// named, and records where every setting came from.
pub fn apply(cli: &mut Cli, matches: &ArgMatches) -> anyhow::Result<()> {
    let serve_matches = matches.subcommand_matches("serve");
    let mut sources = Sources { file: cli.global.config.clone(), by_key: BTreeMap::new() };
    for key in ["data_dir", "tz", "min_free_mb", "log_format"] {
        sources.by_key.insert(key, source_in(matches, key));
    }
    if let Some(serve) = serve_matches {
        for key in SERVE_KEYS {
            sources.by_key.insert(key, source_in(serve, key));
        }
    }
    if let Some(path) = cli.global.config.clone() {
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("cannot read config file {}", path.display()))?;
        let file: File = toml::from_str(&text).map_err(|e| {
            let line = e.span().map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            let at = line.map(|l| format!(", line {l}")).unwrap_or_default();
            anyhow!("config file {}{at}: {}", path.display(), e.message())
        })?;
        let reader = Reader { path: &path, text: &text };
        take_global(&reader, &file, &mut cli.global, &mut sources)?;
        if let Command::Serve(args) = &mut cli.command {
            take_serve(&reader, &file, args, &mut sources)?;
        }
    }
    cli.global.sources = sources;
    Ok(())
}

/// The keys of `serve`, in the order of [`render`].
const SERVE_KEYS: [&str; 12] = [
    "listen",
    "as_of",
    "token_file",
    "insecure_no_auth",
    "read_token_file",
    "require_read_token",
    "max_connections",
    "header_timeout_secs",
    "plan_file",
    "checkpoint_events",
    "checkpoint_minutes",
    "init",
];

/// Runs `take` when `key` is in the file and neither flag nor environment gave it, and records it as the file's.
fn from_file<T>(
    sources: &mut Sources,
    key: &'static str,
    value: Option<&Spanned<T>>,
    take: impl FnOnce(&Spanned<T>) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match value {
        Some(value) if sources.of(key) == Source::Default => {
            take(value)?;
            sources.by_key.insert(key, Source::File);
            Ok(())
        }
        _ => Ok(()),
    }
}

fn take_global(reader: &Reader, file: &File, global: &mut GlobalArgs, sources: &mut Sources) -> anyhow::Result<()> {
    from_file(sources, "data_dir", file.data_dir.as_ref(), |v| {
        global.data_dir = reader.path(v);
        Ok(())
    })?;
    from_file(sources, "tz", file.tz.as_ref(), |v| {
        global.tz = reader.parsed("tz", v, Zone::parse)?;
        Ok(())
    })?;
    from_file(sources, "min_free_mb", file.min_free_mb.as_ref(), |v| {
        global.min_free_mb = reader.in_range("min_free_mb", v, &MIN_FREE_MB)?;
        Ok(())
    })?;
    from_file(sources, "log_format", file.log_format.as_ref(), |v| {
        global.log_format = reader.parsed("log_format", v, |s| {
            <LogFormat as clap::ValueEnum>::from_str(s, false)
                .map_err(|_| format!("{s:?} is neither \"text\" nor \"json\""))
        })?;
        Ok(())
    })
}

fn take_serve(reader: &Reader, file: &File, args: &mut ServeArgs, sources: &mut Sources) -> anyhow::Result<()> {
    from_file(sources, "listen", file.listen.as_ref(), |v| {
        args.listen = reader.parsed("listen", v, |s| {
            s.parse::<SocketAddr>().map_err(|e| format!("{s:?} is not an address HOST:PORT ({e})"))
        })?;
        Ok(())
    })?;
    from_file(sources, "as_of", file.as_of.as_ref(), |v| {
        args.as_of = Some(reader.parsed("as_of", v, crate::cli::load::parse_date)?);
        Ok(())
    })?;
    from_file(sources, "token_file", file.token_file.as_ref(), |v| {
        args.token_file = Some(reader.path(v));
        Ok(())
    })?;
    from_file(sources, "insecure_no_auth", file.insecure_no_auth.as_ref(), |v| {
        args.insecure_no_auth = *v.get_ref();
        Ok(())
    })?;
    from_file(sources, "read_token_file", file.read_token_file.as_ref(), |v| {
        args.read_token_file = Some(reader.path(v));
        Ok(())
    })?;
    from_file(sources, "require_read_token", file.require_read_token.as_ref(), |v| {
        args.require_read_token = *v.get_ref();
        Ok(())
    })?;
    from_file(sources, "max_connections", file.max_connections.as_ref(), |v| {
        args.max_connections = reader.in_range("max_connections", v, &MAX_CONNECTIONS)?;
        Ok(())
    })?;
    from_file(sources, "header_timeout_secs", file.header_timeout_secs.as_ref(), |v| {
        args.header_timeout_secs = reader.in_range("header_timeout_secs", v, &HEADER_TIMEOUT_SECS)?;
        Ok(())
    })?;
    from_file(sources, "plan_file", file.plan_file.as_ref(), |v| {
        args.plan_file = Some(reader.path(v));
        Ok(())
    })?;
    from_file(sources, "checkpoint_events", file.checkpoint_events.as_ref(), |v| {
        args.checkpoint_events = reader.in_range("checkpoint_events", v, &CHECKPOINT_EVENTS)?;
        Ok(())
    })?;
    from_file(sources, "checkpoint_minutes", file.checkpoint_minutes.as_ref(), |v| {
        args.checkpoint_minutes = reader.in_range("checkpoint_minutes", v, &CHECKPOINT_MINUTES)?;
        Ok(())
    })?;
    from_file(sources, "init", file.init.as_ref(), |v| {
        args.init = *v.get_ref();
        Ok(())
    })?;
    if args.insecure_no_auth && args.token_file.is_some() {
        return Err(anyhow!(
            "config file {}: token_file and insecure_no_auth exclude each other (with the flags and environment)",
            reader.path.display()
        ));
    }
    Ok(())
}

/// The effective settings of `serve` as a configuration file: every key with its value (or commented out when it
/// has none), each followed by where it came from. A token given in the environment is shown masked.
pub fn render(global: &GlobalArgs, args: &ServeArgs, token_in_env: bool) -> String {
    let sources = &global.sources;
    let text = |s: &str| toml::Value::String(s.to_owned()).to_string();
    let path = |p: &Path| text(&p.display().to_string());
    let mut out = format!("# wartezeit {}: the effective settings of `serve`\n", env!("CARGO_PKG_VERSION"));
    match &sources.file {
        Some(file) => out += &format!("# config file: {}\n", file.display()),
        None => out += "# no config file (--config FILE or WARTEZEIT_CONFIG)\n",
    }
    let mut line = |key: &str, value: Option<String>| {
        let origin = match sources.of(key) {
            Source::Default => "default",
            Source::File => "config file",
            Source::Env => "environment",
            Source::Flag => "command line",
        };
        let setting = match value {
            Some(value) => format!("{key} = {value}"),
            None => format!("# {key} ="),
        };
        out += &format!("{setting:<48} # {origin}\n");
    };
    let log_format = match global.log_format {
        LogFormat::Text => "text",
        LogFormat::Json => "json",
    };
    line("data_dir", Some(path(&global.data_dir)));
    line("tz", Some(text(global.tz.name())));
    line("min_free_mb", Some(global.min_free_mb.to_string()));
    line("log_format", Some(text(log_format)));
    line("listen", Some(text(&args.listen.to_string())));
    line("as_of", args.as_of.map(|d| text(&d.to_string())));
    line("token_file", args.token_file.as_deref().map(path));
    line("insecure_no_auth", Some(args.insecure_no_auth.to_string()));
    line("read_token_file", args.read_token_file.as_deref().map(path));
    line("require_read_token", Some(args.require_read_token.to_string()));
    line("max_connections", Some(args.max_connections.to_string()));
    line("header_timeout_secs", Some(args.header_timeout_secs.to_string()));
    line("plan_file", args.plan_file.as_deref().map(path));
    line("checkpoint_events", Some(args.checkpoint_events.to_string()));
    line("checkpoint_minutes", Some(args.checkpoint_minutes.to_string()));
    line("init", Some(args.init.to_string()));
    if token_in_env && args.token_file.is_none() && !args.insecure_no_auth {
        out += "# the write token: from WARTEZEIT_TOKEN, \"********\" (a token is never written here)\n";
    }
    out
}
