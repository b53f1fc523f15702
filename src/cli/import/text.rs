//! A list's text read as a stream, so that an export of any length is never held whole: its encoding decided by a
//! first pass over the bytes, decoded to UTF-8 on the way (`encoding_rs_io`), the CSV records with the line each
//! starts on, handed over in chunks.
//!
//! The encoding `auto` (the default) is UTF-8 where every byte is (with or without a byte order mark), else
//! Windows-1252, as German Excel saves "CSV (Trennzeichen-getrennt)".

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead as _, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use anyhow::Context as _;

use crate::mapping::Row;

/// How many rows of a list are handed over at a time.
pub(crate) const CHUNK_ROWS: usize = 20_000;

/// What takes a list's rows, chunk by chunk, with the header.
pub(crate) type EachChunk<'a> = dyn FnMut(&[String], Vec<Row>) -> anyhow::Result<()> + 'a;

/// The encodings a list may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Utf8,
    Windows1252,
}

/// The encoding of the file at `path` as the mapping names it (`None`: auto), checked against its bytes.
fn encoding_of(path: &Path, named: Option<&str>) -> anyhow::Result<Encoding> {
    let named = named.map(str::to_ascii_lowercase);
    match named.as_deref() {
        None | Some("auto") => {
            Ok(if utf8_error_line(path)?.is_none() { Encoding::Utf8 } else { Encoding::Windows1252 })
        }
        Some("utf-8") | Some("utf8") => match utf8_error_line(path)? {
            None => Ok(Encoding::Utf8),
            Some(line) => anyhow::bail!(
                "line {line}: not UTF-8; set [source] encoding = \"windows-1252\" for a German Excel export"
            ),
        },
        Some("windows-1252") | Some("cp1252") | Some("latin1") | Some("iso-8859-1") => Ok(Encoding::Windows1252),
        Some(other) => anyhow::bail!("encoding {other:?} is not known; use auto, utf-8 or windows-1252"),
    }
}

/// The line of the first byte that is not UTF-8, or `None` when all are; read in blocks.
fn utf8_error_line(path: &Path) -> anyhow::Result<Option<u64>> {
    let mut file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut block = vec![0u8; 1 << 16];
    // Bytes of a character cut by the block's end, carried into the next block.
    let mut carried = 0;
    let mut newlines = 0u64;
    loop {
        let read = file.read(&mut block[carried..]).with_context(|| format!("cannot read {}", path.display()))?;
        let filled = carried + read;
        if read == 0 {
            return Ok((carried > 0).then_some(newlines + 1));
        }
        let valid = match std::str::from_utf8(&block[..filled]) {
            Ok(_) => filled,
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => {
                let before = block[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64;
                return Ok(Some(newlines + before + 1));
            }
        };
        newlines += block[..valid].iter().filter(|b| **b == b'\n').count() as u64;
        block.copy_within(valid..filled, 0);
        carried = filled - valid;
    }
}

/// The file at `path` as UTF-8 text, decoded as it is read.
pub(crate) fn open(path: &Path, encoding: Option<&str>) -> anyhow::Result<Box<dyn Read>> {
    let encoding = encoding_of(path, encoding)?;
    let file = File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut builder = encoding_rs_io::DecodeReaderBytesBuilder::new();
    match encoding {
        // Passed through as it is (every byte was checked), a byte order mark left out.
        Encoding::Utf8 => builder.utf8_passthru(true).strip_bom(true),
        Encoding::Windows1252 => builder.encoding(Some(encoding_rs::WINDOWS_1252)),
    };
    Ok(Box::new(builder.build(file)))
}

/// The header and rows of a CSV text, handed to `each` in chunks of [`CHUNK_ROWS`] rows (the header on its own
/// when there are none). The delimiter, unless given, is `;` or `,`, whichever the first line holds more of.
pub(crate) fn csv_chunks(text: impl Read, delimiter: Option<char>, each: &mut EachChunk<'_>) -> anyhow::Result<()> {
    let window = Window::default();
    let mut text = BufReader::with_capacity(1 << 16, Tee { inner: text, window: window.clone() });
    // The first line is read ahead (to count its separators) and handed to csv before the rest.
    let mut first = Vec::new();
    text.read_until(b'\n', &mut first).context("cannot read")?;
    let delimiter = delimiter.unwrap_or_else(|| {
        let count = |c: u8| first.iter().filter(|b| **b == c).count();
        if count(b';') > count(b',') { ';' } else { ',' }
    });
    let text = std::io::Cursor::new(first).chain(text);
    let delimiter =
        u8::try_from(delimiter).map_err(|_| anyhow::anyhow!("the mapping's delimiter must be one ASCII character"))?;
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text);
    let header: Vec<String> =
        reader.headers().map_err(|e| anyhow::anyhow!("no header line: {e}"))?.iter().map(str::to_owned).collect();
    let mut rows = Vec::new();
    let mut delivered = false;
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| window.line_at(p.byte()));
            anyhow::anyhow!("{line}: not CSV: {e}")
        })?;
        let line = window.line_at(record.position().map_or(0, csv::Position::byte));
        rows.push(Row { line, cells: record.iter().map(str::to_owned).collect() });
        if rows.len() >= CHUNK_ROWS {
            each(&header, std::mem::take(&mut rows))?;
            delivered = true;
        }
    }
    if !rows.is_empty() || !delivered {
        each(&header, rows)?;
    }
    Ok(())
}

/// The text read so far and not yet counted: line numbers from byte offsets, counted on from the last offset
/// asked (records come in order, so every byte is counted once, and only the reader's look-ahead is held). csv's
/// own line count lags by one after a CRLF (it reads the LF of the line before as part of the next record), so
/// lines are counted here.
#[derive(Clone, Default)]
struct Window(Rc<RefCell<Counted>>);

#[derive(Default)]
struct Counted {
    /// The offset of `bytes[0]` in the text.
    offset: u64,
    bytes: VecDeque<u8>,
    newlines: u64,
}

impl Window {
    /// The line (from 1) of the record starting at byte `at` (line breaks before it skipped).
    fn line_at(&self, at: u64) -> u64 {
        let mut counted = self.0.borrow_mut();
        let Counted { offset, bytes, newlines } = &mut *counted;
        while *offset < at {
            let Some(byte) = bytes.pop_front() else { break };
            *newlines += u64::from(byte == b'\n');
            *offset += 1;
        }
        while let Some(&byte @ (b'\r' | b'\n')) = bytes.front() {
            bytes.pop_front();
            *newlines += u64::from(byte == b'\n');
            *offset += 1;
        }
        *newlines + 1
    }
}

/// A reader that keeps what passes through it in a [`Window`].
struct Tee<R> {
    inner: R,
    window: Window,
}

impl<R: Read> Read for Tee<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.window.0.borrow_mut().bytes.extend(&buf[..read]);
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<(u64, Vec<String>)> {
        let mut all = Vec::new();
        csv_chunks(text.as_bytes(), None, &mut |_, rows| {
            all.extend(rows.into_iter().map(|r| (r.line, r.cells)));
            Ok(())
        })
        .unwrap();
        all
    }

    #[test]
    fn records_carry_the_line_they_start_on_whatever_the_line_breaks() {
        for text in ["a;b\n1;x\n\n2;\"y\nz\"\n3;w\n", "a;b\r\n1;x\r\n\r\n2;\"y\r\nz\"\r\n3;w\r\n"] {
            let found: Vec<u64> = lines(text).iter().map(|(line, _)| *line).collect();
            assert_eq!(found, [2, 4, 6], "{text:?}");
        }
    }

    #[test]
    fn an_export_is_utf8_where_every_byte_is_else_windows_1252() {
        let dir = tempfile::tempdir().unwrap();
        let read = |name: &str, bytes: &[u8], encoding: Option<&str>| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            let mut text = String::new();
            open(&path, encoding)?.read_to_string(&mut text)?;
            anyhow::Ok(text)
        };
        assert_eq!(read("bom.csv", "\u{feff}Straße\n".as_bytes(), None).unwrap(), "Straße\n");
        assert_eq!(read("excel.csv", b"Stra\xdfe\n", None).unwrap(), "Straße\n");
        let refused = read("excel.csv", b"a\nStra\xdfe\n", Some("utf-8")).unwrap_err().to_string();
        assert!(refused.starts_with("line 2: not UTF-8"), "{refused}");
        // A character cut by the reader's block is still UTF-8.
        let long = format!("{}ß\n", "x".repeat((1 << 16) - 1));
        assert_eq!(read("long.csv", long.as_bytes(), Some("utf-8")).unwrap(), long);
    }
}
