//! Checkpoints of the projection, as a pure fact: a projection written as a checkpoint body and read back, with the
//! rest of the log folded in after it, gives every figure the whole fold gives, and the reference's rows. The tail
//! may hold late events (the log in another order the rules allow), which reach back before the checkpoint's
//! business time. The store-level facts (the newest usable checkpoint at or below a position, damaged ones passed
//! over) are in `src/rebuild/tests.rs`, the process killed while writing one in `tests/checkpoint_cli.rs`.

mod support {
    pub mod logs;
    pub mod reference;
}

use proptest::prelude::*;
use wartezeit::domain::event::Event;
use wartezeit::domain::id::OfficeId;
use wartezeit::projection::checkpoint::{self, Refused};
use wartezeit::projection::{Config, Packing, Projection};

use support::logs::{self, Scenario};
use support::reference;

fn project(config: Config, log: &[(u64, Event)]) -> Projection {
    let mut projection = Projection::new(config);
    log.iter().for_each(|(position, event)| projection.apply(*position, event));
    projection
}

/// Packs history after a handful of events, in blocks of two, so that nearly every late event reaches into it.
const EAGER: Packing = Packing { keep_events: 2, block_events: 2 };
/// Never packs.
const NEVER: Packing = Packing { keep_events: usize::MAX, block_events: 1 };

/// The checkpoint body of `projection`.
fn body(projection: &Projection) -> Vec<u8> {
    let mut body = Vec::new();
    checkpoint::encode(projection, &mut body).expect("writes to memory");
    body
}

fn written_and_read(projection: &Projection) -> Projection {
    checkpoint::decode(&body(projection), projection.position(), projection.config()).expect("reads back")
}

/// Every view of the projection's answers, for every office over the scenario's window.
fn same_figures(scenario: &Scenario, expected: &Projection, actual: &Projection) -> Result<(), TestCaseError> {
    prop_assert_eq!(expected.offices(), actual.offices());
    for office in scenario.offices() {
        same_office_figures(scenario, expected, actual, &office)?;
    }
    Ok(())
}

/// Every view of the projection's answers about `office` over the scenario's window.
fn same_office_figures(
    scenario: &Scenario,
    expected: &Projection,
    actual: &Projection,
    office: &OfficeId,
) -> Result<(), TestCaseError> {
    let (from, to) = scenario.window();
    prop_assert_eq!(expected.position(), actual.position());
    prop_assert_eq!(expected.office_position(office), actual.office_position(office));
    prop_assert_eq!(expected.series(office, from, to), actual.series(office, from, to), "series of {}", office);
    prop_assert_eq!(expected.summary(office, to), actual.summary(office, to));
    prop_assert_eq!(expected.attribution(office, from, to), actual.attribution(office, from, to));
    prop_assert_eq!(expected.service_days(office, from, to), actual.service_days(office, from, to));
    for day in from.iter_days().take_while(|d| *d <= to).step_by(3) {
        prop_assert_eq!(expected.snapshot(office, day, 30), actual.snapshot(office, day, 30));
        prop_assert_eq!(expected.policies(office, day), actual.policies(office, day));
        prop_assert_eq!(expected.periods(office, day), actual.periods(office, day));
        prop_assert_eq!(expected.pooled_realized_wait(office, day, 7), actual.pooled_realized_wait(office, day, 7));
    }
    Ok(())
}

fn reordered_with_cut() -> impl Strategy<Value = (Scenario, Vec<(u64, Event)>, usize)> {
    logs::scenario().prop_flat_map(|s| {
        let n = s.log.len();
        (Just(s), Just((0..n).collect::<Vec<_>>()).prop_shuffle(), 0..=n).prop_map(|(s, permutation, cut)| {
            let log = logs::reordered(&s.log, &permutation);
            (s, log, cut)
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Checkpoint at any position, in a log appended in any order the rules allow (late events in the tail
    /// included), then the tail one event at a time as the service folds it, or all at once as a rebuild does.
    #[test]
    fn a_checkpoint_plus_the_tail_gives_every_figure_of_the_whole_fold((scenario, log, cut) in reordered_with_cut()) {
        let whole = project(scenario.config, &log);
        let (head, tail) = log.split_at(cut);

        let mut one_by_one = written_and_read(&project(scenario.config, head));
        tail.iter().for_each(|(position, event)| one_by_one.apply(*position, event));
        same_figures(&scenario, &whole, &one_by_one)?;

        let mut at_once = written_and_read(&project(scenario.config, head));
        at_once.apply_all(tail.iter().map(|(p, e)| (*p, e)));
        same_figures(&scenario, &whole, &at_once)?;

        let (from, to) = scenario.window();
        for office in scenario.offices() {
            let expected = reference::series(&log, &scenario.config, &office, from, to);
            prop_assert_eq!(&expected, &at_once.series(&office, from, to), "reference rows of {}", office);
        }

        // A read about one office decodes only its section and folds only its events: the same answers about it.
        let body = body(&project(scenario.config, head));
        for office in scenario.offices() {
            let mut scoped = checkpoint::decode_scoped(&body, cut as u64, &scenario.config, Some(&office)).expect("reads back");
            tail.iter().for_each(|(position, event)| scoped.apply(*position, event));
            same_office_figures(&scenario, &whole, &scoped, &office)?;
            prop_assert!(scoped.offices().iter().all(|o| o.office == office), "only {} is folded", office);
            let mut from_scratch = Projection::new(scenario.config).scoped(office.clone());
            from_scratch.apply_all(log.iter().map(|(p, e)| (*p, e)));
            same_office_figures(&scenario, &whole, &from_scratch, &office)?;
        }

        // Known at the cut: the checkpoint alone is the projection of positions 1..=cut.
        same_figures(&scenario, &project(scenario.config, head), &written_and_read(&project(scenario.config, head)))?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Packed history changes no figure: a projection that packs all but its two newest events of each office gives
    /// every view of one that never packs, with the log folded one event at a time (late events unpacking what they
    /// reach back into), all at once, or through a checkpoint of packed history.
    #[test]
    fn packing_settled_history_changes_no_figure((scenario, log, cut) in reordered_with_cut()) {
        let never = Projection::new(scenario.config).with_packing(NEVER);
        let mut expected = never.clone();
        log.iter().for_each(|(position, event)| expected.apply(*position, event));

        let eager = Projection::new(scenario.config).with_packing(EAGER);
        let mut one_by_one = eager.clone();
        log.iter().for_each(|(position, event)| one_by_one.apply(*position, event));
        same_figures(&scenario, &expected, &one_by_one)?;

        let mut at_once = eager.clone();
        at_once.apply_all(log.iter().map(|(p, e)| (*p, e)));
        same_figures(&scenario, &expected, &at_once)?;

        let (head, tail) = log.split_at(cut);
        let mut packed_head = eager;
        head.iter().for_each(|(position, event)| packed_head.apply(*position, event));
        let mut resumed = written_and_read(&packed_head);
        tail.iter().for_each(|(position, event)| resumed.apply(*position, event));
        same_figures(&scenario, &expected, &resumed)?;
    }
}

#[test]
fn a_body_of_another_format_configuration_or_position_is_refused() {
    let projection = Projection::new(Config::default());
    let mut body = Vec::new();
    checkpoint::encode(&projection, &mut body).expect("writes to memory");

    let mut other_format = body.clone();
    other_format[0] = other_format[0].wrapping_add(1);
    assert!(matches!(checkpoint::decode(&other_format, 0, &Config::default()), Err(Refused::Format { .. })));

    let longer = Config { horizon_days: 30, ..Config::default() };
    let refused = checkpoint::decode(&body, 0, &longer).expect_err("another horizon");
    assert_eq!(
        refused.to_string(),
        "was made with zone Europe/Berlin and horizon 365 days; this projection computes with zone Europe/Berlin \
         and horizon 30 days"
    );
    assert!(matches!(checkpoint::decode(&body, 4, &Config::default()), Err(Refused::Position { found: 0, framed: 4 })));
    assert!(matches!(checkpoint::decode(&body[..3], 0, &Config::default()), Err(Refused::Undecodable(_))));
}
