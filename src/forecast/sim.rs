//! The simulation engine: one run of the office's calendar, day by day, from the as-of day on.
//!
//! The state of a run is the booked count of every day of the known calendar plus a Fenwick tree over it (so that a
//! cancellation can pick a uniformly random booked appointment in O(log n)) and a pointer to the first day with a
//! free slot. All of it lives in [`Scratch`], allocated once per forecast and reset by copying between runs, so the
//! inner loop allocates nothing.
//!
//! A run draws from two streams ([`Rngs`]): every number whose count does not depend on the state of the calendar
//! (the bootstrap, each day's demand, the uniforms behind the day's cancellation count and follow-up count, the
//! rounding of a scaled demand) comes from `draws`, a fixed count per day; the choice of which appointments are
//! cancelled, whose count does depend on the state, comes from `picks`, moved to a position of its own at the start
//! of every day. So two plans that differ from some day on still draw the same demand and the same cancellation
//! uniforms on every day (common random numbers): their difference is the plans', not the dice's.
//!
//! One simulated day c (the date as_of + 1 + c, index c of the snapshot) does, in order:
//! 0. (once per run) each weekday's demand pool is resampled with replacement, the run's own demand level (the
//!    same draw for every variant of the pools: with and without services a known policy makes appointment-free);
//! 1. cancellations: Binomial(appointments with a slot from day c on, that weekday's rate), each a uniformly chosen
//!    appointment, whose slot becomes free again;
//! 2. bookings: a demand drawn from that weekday's pool (the variant of day c) plus a Poisson draw of the
//!    follow-up visits due that day, each booking taking the first free slot from day c + 1 on, as the online
//!    calendar offers it; a booking that finds no free slot in the known calendar is turned away;
//! 3. the day ends: its appointments are served (attended or missed, the slot is used up either way) and leave the
//!    backlog, and the follow-ups they lead to are spread over the days of their lag range; next_available_days,
//!    third_next_available_days and the backlog are recorded.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::forecast::inputs::Pools;
use crate::forecast::stats::{NEVER, binomial, poisson};

/// How far apart (in 32-bit words of the ChaCha stream) the picks of two days lie: far more than a day's
/// cancellations can use, so that no two days share a word.
const PICK_WORDS_PER_DAY: u128 = 1 << 32;

/// The two random streams of one run (see the module docs).
pub(crate) struct Rngs<'a> {
    pub(crate) draws: &'a mut ChaCha8Rng,
    pub(crate) picks: &'a mut ChaCha8Rng,
}

/// What does not change between runs: the calendar as known at the as-of day and the fitted pools.
#[derive(Debug, Clone)]
pub(crate) struct Model<'a> {
    pub(crate) capacity: &'a [u32],
    /// The booked slots at the start, displaced appointments already moved (see [`Model::new`]).
    booked: Vec<u32>,
    tree: Vec<u32>,
    total: u32,
    first_free: usize,
    /// Backlog appointments outside the known calendar (slot on or before the as-of day, or beyond the window,
    /// or displaced without a free slot to move to); held constant, since nothing in the calendar moves them.
    pub(crate) outside: u32,
    pools: &'a Pools,
    /// The weekday (0 = Monday) of each simulated day.
    weekdays: Vec<u8>,
    /// H: how far ahead next_available_days looks.
    wait_horizon: usize,
    /// The follow-up appointments among the booked ones at the start, per day: the share the backlog holds.
    follow_booked: Vec<f64>,
}

/// The mutable state of one run, reused across runs.
#[derive(Debug, Clone)]
pub(crate) struct Scratch {
    booked: Vec<u32>,
    tree: Vec<u32>,
    /// This run's demand pools: a bootstrap resample of the fitted ones (same ranges).
    pool: Vec<u32>,
    /// Expected follow-up bookings per simulated day: those of the appointments attended up to the as-of day plus
    /// those this run's served days add.
    pending: Vec<f64>,
    /// Follow-up appointments per calendar day (the ones at the start estimated), which lead to no follow-up.
    follow_booked: Vec<f64>,
}

impl<'a> Model<'a> {
    /// Builds the starting state. Appointments on days with capacity 0 (displaced by a closure or holiday declared
    /// after they were booked) cannot be served there; the office has to move them, and they compete for the
    /// same free slots as new bookings, so they are moved at the start to the first free slots from the first
    /// simulated day on, oldest first.
    pub(crate) fn new(
        capacity: &'a [u32],
        booked: &[u32],
        backlog: u32,
        pools: &'a Pools,
        first_weekday: u8,
        horizon: usize,
        wait_horizon: usize,
    ) -> Self {
        let mut booked = booked.to_vec();
        let mut displaced = 0u32;
        for (b, &c) in booked.iter_mut().zip(capacity) {
            if c == 0 {
                displaced += *b;
                *b = 0;
            }
        }
        let mut first_free = 0;
        let mut moved = 0;
        while moved < displaced && first_free < capacity.len() {
            let take = capacity[first_free].saturating_sub(booked[first_free]).min(displaced - moved);
            booked[first_free] += take;
            moved += take;
            if capacity[first_free] <= booked[first_free] {
                first_free += 1;
            }
        }
        while first_free < capacity.len() && capacity[first_free] <= booked[first_free] {
            first_free += 1;
        }
        let total: u32 = booked.iter().sum();
        let outside = backlog.saturating_sub(total);
        let mut tree = vec![0; booked.len()];
        fenwick_build(&mut tree, &booked);
        let weekdays = (0..horizon).map(|c| ((first_weekday as usize + c) % 7) as u8).collect();
        let share = pools.follow_up.share_of_backlog;
        let follow_booked = booked.iter().map(|&b| b as f64 * share).collect();
        Model { capacity, booked, tree, total, first_free, outside, pools, weekdays, wait_horizon, follow_booked }
    }

    /// Fresh buffers of the right size.
    pub(crate) fn scratch(&self) -> Scratch {
        Scratch {
            booked: self.booked.clone(),
            tree: self.tree.clone(),
            pool: self.pools.values.clone(),
            pending: self.pools.follow_up.expected.clone(),
            follow_booked: self.follow_booked.clone(),
        }
    }

    /// One run. Writes next_available_days and third_next_available_days ([`NEVER`] for none within H) and the
    /// backlog at the end of each simulated day into `out` (one entry per day); returns the bookings turned away.
    pub(crate) fn run(&self, rngs: Rngs<'_>, s: &mut Scratch, out: RunOut<'_>) -> u64 {
        let RunOut { wait, third, backlog } = out;
        let Rngs { draws: rng, picks } = rngs;
        s.booked.copy_from_slice(&self.booked);
        s.tree.copy_from_slice(&self.tree);
        s.pending.copy_from_slice(&self.pools.follow_up.expected);
        s.follow_booked.copy_from_slice(&self.follow_booked);
        let follow_ups = &self.pools.follow_up.rules;
        // The demand level itself is uncertain, not only the day: each run resamples each weekday's pool first (a
        // bootstrap of the window), so that runs differ in their mean demand as much as a 28-day window leaves open.
        // The same days are drawn for every variant of the pools, so that leaving a service out changes the run's
        // demand by that service's share only.
        let len = self.pools.len as usize;
        for &(lo, hi) in &self.pools.ranges {
            for i in lo..hi {
                let j = rng.random_range(lo..hi) as usize;
                for v in (0..self.pools.values.len()).step_by(len.max(1)) {
                    s.pool[v + i as usize] = self.pools.values[v + j];
                }
            }
        }
        let mut calendar = Calendar {
            cap: self.capacity,
            booked: &mut s.booked,
            tree: &mut s.tree,
            total: self.total,
            first_free: self.first_free,
        };
        // Σ booked[..c]: the appointments whose day has passed.
        let mut passed = 0u32;
        let mut turned_away = 0u64;

        for (c, &w) in self.weekdays.iter().enumerate() {
            let w = w as usize;
            picks.set_word_pos(c as u128 * PICK_WORDS_PER_DAY);
            calendar.cancel(rng, picks, c, passed, self.pools.cancellation_rate[w]);

            let (lo, hi) = self.pools.ranges[w];
            let offset = self.pools.offset_of_day[c] as usize;
            let mut demand = if lo < hi { s.pool[offset + rng.random_range(lo..hi) as usize] } else { 0 };
            // A plan's factor on demand, rounded at random so that the mean moves by exactly the factor; the
            // uniform is drawn whether or not there is a factor, so that every plan draws the same numbers.
            let round: f64 = rng.random();
            if let Some(&factor) = self.pools.demand_factor.get(c) {
                demand = (demand as f64 * factor + round).floor() as u32;
            }
            calendar.first_free = calendar.first_free.max(c + 1);
            turned_away += calendar.book(demand, |_, _| {}) as u64;
            let follow = poisson(rng, s.pending[c]);
            turned_away += calendar.book(follow, |j, n| s.follow_booked[j] += n as f64) as u64;

            let ended = calendar.booked[c];
            passed += ended;
            backlog[c] = calendar.total - passed + self.outside;
            // The day's appointments end; those of the other services come back as follow-ups, spread over the
            // lag range.
            let others = (ended as f64 - s.follow_booked[c]).max(0.0);
            for rule in follow_ups {
                let add = others * rule.per_ended_per_day;
                let last = (c + rule.lag.1).min(s.pending.len().saturating_sub(1));
                for t in (c + rule.lag.0..=last).filter(|&t| rule.booked_on[t]) {
                    s.pending[t] += add;
                }
            }
            let first_free = calendar.first_free;
            let k = first_free - c;
            wait[c] = if first_free < calendar.cap.len() && k <= self.wait_horizon { k as u32 } else { NEVER };
            third[c] = self.third_next(c, first_free, calendar.booked);
        }
        turned_away
    }
}

/// The calendar of one run as it changes: booked slots per day, the Fenwick tree over them, their total, and the
/// first day with a free slot.
struct Calendar<'a> {
    cap: &'a [u32],
    booked: &'a mut [u32],
    tree: &'a mut [u32],
    total: u32,
    first_free: usize,
}

impl Calendar<'_> {
    /// Cancels Binomial(appointments from day `c` on, `rate`) of them (the count drawn from `rng`), each chosen
    /// uniformly (from `picks`); `passed` is the count of appointments on the days before `c`.
    fn cancel(&mut self, rng: &mut ChaCha8Rng, picks: &mut ChaCha8Rng, c: usize, passed: u32, rate: f64) {
        let mut at_risk = self.total - passed;
        let cancellations = binomial(rng, at_risk, rate);
        for _ in 0..cancellations {
            let j = fenwick_find(self.tree, passed + picks.random_range(0..at_risk));
            self.booked[j] -= 1;
            fenwick_add(self.tree, j, u32::MAX); // wrapping −1
            self.total -= 1;
            at_risk -= 1;
            if j > c && self.booked[j] < self.cap[j] && j < self.first_free {
                self.first_free = j;
            }
        }
    }

    /// Books `demand` appointments into the first free slots, calling `placed(day, count)` for each day booked
    /// into; returns the bookings that found no free slot in the known calendar.
    fn book(&mut self, mut demand: u32, mut placed: impl FnMut(usize, u32)) -> u32 {
        let n = self.cap.len();
        while demand > 0 && self.first_free < n {
            let j = self.first_free;
            let free = self.cap[j].saturating_sub(self.booked[j]);
            let take = free.min(demand);
            if take > 0 {
                self.booked[j] += take;
                fenwick_add(self.tree, j, take);
                self.total += take;
                demand -= take;
                placed(j, take);
            }
            if take == free {
                self.first_free += 1;
            }
        }
        while self.first_free < n && self.cap[self.first_free] <= self.booked[self.first_free] {
            self.first_free += 1;
        }
        demand
    }
}

impl Model<'_> {
    /// third_next_available_days at the end of simulated day `c`: the smallest k ≤ H with free(c + 1) + … +
    /// free(c + k) ≥ 3. Nothing before `first_free` is free, and the first free day usually has three free slots,
    /// so the scan is short.
    fn third_next(&self, c: usize, first_free: usize, booked: &[u32]) -> u32 {
        let end = self.capacity.len().min(c + 1 + self.wait_horizon);
        let mut free = 0;
        for (j, (&cap, &b)) in self.capacity.iter().zip(booked).enumerate().take(end).skip(first_free) {
            free += cap.saturating_sub(b);
            if free >= 3 {
                return (j - c) as u32;
            }
        }
        NEVER
    }
}

/// Where one run writes its per-day figures.
pub(crate) struct RunOut<'a> {
    pub(crate) wait: &'a mut [u32],
    pub(crate) third: &'a mut [u32],
    pub(crate) backlog: &'a mut [u32],
}

fn fenwick_build(tree: &mut [u32], values: &[u32]) {
    tree.copy_from_slice(values);
    for i in 0..tree.len() {
        let parent = i | (i + 1);
        if parent < tree.len() {
            tree[parent] = tree[parent].wrapping_add(tree[i]);
        }
    }
}

/// Adds `delta` (wrapping, so u32::MAX subtracts one) at index `i`.
fn fenwick_add(tree: &mut [u32], mut i: usize, delta: u32) {
    while i < tree.len() {
        tree[i] = tree[i].wrapping_add(delta);
        i |= i + 1;
    }
}

/// The smallest index i with values[0] + … + values[i] > target; target must be below the total.
fn fenwick_find(tree: &[u32], mut target: u32) -> usize {
    let n = tree.len();
    let mut pos = 0; // number of leading elements whose sum is ≤ target
    let mut step = n.next_power_of_two();
    while step > 0 {
        let next = pos + step;
        if next <= n && tree[next - 1] <= target {
            target -= tree[next - 1];
            pos = next;
        }
        step >>= 1;
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fenwick_finds_the_slot_of_every_appointment() {
        let values = [0, 3, 0, 1, 2, 0, 0, 4];
        let mut tree = vec![0; values.len()];
        fenwick_build(&mut tree, &values);
        let expected: Vec<usize> =
            values.iter().enumerate().flat_map(|(i, &v)| std::iter::repeat_n(i, v as usize)).collect();
        let found: Vec<usize> = (0..expected.len() as u32).map(|t| fenwick_find(&tree, t)).collect();
        assert_eq!(found, expected);
        fenwick_add(&mut tree, 1, u32::MAX);
        fenwick_add(&mut tree, 6, 2);
        // Now [0, 2, 0, 1, 2, 0, 2, 4].
        assert_eq!(fenwick_find(&tree, 1), 1);
        assert_eq!(fenwick_find(&tree, 2), 3);
        assert_eq!(fenwick_find(&tree, 5), 6);
        assert_eq!(fenwick_find(&tree, 7), 7);
    }
}
