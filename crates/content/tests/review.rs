//! The review state machine on random sequences of actions by random people, against a plain table
//! of what each step should do: no author ever approves their own version, nothing is published that
//! was not approved, a blocking finding is approved only with a reason, and retired is final.

use proptest::prelude::*;
use siyu_content::lint::{Finding, Rule};
use siyu_content::review::{Action, Actor, Status, VersionState, transition};
use siyu_domain::lang::Text;
use siyu_domain::{StaffId, Timestamp};

const AUTHOR: StaffId = StaffId::new(1);

/// The author (once without, once with the review permission), another reviewer, someone else.
const ACTORS: [Actor; 4] = [
    Actor { id: AUTHOR, reviewer: false },
    Actor { id: AUTHOR, reviewer: true },
    Actor { id: StaffId::new(2), reviewer: true },
    Actor { id: StaffId::new(3), reviewer: false },
];

fn action(kind: u8, reason: u8) -> Action {
    let reason = ["", "  ", "已核实"][usize::from(reason % 3)].to_owned();
    match kind % 7 {
        0 => Action::Edit,
        1 => Action::Submit,
        2 => Action::Withdraw,
        3 => Action::Approve { override_reason: (!reason.is_empty()).then_some(reason) },
        4 => Action::Reject { reason },
        5 => Action::Publish,
        _ => Action::Retire,
    }
}

/// What the step should lead to, written as the table the module's comment describes.
fn expected(v: &VersionState, who: Actor, a: &Action, blocking: bool) -> Option<Status> {
    use Status::*;
    let author = who.id == v.author;
    let reviews = who.reviewer && !author;
    let given = |r: &str| !r.trim().is_empty();
    // The one finding these streams know, covered only if the approval weighed it (it blocked then).
    let overridden = v.approval.as_ref().is_some_and(|a| a.overridden.iter().any(|k| k == "guaranteed_return@0-2"));
    match (v.status, a) {
        (Retired, _) => None,
        (_, Action::Retire) => Some(Retired),
        (Draft, Action::Edit) if author => Some(Draft),
        (Draft, Action::Submit) if author => Some(Submitted),
        (Submitted, Action::Withdraw) if author => Some(Draft),
        (Submitted, Action::Approve { override_reason }) if reviews => {
            let reason = override_reason.as_deref().is_some_and(given);
            (!blocking || reason).then_some(Approved)
        }
        (Submitted, Action::Reject { reason }) if reviews && given(reason) => Some(Rejected),
        (Approved, Action::Publish) if !blocking || overridden => Some(Published),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn random_reviews_keep_the_rules(steps in prop::collection::vec((0usize..4, any::<u8>(), any::<u8>(), any::<bool>()), 1..40)) {
        let mut v = VersionState::draft(AUTHOR, None, Timestamp::from_millis(0));
        for (n, (who, kind, reason, blocking)) in steps.into_iter().enumerate() {
            let who = ACTORS[who];
            let a = action(kind, reason);
            let findings: Vec<Finding> = if blocking {
                vec![Finding { rule: Rule::GuaranteedReturn, start: 0, end: 2, message: Text::new("lint.guaranteed"), blocking: true }]
            } else {
                Vec::new()
            };
            let now = Timestamp::from_millis(n as i64 + 1);
            let got = transition(&v, who, &a, &findings, now);
            prop_assert_eq!(got.as_ref().ok().map(|s| s.status), expected(&v, who, &a, blocking), "{:?} by {:?} on {:?}", a, who, v.status);
            let Ok(next) = got else { continue };
            if next.status == Status::Approved && v.status != Status::Approved {
                let approval = next.approval.as_ref().unwrap();
                prop_assert_ne!(approval.by, AUTHOR, "the author approved their own version");
                prop_assert!(!blocking || approval.override_reason.as_deref().is_some_and(|r| !r.is_empty()));
            }
            if next.status == Status::Published {
                prop_assert!(matches!(v.status, Status::Approved | Status::Published));
                prop_assert!(next.approval.as_ref().is_some_and(|a| a.by != AUTHOR));
            }
            if v.status == Status::Retired {
                prop_assert!(false, "a retired version changed");
            }
            v = next;
        }
    }
}
