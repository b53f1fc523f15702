//! The arithmetic of a push, pure: cutting the events into requests, what an acknowledged prefix of the events
//! means for each input, and where an event that the service names by its index in a batch lies in the input.

use std::ops::Range;

use crate::cli::push::Origin;

/// How large one request may be: at most this many events and this many bytes of NDJSON body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Events per request.
    pub events: usize,
    /// Bytes of body per request: every event's line and its newline.
    pub bytes: usize,
}

/// Cuts the events `from..` (given by the byte length of each one's NDJSON line, without its newline) into
/// consecutive ranges of at most `limits.events` events and `limits.bytes` bytes of body, in order.
///
/// Every range holds at least one event, so an event longer than the byte limit goes alone (the contract's bounds
/// keep every event far below the service's 8 MiB, so this is only a guard against looping forever).
pub fn plan(lengths: &[usize], from: usize, limits: Limits) -> Vec<Range<usize>> {
    let max_events = limits.events.max(1);
    let mut batches = Vec::new();
    let mut start = from.min(lengths.len());
    while start < lengths.len() {
        let mut end = start;
        let mut bytes = 0usize;
        while end < lengths.len() && end - start < max_events {
            let cost = lengths[end].saturating_add(1);
            if end > start && bytes.saturating_add(cost) > limits.bytes {
                break;
            }
            bytes = bytes.saturating_add(cost);
            end += 1;
        }
        batches.push(start..end);
        start = end;
    }
    batches
}

/// How far the service has acknowledged one input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Events of this input acknowledged.
    pub events: u64,
    /// The line of the last acknowledged event (0: none yet).
    pub through_line: u64,
    /// The byte offset just past the last acknowledged event's line (0: none yet).
    pub bytes: u64,
}

/// Counts `acknowledged` (events in input order, each with its origin) into the progress of each input.
pub fn advance(progress: &mut [Progress], acknowledged: &[Origin]) {
    for origin in acknowledged {
        if let Some(input) = progress.get_mut(origin.source) {
            input.events += 1;
            input.through_line = input.through_line.max(origin.line);
            input.bytes = input.bytes.max(origin.end);
        }
    }
}

/// The progress of each of `sources` inputs once the first `upto` events of `origins` are acknowledged.
pub fn progress(origins: &[Origin], sources: usize, upto: usize) -> Vec<Progress> {
    let mut progress = vec![Progress::default(); sources];
    advance(&mut progress, &origins[..upto.min(origins.len())]);
    progress
}

/// The origin of the event at `index` of `batch` (as the service numbers a batch's events, from 0); `None` for an
/// index outside the batch (an answer that is not about this batch).
pub fn origin_in_batch(origins: &[Origin], batch: &Range<usize>, index: usize) -> Option<Origin> {
    let at = batch.start.checked_add(index).filter(|at| *at < batch.end)?;
    origins.get(at).copied()
}

/// `name:line` of an origin, for messages; `names` holds each input's name by its index.
pub fn place(names: &[String], origin: Origin) -> String {
    let name = names.get(origin.source).map_or("<input>", String::as_str);
    format!("{name}:{}", origin.line)
}

/// `first … last` of a batch's events, as `name:line`, for messages.
pub fn span(names: &[String], origins: &[Origin], batch: &Range<usize>) -> String {
    let first = origins.get(batch.start).map(|o| place(names, *o));
    let last = batch.end.checked_sub(1).and_then(|i| origins.get(i)).map(|o| place(names, *o));
    match (first, last) {
        (Some(first), Some(last)) if first == last => first,
        (Some(first), Some(last)) => format!("{first} … {last}"),
        _ => "no events".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: usize, line: u64, end: u64) -> Origin {
        Origin { source, line, end }
    }

    #[test]
    fn batches_hold_at_most_the_events_asked_for() {
        let limits = Limits { events: 3, bytes: 1 << 20 };
        assert_eq!(plan(&[10; 7], 0, limits), vec![0..3, 3..6, 6..7]);
        assert_eq!(plan(&[10; 6], 0, limits), vec![0..3, 3..6]);
        assert_eq!(plan(&[], 0, limits), Vec::<Range<usize>>::new());
    }

    #[test]
    fn batches_stay_within_the_bytes_counting_each_newline() {
        // Each line costs its length plus one: three lines of 9 bytes fill 30 exactly, a fourth does not fit.
        let limits = Limits { events: 100, bytes: 30 };
        assert_eq!(plan(&[9, 9, 9, 9, 9], 0, limits), vec![0..3, 3..5]);
        let limits = Limits { events: 100, bytes: 29 };
        assert_eq!(plan(&[9, 9, 9, 9, 9], 0, limits), vec![0..2, 2..4, 4..5]);
    }

    #[test]
    fn an_event_over_the_byte_limit_goes_alone() {
        let limits = Limits { events: 100, bytes: 10 };
        assert_eq!(plan(&[3, 50, 3, 3], 0, limits), vec![0..1, 1..2, 2..4]);
    }

    #[test]
    fn a_plan_from_an_acknowledged_prefix_numbers_events_as_the_whole_input_does() {
        let limits = Limits { events: 2, bytes: 1 << 20 };
        assert_eq!(plan(&[1; 7], 3, limits), vec![3..5, 5..7]);
        assert_eq!(plan(&[1; 7], 7, limits), Vec::<Range<usize>>::new());
        assert_eq!(plan(&[1; 7], 9, limits), Vec::<Range<usize>>::new());
    }

    #[test]
    fn no_event_is_left_out_or_sent_twice_whatever_the_limits() {
        let lengths: Vec<usize> = (0..500).map(|i| (i * 37) % 300 + 1).collect();
        for events in [1, 2, 7, 100, 1000] {
            for bytes in [1, 64, 301, 1000, 1 << 20] {
                for from in [0, 1, 250, 499, 500] {
                    let batches = plan(&lengths, from, Limits { events, bytes });
                    let covered: Vec<usize> = batches.iter().flat_map(Clone::clone).collect();
                    assert_eq!(covered, (from..500).collect::<Vec<_>>(), "events {events}, bytes {bytes}");
                    for batch in &batches {
                        let body: usize = lengths[batch.clone()].iter().map(|l| l + 1).sum();
                        assert!(batch.len() <= events);
                        assert!(batch.len() == 1 || body <= bytes, "{batch:?} is {body} bytes");
                    }
                }
            }
        }
    }

    #[test]
    fn an_acknowledged_prefix_is_counted_per_input() {
        // Two files: a.ndjson holds events on lines 1, 2 and 4 (line 3 blank), b.ndjson on lines 1 and 2.
        let origins = [at(0, 1, 100), at(0, 2, 200), at(0, 4, 301), at(1, 1, 50), at(1, 2, 90)];
        assert_eq!(progress(&origins, 2, 0), vec![Progress::default(); 2]);
        let two = progress(&origins, 2, 2);
        assert_eq!(two[0], Progress { events: 2, through_line: 2, bytes: 200 });
        assert_eq!(two[1], Progress::default());
        let four = progress(&origins, 2, 4);
        assert_eq!(four[0], Progress { events: 3, through_line: 4, bytes: 301 });
        assert_eq!(four[1], Progress { events: 1, through_line: 1, bytes: 50 });
        assert_eq!(progress(&origins, 2, 99), progress(&origins, 2, 5), "past the end is the whole input");
    }

    #[test]
    fn advancing_batch_by_batch_agrees_with_counting_the_prefix() {
        let origins: Vec<Origin> = (0..40).map(|i| at(i / 15, i as u64 % 15 + 1, (i as u64 % 15 + 1) * 10)).collect();
        let mut incremental = vec![Progress::default(); 3];
        for batch in plan(&[5; 40], 0, Limits { events: 7, bytes: 1 << 20 }) {
            advance(&mut incremental, &origins[batch.clone()]);
            assert_eq!(incremental, progress(&origins, 3, batch.end));
        }
    }

    #[test]
    fn a_violation_index_is_found_in_its_batch() {
        let origins = [at(0, 1, 10), at(0, 3, 30), at(1, 1, 10), at(1, 2, 20)];
        assert_eq!(origin_in_batch(&origins, &(1..4), 0), Some(origins[1]));
        assert_eq!(origin_in_batch(&origins, &(1..4), 2), Some(origins[3]));
        assert_eq!(origin_in_batch(&origins, &(1..4), 3), None, "past the batch");
        assert_eq!(origin_in_batch(&origins, &(1..4), usize::MAX), None);
        let names = ["a.ndjson".to_owned(), "b.ndjson".to_owned()];
        assert_eq!(place(&names, origins[2]), "b.ndjson:1");
        assert_eq!(span(&names, &origins, &(1..4)), "a.ndjson:3 … b.ndjson:2");
        assert_eq!(span(&names, &origins, &(0..1)), "a.ndjson:1");
    }
}
