//! The log under storage faults, on thousands of random schedules: nothing acknowledged is lost, nothing is
//! acknowledged before it is durable, a batch not acknowledged is absent or present whole, the log stays a
//! gapless, verifiable chain, readers never see past the disk, and every batch sent again until acknowledged
//! ends up in the log exactly once.

use std::collections::HashMap;

use proptest::prelude::*;

use super::*;
use crate::domain::event::Event;
use crate::log::{AppendError, Log, OpenError, Options, ReadError};
use crate::sample;

const CLIENTS: usize = 3;

/// One step of a schedule.
#[derive(Debug, Clone)]
enum Op {
    /// A client sends its next batch not yet acknowledged (again, after a failure).
    Send(usize),
    /// Every client sends at once, so that batches share a round.
    SendAll,
    /// A client sends its last acknowledged batch again: all duplicates, or refused while the store is down.
    Resend(usize),
    /// The disk fills up: this many bytes are left.
    Fill(u16),
    Free,
    ReadOnly,
    ReadWrite,
    FailNextWrite,
    FailNextFlush,
    /// Every write fails (EIO) until repaired.
    Failing,
    Repair,
    /// The process is killed and started again.
    Crash,
    /// A dry run of a client's next batch.
    DryRun(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => (0..CLIENTS).prop_map(Op::Send),
        3 => Just(Op::SendAll),
        1 => (0..CLIENTS).prop_map(Op::Resend),
        2 => (0u16..6000).prop_map(Op::Fill),
        2 => Just(Op::Free),
        1 => Just(Op::ReadOnly),
        1 => Just(Op::ReadWrite),
        1 => Just(Op::FailNextWrite),
        1 => Just(Op::FailNextFlush),
        1 => Just(Op::Failing),
        1 => Just(Op::Repair),
        2 => Just(Op::Crash),
        1 => (0..CLIENTS).prop_map(Op::DryRun),
    ]
}

/// A client with its batches, of which the first `acked` were acknowledged.
struct Client {
    batches: Vec<Vec<Event>>,
    acked: usize,
}

struct World {
    disk: Arc<Mutex<Disk>>,
    options: Options,
    log: Option<Log>,
    clients: Vec<Client>,
}

impl World {
    fn new(seed: u64, sizes: &[Vec<usize>], min_free_bytes: u64) -> World {
        let clients = sizes
            .iter()
            .enumerate()
            .map(|(c, sizes)| {
                let events = sample::events(seed * 10 + c as u64, sizes.iter().sum());
                let mut rest = &events[..];
                let batches = sizes
                    .iter()
                    .map(|&n| {
                        let (batch, tail) = rest.split_at(n);
                        rest = tail;
                        batch.to_vec()
                    })
                    .collect();
                Client { batches, acked: 0 }
            })
            .collect();
        let options = Options { min_free_bytes, retry_every: std::time::Duration::ZERO, ..Options::default() };
        let mut world = World { disk: Disk::new(seed), options, log: None, clients };
        world.start();
        world
    }

    fn disk(&self) -> std::sync::MutexGuard<'_, Disk> {
        self.disk.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the process, if the disk lets it open the store; a refusal must name the fault.
    fn start(&mut self) {
        if self.log.is_some() {
            return;
        }
        match Log::open_on(Box::new(FaultyStorage::new(&self.disk)), self.options.clone()) {
            Ok(log) => {
                self.log = Some(log);
                self.check_store(true);
            }
            // A disk that does not take writes yet (a fault armed, or one the attempt just met): try again later.
            // `finish` checks that a disk without faults opens.
            Err(OpenError::Unwritable { .. }) => {}
            Err(e) => panic!("opening failed: {e}"),
        }
    }

    fn crash(&mut self) {
        self.log = None;
        self.disk().crash();
        self.start();
    }

    /// The answer to one send of `batch`: acknowledged or not; anything else is a failure of the log.
    fn judge(&self, batch: &[Event], answer: Result<crate::log::AppendReceipt, AppendError>) -> bool {
        match answer {
            Ok(receipt) => {
                assert_eq!(receipt.appended + receipt.duplicates, batch.len());
                let durable = self.disk().durable_head();
                assert!(
                    receipt.last_position <= durable,
                    "acknowledged at {} with {durable} durable",
                    receipt.last_position
                );
                true
            }
            Err(AppendError::Storage(_)) => false,
            Err(e) => panic!("a valid batch was answered {e:?}"),
        }
    }

    fn send(&mut self, c: usize) {
        let Some(log) = &self.log else { return };
        let Some(batch) = self.clients[c].batches.get(self.clients[c].acked) else { return };
        let answer = log.append(batch.clone());
        if self.judge(batch, answer) {
            self.clients[c].acked += 1;
        }
    }

    fn send_all(&mut self) {
        let Some(log) = &self.log else { return };
        let sending: Vec<(usize, Vec<Event>)> = (0..CLIENTS)
            .filter_map(|c| self.clients[c].batches.get(self.clients[c].acked).map(|b| (c, b.clone())))
            .collect();
        let answers: Vec<_> = std::thread::scope(|scope| {
            let handles: Vec<_> = sending
                .iter()
                .map(|(_, batch)| {
                    let log = log.clone();
                    scope.spawn(move || log.append(batch.clone()))
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a sender")).collect()
        });
        for ((c, batch), answer) in sending.iter().zip(answers) {
            if self.judge(batch, answer) {
                self.clients[*c].acked += 1;
            }
        }
    }

    fn resend(&mut self, c: usize) {
        let Some(log) = &self.log else { return };
        let Some(last) = self.clients[c].acked.checked_sub(1) else { return };
        let batch = &self.clients[c].batches[last];
        match log.append(batch.clone()) {
            Ok(receipt) => assert_eq!((receipt.appended, receipt.duplicates), (0, batch.len())),
            Err(AppendError::Storage(_)) => {}
            Err(e) => panic!("an acknowledged batch sent again was answered {e:?}"),
        }
    }

    fn dry_run(&self, c: usize) {
        let Some(log) = &self.log else { return };
        let Some(batch) = self.clients[c].batches.get(self.clients[c].acked) else { return };
        match log.check(batch) {
            Ok(Ok(outcomes)) => assert_eq!(outcomes.len(), batch.len()),
            Ok(Err(violations)) => panic!("a dry run of a valid batch found {violations:?}"),
            Err(ReadError::Reopening(_)) => {}
            Err(e) => panic!("a dry run failed: {e}"),
        }
    }

    /// What every reader may rely on at any time; after a start, also what the disk must hold.
    fn check_store(&self, started: bool) {
        let Some(log) = &self.log else { return };
        let head = log.head();
        assert!(head.position <= self.disk().durable_head(), "readers see a head past the disk");
        let entries: Vec<_> = match log.scan(1).collect::<Result<_, _>>() {
            Ok(entries) => entries,
            // The store could not be opened again yet after a fault: nothing to read through.
            Err(ReadError::Reopening(_)) if !started => return,
            Err(e) => panic!("the log does not read back: {e}"),
        };
        assert!(entries.iter().enumerate().all(|(i, e)| e.position == i as u64 + 1), "positions are gapless");
        assert_eq!(entries.len() as u64, head.position);
        let mut count: HashMap<&str, usize> = HashMap::new();
        for entry in &entries {
            *count.entry(entry.event.id.as_str()).or_default() += 1;
        }
        assert!(count.values().all(|&n| n == 1), "an event is stored twice");
        if !started {
            return;
        }
        assert_eq!(log.verify().expect("verifies"), head);
        for (c, client) in self.clients.iter().enumerate() {
            for (b, batch) in client.batches.iter().enumerate() {
                let present = batch.iter().filter(|e| count.contains_key(e.id.as_str())).count();
                if b < client.acked {
                    assert_eq!(present, batch.len(), "client {c}'s acknowledged batch {b} lost events");
                } else if b == client.acked {
                    assert!(present == 0 || present == batch.len(), "client {c}'s batch {b} is in part");
                } else {
                    assert_eq!(present, 0, "client {c}'s batch {b} was never sent");
                }
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Send(c) => self.send(c),
            Op::SendAll => self.send_all(),
            Op::Resend(c) => self.resend(c),
            Op::Fill(left) => {
                let mut disk = self.disk();
                disk.capacity = disk.used() + u64::from(left);
            }
            Op::Free => self.disk().capacity = u64::MAX,
            Op::ReadOnly => self.disk().read_only = true,
            Op::ReadWrite => self.disk().read_only = false,
            Op::FailNextWrite => self.disk().fail_writes += 1,
            Op::FailNextFlush => self.disk().fail_flushes += 1,
            Op::Failing => self.disk().failing = true,
            Op::Repair => self.disk().failing = false,
            Op::Crash => self.crash(),
            Op::DryRun(c) => self.dry_run(c),
        }
        self.start();
        self.check_store(false);
    }

    /// Every fault cleared, every client sends until acknowledged, then a restart: everything is there once.
    fn finish(&mut self) {
        {
            let mut disk = self.disk();
            (disk.capacity, disk.read_only, disk.failing, disk.fail_writes, disk.fail_flushes) =
                (u64::MAX, false, false, 0, 0);
        }
        self.start();
        assert!(self.log.is_some(), "the store opens on a disk without faults");
        for c in 0..CLIENTS {
            while self.clients[c].acked < self.clients[c].batches.len() {
                let before = self.clients[c].acked;
                // The first send after the faults are cleared reopens the store; the next must go through.
                self.send(c);
                if self.clients[c].acked == before {
                    self.send(c);
                }
                assert!(self.clients[c].acked > before, "a batch is not stored on a disk without faults");
            }
        }
        self.crash();
        self.check_store(true);
        let stored = self.log.as_ref().expect("open").head().position as usize;
        let sent: usize = self.clients.iter().flat_map(|c| &c.batches).map(Vec::len).sum();
        assert_eq!(stored, sent, "every event exactly once");
    }
}

fn batch_sizes() -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(prop::collection::vec(1usize..40, 1..8), CLIENTS)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn faults_lose_nothing_acknowledged(
        seed in 0u64..1_000_000,
        sizes in batch_sizes(),
        min_free in prop_oneof![Just(0u64), 1u64..3000],
        ops in prop::collection::vec(op(), 1..40),
    ) {
        let mut world = World::new(seed, &sizes, min_free);
        for op in &ops {
            world.apply(op);
        }
        world.finish();
    }
}

#[test]
fn a_full_disk_then_space_freed_stores_the_retry_once() {
    let mut world = World::new(7, &[vec![30, 30], vec![5], vec![5]], 0);
    world.send(0);
    world.apply(&Op::Fill(10));
    world.send(0);
    assert_eq!(world.clients[0].acked, 1, "the second batch does not fit");
    let fault = world.log.as_ref().expect("open").writable().expect_err("not writable");
    assert_eq!(fault.kind, crate::log::FaultKind::Full);
    world.apply(&Op::Free);
    world.send(0);
    assert_eq!(world.clients[0].acked, 2, "the retry goes through once space is free");
    world.finish();
}

#[test]
fn the_reserve_refuses_before_the_engine_fails() {
    let mut world = World::new(8, &[vec![10, 10], vec![1], vec![1]], 5000);
    world.send(0);
    world.apply(&Op::Fill(4000));
    world.send(0);
    assert_eq!(world.clients[0].acked, 1);
    // Refused before anything was written: the engine is not spent, dry runs still answer.
    assert!(!world.disk().broken);
    let log = world.log.as_ref().expect("open");
    assert!(log.check(&world.clients[0].batches[1]).expect("answers").is_ok());
    world.apply(&Op::Free);
    world.send(0);
    assert_eq!(world.clients[0].acked, 2);
    world.finish();
}
