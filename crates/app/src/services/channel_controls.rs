//! A channel code's controls put into effect: who may take the next add now (under their daily cap,
//! on duty by their schedule), the backup when no one may, and whether friend requests skip
//! verification — told to WeCom through the contact way's user list and `skip_verify`. Worked out
//! again when an add arrives (the code moves on), when a schedule boundary passes (the
//! `channels.controls` job, every minute) and when an operator changes the controls.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use siyu_domain::audit::AuditAction;
use siyu_domain::channel::Assignment;
use siyu_domain::channel_controls::{ChannelControls, next_taker};
use siyu_domain::clock::bank_offset;
use siyu_domain::lang::Text;
use siyu_domain::org::{Role, Staff};
use siyu_domain::scope::Permission;
use siyu_domain::{ChannelCodeId, StaffId, Timestamp};
use siyu_store::ChannelCode;
use siyu_wecom::api::ContactWay;
use siyu_wecom::client::WecomError;

use super::audit;
use super::channels::{AddError, assignable, get, wecom, wecom_err};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;
use crate::wecom::WecomRuntime;

/// Bank time (Asia/Shanghai: UTC+8, no daylight saving) of a moment.
pub fn bank_time(t: Timestamp) -> NaiveDateTime {
    t.to_utc().with_timezone(&bank_offset()).naive_local()
}

/// The first moment of the bank day `t` falls on.
pub fn bank_day_start(t: Timestamp) -> Timestamp {
    let midnight = t.bank_date().and_hms_opt(0, 0, 0).unwrap_or_default();
    Timestamp::from_millis(midnight.and_utc().timestamp_millis() - i64::from(bank_offset().local_minus_utc()) * 1000)
}

/// Who the code should point at now and whether requests skip verification: `step` when an add just
/// went to the manager it points at. `None` for the manager: nobody may take adds and there is no
/// backup (the code stays where it is).
pub(crate) async fn turn(
    state: &AppState,
    code: &ChannelCode,
    step: bool,
) -> Result<(Option<Staff>, bool), siyu_store::StoreError> {
    let now = state.clock.now();
    let at = bank_time(now);
    let c = &code.controls;
    let candidates: Vec<Staff> = match &code.assignment {
        Assignment::Named { staff_id } => {
            let s = state.store.staff(*staff_id).await?;
            if s.active && s.wecom_userid.is_some() { vec![s] } else { Vec::new() }
        }
        _ => match code.sub_branch_id {
            Some(sub) => assignable(state, sub).await?,
            None => Vec::new(),
        },
    };
    let adds: HashMap<String, i64> =
        state.store.channel_adds_since(&code.state(), bank_day_start(now)).await?.into_iter().collect();
    let today = |s: &Staff| s.wecom_userid.as_ref().and_then(|u| adds.get(u)).copied().unwrap_or(0);
    // Back from the backup (or a manager no longer in turn), the turn starts again from the first.
    let current = code.current_staff_id.filter(|c| candidates.iter().any(|s| s.id == *c));
    let eligible: Vec<Staff> =
        candidates.into_iter().filter(|s| c.may_take(s.id, u32::try_from(today(s)).unwrap_or(u32::MAX), at)).collect();
    let backup = match c.backup_staff_id {
        Some(id) => Some(state.store.staff(id).await?).filter(|s| s.active && s.wecom_userid.is_some()),
        None => None,
    };
    let next = if let Assignment::LeastLoad { .. } = code.assignment {
        let userids: Vec<String> = eligible.iter().filter_map(|s| s.wecom_userid.clone()).collect();
        let load: HashMap<String, i64> = state.store.active_customers(&userids).await?.into_iter().collect();
        let count = |s: &Staff| s.wecom_userid.as_ref().and_then(|u| load.get(u)).copied().unwrap_or(0);
        eligible.into_iter().min_by_key(|s| (count(s), s.id)).or(backup)
    } else {
        let ids: Vec<StaffId> = eligible.iter().map(|s| s.id).collect();
        let id = next_taker(&ids, current, step, backup.as_ref().map(|b| b.id));
        eligible.into_iter().chain(backup).find(|s| Some(s.id) == id)
    };
    Ok((next, c.skip_verify(at)))
}

/// The contact way of `code` pointing at `userid`, with `skip_verify`.
pub(crate) fn way_of(code: &ChannelCode, config_id: String, userid: String, skip_verify: bool) -> ContactWay {
    ContactWay {
        config_id,
        kind: 1,
        scene: 2,
        remark: code.name.chars().take(30).collect(),
        skip_verify,
        state: code.state(),
        user: vec![userid],
        qr_code: String::new(),
    }
}

/// Puts the code's controls into effect as the time now asks (no add involved): WeCom is told when
/// the manager or `skip_verify` changes, then the store, only if the code still points where it did
/// (an add that moved it meanwhile wins; the next minute looks again). `true` when anything changed.
pub(crate) async fn apply(state: &AppState, rt: &WecomRuntime, code: &ChannelCode) -> Result<bool, AddError> {
    let (next, skip) = turn(state, code, false).await?;
    let next = next.filter(|n| Some(n.id) != code.current_staff_id);
    if next.is_none() && skip == code.skip_verify {
        return Ok(false);
    }
    let Some(config_id) = code.config_id.clone() else { return Ok(false) };
    let to = match &next {
        Some(n) => n.clone(),
        None => match code.current_staff_id {
            Some(id) => state.store.staff(id).await?,
            None => return Ok(false),
        },
    };
    let Some(userid) = to.wecom_userid.clone() else { return Ok(false) };
    rt.client.update_contact_way(&way_of(code, config_id, userid, skip)).await?;
    let now = state.clock.now();
    Ok(state.store.set_channel_turn(code.id, code.current_staff_id, to.id, skip, now).await?)
}

/// The controls as an operator sets them, checked: every bound, and every manager named (the backup,
/// each schedule's) an active customer manager with WeCom at a sub-branch the caller's data scope
/// covers — a code's new contacts never go to a branch its operator cannot see.
pub(crate) async fn check(state: &AppState, caller: &Caller, c: &ChannelControls) -> ServiceResult<()> {
    c.check().map_err(|e| {
        let key = match e.code() {
            "bad_daily_cap" => "channel_controls.bad_daily_cap",
            "too_many_schedules" => "channel_controls.too_many_schedules",
            "too_many_windows" => "channel_controls.too_many_windows",
            "bad_days" => "channel_controls.bad_days",
            _ => "channel_controls.bad_time",
        };
        ServiceError::invalid(e.code(), Text::new(key))
    })?;
    let named: Vec<_> = c.backup_staff_id.into_iter().chain(c.schedules.iter().map(|s| s.staff_id)).collect();
    if named.is_empty() {
        return Ok(());
    }
    let units = state.store.org_units().await?;
    let mine: std::collections::HashSet<_> =
        crate::services::org::sub_branches_covered(&units, caller).into_iter().map(|u| u.id).collect();
    for id in named {
        let ok = state.store.staff(id).await.is_ok_and(|s| {
            s.role == Role::CustomerManager && s.active && s.wecom_userid.is_some() && mine.contains(&s.org_unit_id)
        });
        if !ok {
            return Err(ServiceError::invalid("bad_staff", Text::new("channel_controls.bad_staff")));
        }
    }
    Ok(())
}

/// What a change of controls changed, for the audit log: `daily_cap: none → 5, backup: stf_3 → none,
/// schedules: 0 → 2, skip_verify_windows: 1 → 1` — each part that differs, with the cap and the
/// backup's id (staff ids, no names) and the number of schedules and windows; `unchanged` when the
/// operator saved the same controls.
pub(crate) fn change_detail(old: &ChannelControls, new: &ChannelControls) -> String {
    let or_none = |v: Option<String>| v.unwrap_or_else(|| "none".to_owned());
    let mut parts = Vec::new();
    if old.daily_cap != new.daily_cap {
        let (a, b) = (or_none(old.daily_cap.map(|n| n.to_string())), or_none(new.daily_cap.map(|n| n.to_string())));
        parts.push(format!("daily_cap: {a} → {b}"));
    }
    if old.backup_staff_id != new.backup_staff_id {
        let (a, b) =
            (or_none(old.backup_staff_id.map(|s| s.to_string())), or_none(new.backup_staff_id.map(|s| s.to_string())));
        parts.push(format!("backup: {a} → {b}"));
    }
    if old.schedules != new.schedules {
        parts.push(format!("schedules: {} → {}", old.schedules.len(), new.schedules.len()));
    }
    if old.skip_verify_windows != new.skip_verify_windows {
        let (a, b) = (old.skip_verify_windows.len(), new.skip_verify_windows.len());
        parts.push(format!("skip_verify_windows: {a} → {b}"));
    }
    if parts.is_empty() { "unchanged".to_owned() } else { parts.join(", ") }
}

/// Sets a code's controls, records the change in the audit log and puts them into effect at once.
pub async fn set_controls(
    state: &AppState,
    caller: &Caller,
    id: ChannelCodeId,
    controls: ChannelControls,
) -> ServiceResult<ChannelCode> {
    caller.require(Permission::ManageChannels)?;
    let (code, _) = get(state, caller, id).await?;
    check(state, caller, &controls).await?;
    let rt = wecom(state)?;
    state.store.set_channel_controls(code.id, &controls, state.clock.now()).await?;
    // Recorded once stored: the controls hold from here even if WeCom refuses them until the next minute.
    let detail = change_detail(&code.controls, &controls);
    audit::record(state, caller, AuditAction::ChannelControlsChanged, &code.id.to_string(), &detail).await?;
    let code = state.store.channel_code(code.id).await?;
    apply(state, rt, &code).await.map_err(|e| match e {
        AddError::Wecom(e) => wecom_err(e),
        AddError::Store(e) => e.into(),
    })?;
    Ok(state.store.channel_code(code.id).await?)
}

/// Every code with controls, as the time now asks; a code WeCom refuses is logged and the rest go on.
/// The first WeCom error is returned, so the job shows it.
pub(crate) async fn apply_all(state: &AppState) -> Result<usize, AddError> {
    let Some(rt) = state.wecom.as_deref() else { return Ok(0) };
    let mut changed = 0;
    let mut failed: Option<WecomError> = None;
    for code in state.store.channel_codes_with_controls().await? {
        match apply(state, rt, &code).await {
            Ok(true) => changed += 1,
            Ok(false) => {}
            Err(AddError::Wecom(e)) => {
                tracing::warn!(code = %code.id, error = %e, "WeCom refused a code's scheduled change");
                failed.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(changed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bank_days_start_at_midnight_in_shanghai() {
        // 2026-12-01 15:30 UTC is 23:30 in Shanghai; 16:30 UTC is 00:30 the next day.
        let t = Timestamp::from_millis(
            chrono::DateTime::parse_from_rfc3339("2026-12-01T15:30:00Z").unwrap().timestamp_millis(),
        );
        let start = bank_day_start(t);
        assert_eq!(start.to_utc().to_rfc3339(), "2026-11-30T16:00:00+00:00");
        assert_eq!(bank_day_start(t.plus_secs(3600)).to_utc().to_rfc3339(), "2026-12-01T16:00:00+00:00");
        assert_eq!(bank_time(t).format("%a %H:%M").to_string(), "Tue 23:30");
    }
}
