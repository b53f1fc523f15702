//! Dense per-day counters over a growing range of day numbers.

/// A count per day, stored densely from the smallest to the largest day touched.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct DayCounts {
    base: i32,
    counts: Vec<i32>,
}

impl DayCounts {
    /// The count of `day` (0 outside the touched range).
    pub(crate) fn get(&self, day: i32) -> i32 {
        usize::try_from(day - self.base).ok().and_then(|i| self.counts.get(i)).copied().unwrap_or(0)
    }

    /// Adds `delta` to the count of `day`.
    pub(crate) fn add(&mut self, day: i32, delta: i32) {
        self.reserve(day, day);
        self.counts[(day - self.base) as usize] += delta;
    }

    /// Adds `delta` to every day of `first..=last`.
    pub(crate) fn add_range(&mut self, first: i32, last: i32, delta: i32) {
        if last < first {
            return;
        }
        self.reserve(first, last);
        let start = (first - self.base) as usize;
        for count in &mut self.counts[start..=start + (last - first) as usize] {
            *count += delta;
        }
    }

    fn reserve(&mut self, first: i32, last: i32) {
        if self.counts.is_empty() {
            self.base = first;
            self.counts = vec![0; (last - first + 1) as usize];
            return;
        }
        if first < self.base {
            let grow = (self.base - first) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.base = first;
        }
        let end = self.base + self.counts.len() as i32;
        if last >= end {
            self.counts.resize(self.counts.len() + (last - end + 1) as usize, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DayCounts;

    #[test]
    fn grows_both_ways() {
        let mut c = DayCounts::default();
        c.add(10, 1);
        c.add(5, 2);
        c.add_range(8, 12, 1);
        assert_eq!(c.get(4), 0);
        assert_eq!(c.get(5), 2);
        assert_eq!(c.get(10), 2);
        assert_eq!(c.get(12), 1);
        assert_eq!(c.get(13), 0);
    }
}
