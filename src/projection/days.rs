//! An office's rows by day, stored in chunks of [`CHUNK`] days that exist only where some day holds events or
//! computed figures: an event dated far from the others costs one chunk, not a row for every day in between.

/// Days per chunk.
const CHUNK: i32 = 32;

/// Rows of type `R` by day number; a day without a row reads as `None`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Days<R> {
    /// The chunk number of `chunks[0]` (day number divided by [`CHUNK`], rounded down).
    first_chunk: i32,
    chunks: Vec<Option<Box<[R]>>>,
}

impl<R> Default for Days<R> {
    fn default() -> Self {
        Days { first_chunk: 0, chunks: Vec::new() }
    }
}

impl<R: Default + Clone> Days<R> {
    /// The row of `day`, if its chunk exists.
    pub(super) fn get(&self, day: i32) -> Option<&R> {
        let index = usize::try_from(day.div_euclid(CHUNK) - self.first_chunk).ok()?;
        let chunk = self.chunks.get(index)?.as_ref()?;
        Some(&chunk[day.rem_euclid(CHUNK) as usize])
    }

    /// The row of `day`, making its chunk (of default rows) if it does not exist yet.
    pub(super) fn get_mut(&mut self, day: i32) -> &mut R {
        let chunk_number = day.div_euclid(CHUNK);
        if self.chunks.is_empty() {
            self.first_chunk = chunk_number;
        } else if chunk_number < self.first_chunk {
            let grow = (self.first_chunk - chunk_number) as usize;
            self.chunks.splice(0..0, std::iter::repeat_n(None, grow));
            self.first_chunk = chunk_number;
        }
        let index = (chunk_number - self.first_chunk) as usize;
        if index >= self.chunks.len() {
            self.chunks.resize(index + 1, None);
        }
        let chunk = self.chunks[index].get_or_insert_with(|| vec![R::default(); CHUNK as usize].into_boxed_slice());
        &mut chunk[day.rem_euclid(CHUNK) as usize]
    }

    /// How many rows are stored (whole chunks), for tests of what the table costs.
    #[cfg(test)]
    pub(super) fn stored_rows(&self) -> usize {
        self.chunks.iter().flatten().count() * CHUNK as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_exist_only_in_the_chunks_written() {
        let mut days: Days<u32> = Days::default();
        *days.get_mut(10) = 1;
        *days.get_mut(84_000) = 2;
        *days.get_mut(-40) = 3;
        assert_eq!((days.get(10), days.get(84_000), days.get(-40)), (Some(&1), Some(&2), Some(&3)));
        assert_eq!(days.get(11), Some(&0), "a day in a written chunk reads as the default");
        assert_eq!(days.get(40_000), None, "a day between the written chunks has no row");
        assert_eq!(days.get(-10_000), None);
        assert_eq!(days.stored_rows(), 3 * CHUNK as usize);
    }
}
