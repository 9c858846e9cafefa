//! The `staff.handover` job: takes one hand-over a step further each time it runs, and queues its
//! next run until every customer's hand-over is final.
//!
//! A run, in this order: (1) customers without a WeCom contact of the leaver's move in siyu at once;
//! (2) when the leaver has no WeCom account (any more), their contacts not yet asked fail
//! (`LeaverWithoutWecom`) and those asked wait for the account to come back; (3) per successor: one
//! without a WeCom account fails only their customers not yet asked (`SuccessorWithoutWecom`) and the
//! run goes on with the others; for the rest, WeCom's transfer results are read for every customer
//! already asked (requested or waiting), and each moves as `domain::handover::next_state` says — done
//! moves the customer to the successor and writes its audit entry in the same store step, and a
//! customer recorded as requested whom WeCom never saw goes back to pending; (4) pending customers
//! are recorded as requested, then asked of WeCom through `outbound::transfer`, 100 at a time per
//! successor, and each answer recorded (started: waiting; refused: failed). Only a definite refusal of
//! the whole call fails its customers: a busy, rate-limited or unanswered call leaves them requested
//! and the run is retried. So a run that dies anywhere leaves only states a later run resolves: a
//! customer is asked of WeCom again only after WeCom's own results show it never started, never
//! twice.
//!
//! An administrator may end the rest (`services::handover::end_rest`): the hand-over is marked ended
//! and its pending customers cancelled in one store step, and from then on no one is asked of WeCom —
//! a customer WeCom never saw is cancelled instead of returning to pending, and those whose leaver or
//! successor lost their WeCom account fail, as nothing can follow them. A job that gave up is queued
//! again by `services::handover::run_again`.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use siyu_domain::audit::{AuditAction, NewAuditEntry};
use siyu_domain::handover::{FailReason, HandoverState, TransferOutcome, WECOM_BATCH, next_state};
use siyu_domain::org::Staff;
use siyu_domain::{CustomerId, HandoverId, StaffId, Timestamp};
use siyu_store::{Handover, HandoverItem, HandoverStep};

use super::{Job, JobContext, JobError, Options, Unrunnable, enqueue};
use crate::state::AppState;

/// WeCom's errcode for a customer whose transfer is already under way.
const ALREADY_BEING_TRANSFERRED: i64 = 40129;

/// Runs a hand-over on.
pub struct HandOver;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HandoverPayload {
    pub handover_id: HandoverId,
}

/// The longest wait between two looks at WeCom's results while customers wait (WeCom takes over after
/// 24 hours; a look is one call per successor).
pub const POLL_SECS: i64 = 15 * 60;
/// The shortest wait: a takeover due sooner is looked at this long after it.
const MIN_POLL_SECS: i64 = 30;

impl Job for HandOver {
    const NAME: &'static str = "staff.handover";
    const MAX_ATTEMPTS: i32 = 10;
    type Payload = HandoverPayload;

    async fn run(&self, ctx: &JobContext<'_>, p: HandoverPayload) -> Result<(), JobError> {
        let state = ctx.state;
        let h = match state.store.handover(p.handover_id).await {
            Ok(h) => h,
            Err(siyu_store::StoreError::NotFound) => return Err(JobError::permanent("no such hand-over")),
            Err(e) => return Err(e.into()),
        };
        if h.finished_at.is_some() {
            return Ok(());
        }
        let mut ids: Vec<StaffId> = h.items.iter().map(|i| i.to_staff_id).collect();
        ids.push(h.from_staff_id);
        ids.sort_unstable();
        ids.dedup();
        let staff: HashMap<StaffId, Staff> =
            state.store.staff_by_ids(&ids, &[]).await?.into_iter().map(|s| (s.id, s)).collect();
        let mut run = Run { state, h: &h, staff: &staff, moved: Vec::new() };
        let outcome = run.step().await;
        // Whatever happened, the customers already moved are told to the engine.
        run.settle_moved().await?;
        outcome?;
        ctx.keep_alive().await?;
        let h = state.store.handover(p.handover_id).await?;
        if h.items.iter().all(|i| i.state.is_final()) {
            state.store.finish_handover(h.id, state.clock.now()).await?;
            tracing::info!(handover = %h.id, "hand-over finished");
        } else {
            let at = next_look(&h.items, state.clock.now());
            enqueue::<HandOver>(state, &HandoverPayload { handover_id: h.id }, Options::at(at).once_as(h.id)).await?;
        }
        Ok(())
    }
}

/// When to look again: soon after asking (WeCom's results then say when each takeover is due), else
/// at the earliest takeover WeCom announced (plus a little), at most [`POLL_SECS`] away.
fn next_look(items: &[HandoverItem], now: Timestamp) -> Timestamp {
    let latest = now.plus_secs(POLL_SECS);
    let earliest = now.plus_secs(MIN_POLL_SECS);
    let waiting = |i: &&HandoverItem| i.state == HandoverState::Waiting;
    if items.iter().filter(waiting).any(|i| i.takeover_at.is_none()) {
        return earliest;
    }
    items
        .iter()
        .filter(|i| i.state == HandoverState::Waiting)
        .filter_map(|i| i.takeover_at)
        .map(|t| t.plus_secs(MIN_POLL_SECS))
        .min()
        .map_or(latest, |t| t.clamp(earliest, latest))
}

struct Run<'a> {
    state: &'a AppState,
    h: &'a Handover,
    staff: &'a HashMap<StaffId, Staff>,
    /// Customers moved to their successor in this run.
    moved: Vec<CustomerId>,
}

impl Run<'_> {
    async fn step(&mut self) -> Result<(), JobError> {
        self.move_without_wecom().await?;
        let in_wecom: Vec<&HandoverItem> = self.h.items.iter().filter(|i| i.external_userid.is_some()).collect();
        if in_wecom.iter().all(|i| i.state.is_final()) {
            return Ok(());
        }
        // Ended by an administrator: WeCom is asked to transfer no one more.
        let ended = self.h.ended_at.is_some();
        let Some(from) = self.userid(self.h.from_staff_id) else {
            // No WeCom account of the leaver's: nothing can be asked or read for their contacts.
            self.cannot_follow(&in_wecom, FailReason::LeaverWithoutWecom, ended).await?;
            return Ok(());
        };
        let rt = self.state.wecom.clone().ok_or(Unrunnable::WecomNotConfigured)?;
        // By successor: WeCom's results and transfers are per pair of members.
        let mut by_successor: BTreeMap<StaffId, Vec<&HandoverItem>> = BTreeMap::new();
        for i in in_wecom.into_iter().filter(|i| !i.state.is_final()) {
            by_successor.entry(i.to_staff_id).or_default().push(i);
        }
        for (to, items) in by_successor {
            let Some(to_userid) = self.userid(to) else {
                self.cannot_follow(&items, FailReason::SuccessorWithoutWecom, ended).await?;
                continue;
            };
            let mut pending: Vec<&HandoverItem> =
                items.iter().copied().filter(|i| i.state == HandoverState::Pending).collect();
            let asked: Vec<&HandoverItem> =
                items.iter().copied().filter(|i| i.state != HandoverState::Pending).collect();
            if !asked.is_empty() {
                let results = rt.client.transfer_results(self.h.resigned, &from, &to_userid).await?;
                let by_ext: HashMap<&str, &siyu_wecom::campaigns::TransferStatus> =
                    results.iter().map(|r| (r.external_userid.as_str(), r)).collect();
                for i in asked {
                    let ext = i.external_userid.as_deref().unwrap_or_default();
                    let r = by_ext.get(ext);
                    let outcome = r.map_or(TransferOutcome::NoRecord, |r| TransferOutcome::from_status(r.status));
                    let takeover_at =
                        r.filter(|r| r.takeover_time > 0).map(|r| Timestamp::from_millis(r.takeover_time * 1000));
                    if let Some((next, reason)) = next_state(i.state, outcome) {
                        if ended && next == HandoverState::Pending {
                            // Never seen by WeCom, and the hand-over is ended: cancelled, never asked again.
                            self.apply(i, HandoverState::Cancelled, Some(FailReason::EndedByAdministrator), None)
                                .await?;
                        } else {
                            self.apply(i, next, reason, takeover_at.or(i.takeover_at)).await?;
                            if next == HandoverState::Pending {
                                pending.push(i);
                            }
                        }
                    } else if takeover_at.is_some() && takeover_at != i.takeover_at {
                        // Still waiting, with WeCom's latest takeover time.
                        self.apply(i, i.state, None, takeover_at).await?;
                    }
                }
            }
            if ended {
                // Pending when read, before the end's commit: cancelled, as the end cancels them.
                for i in pending {
                    self.apply(i, HandoverState::Cancelled, Some(FailReason::EndedByAdministrator), None).await?;
                }
                continue;
            }
            for batch in pending.chunks(WECOM_BATCH) {
                self.ask(&rt, &from, &to_userid, batch).await?;
            }
        }
        Ok(())
    }

    /// Customers whose leaver or successor has no WeCom account (any more): those not yet asked fail
    /// with `reason`; those already asked stay, to be followed should the account come back — unless
    /// the hand-over is ended, when nothing can follow them and they fail too.
    async fn cannot_follow(
        &mut self,
        items: &[&HandoverItem],
        reason: FailReason,
        ended: bool,
    ) -> Result<(), JobError> {
        for i in items.iter().filter(|i| !i.state.is_final() && (ended || i.state == HandoverState::Pending)) {
            self.apply(i, HandoverState::Failed, Some(reason), None).await?;
        }
        Ok(())
    }

    /// Customers with no WeCom contact of the leaver's: nothing to ask WeCom, they move now.
    async fn move_without_wecom(&mut self) -> Result<(), JobError> {
        let h = self.h;
        for i in h.items.iter().filter(|i| i.external_userid.is_none() && !i.state.is_final()) {
            self.apply(i, HandoverState::Succeeded, None, None).await?;
        }
        Ok(())
    }

    /// Records `batch` as requested, then asks WeCom to transfer it, then records each answer.
    async fn ask(
        &mut self,
        rt: &crate::wecom::WecomRuntime,
        from: &str,
        to: &str,
        batch: &[&HandoverItem],
    ) -> Result<(), JobError> {
        let now = self.state.clock.now();
        let mut asking = Vec::with_capacity(batch.len());
        for i in batch {
            let step = HandoverStep {
                customer_id: i.customer_id,
                from: HandoverState::Pending,
                to: HandoverState::Requested,
                reason: None,
                takeover_at: None,
                audit: None,
            };
            if self.state.store.step_handover(self.h.id, &step, now).await? {
                asking.push(*i);
            }
        }
        if asking.is_empty() {
            return Ok(());
        }
        let externals: Vec<String> = asking.iter().filter_map(|i| i.external_userid.clone()).collect();
        let answers = match crate::outbound::transfer(rt, self.h.resigned, from, to, &externals).await {
            Ok(a) => a,
            // WeCom refused the whole call (a member it does not know, say): no customer started.
            Err(e) if e.is_refusal() => {
                tracing::warn!(handover = %self.h.id, error = %e, "WeCom refused a transfer");
                externals.iter().map(|e| (e.clone(), -1)).collect()
            }
            // No answer, or busy, rate or concurrency limited (-1, 45009, 45033 after the client's own
            // retries): the customers stay requested, and the next attempt reads WeCom's results first.
            Err(e) => return Err(e.into()),
        };
        let answers: HashMap<String, i64> = answers.into_iter().collect();
        for i in asking {
            let ext = i.external_userid.as_deref().unwrap_or_default();
            let requested = HandoverItem { state: HandoverState::Requested, ..(*i).clone() };
            match answers.get(ext).copied() {
                // When the takeover is due, WeCom's results say at the next look. 40129 ("being
                // transferred already"): an ask of ours that its results did not show yet — waiting
                // too, never a refusal that would leave siyu and WeCom apart.
                Some(0 | ALREADY_BEING_TRANSFERRED) => {
                    self.apply(&requested, HandoverState::Waiting, None, None).await?
                }
                Some(code) => {
                    tracing::info!(handover = %self.h.id, customer = %i.customer_id, errcode = code, "transfer not started");
                    self.apply(&requested, HandoverState::Failed, Some(FailReason::Refused), None).await?
                }
                // Not in the answer: left requested, for the results to settle.
                None => {}
            }
        }
        Ok(())
    }

    /// Moves one customer's hand-over from the state it was read in; a move to the successor carries
    /// its audit entry into the same store step.
    async fn apply(
        &mut self,
        i: &HandoverItem,
        to: HandoverState,
        reason: Option<FailReason>,
        takeover_at: Option<Timestamp>,
    ) -> Result<(), JobError> {
        let now = self.state.clock.now();
        let audit = (to == HandoverState::Succeeded).then(|| self.handed_over(i, now));
        let step = HandoverStep { customer_id: i.customer_id, from: i.state, to, reason, takeover_at, audit };
        let applied = self.state.store.step_handover(self.h.id, &step, now).await?;
        if applied && to == HandoverState::Succeeded {
            self.moved.push(i.customer_id);
        }
        Ok(())
    }

    /// The audit entry of a customer handed over to their successor.
    fn handed_over(&self, i: &HandoverItem, now: Timestamp) -> NewAuditEntry {
        let name = |id: StaffId| self.staff.get(&id).map(|s| s.username.clone()).unwrap_or_else(|| id.to_string());
        NewAuditEntry {
            at: now,
            staff_id: None,
            actor: format!("job:{}", HandOver::NAME),
            action: AuditAction::CustomerHandedOver,
            target: i.customer_id.to_string(),
            detail: format!("{}: {} → {}", self.h.id, name(self.h.from_staff_id), name(i.to_staff_id)),
            ip: None,
        }
    }

    /// The member's WeCom account, if they have one.
    fn userid(&self, id: StaffId) -> Option<String> {
        self.staff.get(&id).and_then(|s| s.wecom_userid.clone())
    }

    /// Tells the engine of the customers' new owners (their audit entries were written with the move).
    async fn settle_moved(&self) -> Result<(), JobError> {
        if self.moved.is_empty() {
            return Ok(());
        }
        self.state.engine.note_customers(&*self.state.store, &self.moved, self.state.clock.now()).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn waiting(at: Option<Timestamp>) -> HandoverItem {
        HandoverItem {
            customer_id: CustomerId::new(1),
            to_staff_id: StaffId::new(2),
            external_userid: Some("wm".into()),
            state: HandoverState::Waiting,
            reason: None,
            takeover_at: at,
            updated_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn looks_again_at_the_first_takeover_within_bounds() {
        let now = Timestamp::from_millis(1_000_000_000);
        assert_eq!(next_look(&[waiting(None)], now), now.plus_secs(MIN_POLL_SECS), "just asked: soon, for the time");
        assert_eq!(next_look(&[waiting(Some(now.plus_secs(90)))], now), now.plus_secs(90 + MIN_POLL_SECS));
        assert_eq!(next_look(&[waiting(Some(now.plus_secs(86_400)))], now), now.plus_secs(POLL_SECS));
        assert_eq!(next_look(&[waiting(Some(now.plus_secs(-500)))], now), now.plus_secs(MIN_POLL_SECS));
    }
}
