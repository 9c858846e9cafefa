//! The controls every WeCom SCRM puts on a channel code: a daily add cap per customer manager (the code
//! moves on to the next manager when one reaches it), a backup manager who takes the adds when no one
//! else may, working days and hours per manager, and windows in which friend requests are accepted
//! without the manager confirming them (skip-verify). All of it at bank time (Asia/Shanghai, UTC+8,
//! no daylight saving), taken as an input.

use chrono::{Datelike, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};

use crate::ids::StaffId;

/// The highest daily cap an operator may set (a manager taking more adds a day than this is not a
/// cap any more).
pub const MAX_DAILY_CAP: u32 = 500;
/// Schedule entries per code: a few per manager of a large sub-branch.
pub const MAX_SCHEDULES: usize = 60;
/// Skip-verify windows per code.
pub const MAX_WINDOWS: usize = 7;

/// Days of the week and a span of hours, `from` inclusive, `to` exclusive, both `HH:MM` (`to` may be
/// `24:00`); a span across midnight is two windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Window {
    /// 1 Monday … 7 Sunday, each once.
    pub days: Vec<u8>,
    /// `HH:MM`, 00:00–23:59.
    pub from: String,
    /// `HH:MM`, 00:01–24:00, after `from`.
    pub to: String,
}

/// When one customer manager takes adds through the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Schedule {
    pub staff_id: StaffId,
    #[serde(flatten)]
    pub window: Window,
}

/// A code's controls. The default (none set) is the code as it always was: no cap, no schedule, no
/// backup, friend requests always accepted without verification. Read only from an object (see the
/// `Deserialize` below).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChannelControls {
    /// Adds a day (bank day) one customer manager takes through this code, 1–500; none: no cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_cap: Option<u32>,
    /// Takes the adds when every manager is capped or off duty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backup_staff_id: Option<StaffId>,
    /// Working days and hours: a manager with entries takes adds only inside one of them; a manager
    /// without any, always.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub schedules: Vec<Schedule>,
    /// Times friend requests are accepted without verification; none set: always.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_verify_windows: Vec<Window>,
}

/// The controls' fields as they are read; [`ChannelControls`] takes them from an object only.
#[derive(Deserialize)]
struct ControlsFields {
    #[serde(default)]
    daily_cap: Option<u32>,
    #[serde(default)]
    backup_staff_id: Option<StaffId>,
    #[serde(default)]
    schedules: Vec<Schedule>,
    #[serde(default)]
    skip_verify_windows: Vec<Window>,
}

/// A derived `Deserialize` would also read a struct from a list (`[null, null]` as a cap and a backup
/// by position), which the API's schema does not allow: the controls are an object or refused.
impl<'de> Deserialize<'de> for ChannelControls {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ObjectOnly;
        impl<'de> serde::de::Visitor<'de> for ObjectOnly {
            type Value = ChannelControls;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of channel controls")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<ChannelControls, A::Error> {
                let f = ControlsFields::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(ChannelControls {
                    daily_cap: f.daily_cap,
                    backup_staff_id: f.backup_staff_id,
                    schedules: f.schedules,
                    skip_verify_windows: f.skip_verify_windows,
                })
            }
        }
        d.deserialize_map(ObjectOnly)
    }
}

/// What is wrong with a set of controls, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ControlsError {
    #[error("daily cap out of range")]
    BadCap,
    #[error("too many schedule entries")]
    TooManySchedules,
    #[error("too many skip-verify windows")]
    TooManyWindows,
    #[error("days must be 1-7, each once, at least one")]
    BadDays,
    #[error("times must be HH:MM, from before to")]
    BadTime,
}

impl ControlsError {
    pub fn code(self) -> &'static str {
        match self {
            Self::BadCap => "bad_daily_cap",
            Self::TooManySchedules => "too_many_schedules",
            Self::TooManyWindows => "too_many_windows",
            Self::BadDays => "bad_days",
            Self::BadTime => "bad_time",
        }
    }
}

/// Minutes after midnight of a strict `HH:MM` (two digits, colon, two digits); `24:00` only where
/// `end` is true.
pub fn minutes_of(s: &str, end: bool) -> Option<u16> {
    let b = s.as_bytes();
    if b.len() != 5 || b[2] != b':' || ![0, 1, 3, 4].iter().all(|&i| b[i].is_ascii_digit()) {
        return None;
    }
    let (h, m) =
        (u16::from(b[0] - b'0') * 10 + u16::from(b[1] - b'0'), u16::from(b[3] - b'0') * 10 + u16::from(b[4] - b'0'));
    match (h, m) {
        (24, 0) if end => Some(1440),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

impl Window {
    pub fn check(&self) -> Result<(), ControlsError> {
        let mut seen = [false; 8];
        if self.days.is_empty() || self.days.len() > 7 {
            return Err(ControlsError::BadDays);
        }
        for &d in &self.days {
            if !(1..=7).contains(&d) || seen[usize::from(d)] {
                return Err(ControlsError::BadDays);
            }
            seen[usize::from(d)] = true;
        }
        match (minutes_of(&self.from, false), minutes_of(&self.to, true)) {
            (Some(f), Some(t)) if f < t => Ok(()),
            _ => Err(ControlsError::BadTime),
        }
    }

    /// Whether bank time `at` falls inside the window.
    pub fn covers(&self, at: NaiveDateTime) -> bool {
        let day = at.weekday().number_from_monday() as u8;
        let minute = (at.hour() * 60 + at.minute()) as u16;
        let (Some(f), Some(t)) = (minutes_of(&self.from, false), minutes_of(&self.to, true)) else { return false };
        self.days.contains(&day) && f <= minute && minute < t
    }
}

impl ChannelControls {
    /// Every bound, checked before anything is stored or sent.
    pub fn check(&self) -> Result<(), ControlsError> {
        if self.daily_cap.is_some_and(|c| c == 0 || c > MAX_DAILY_CAP) {
            return Err(ControlsError::BadCap);
        }
        if self.schedules.len() > MAX_SCHEDULES {
            return Err(ControlsError::TooManySchedules);
        }
        if self.skip_verify_windows.len() > MAX_WINDOWS {
            return Err(ControlsError::TooManyWindows);
        }
        self.schedules.iter().map(|s| &s.window).chain(&self.skip_verify_windows).try_for_each(Window::check)
    }

    /// Whether anything is set: a code without controls behaves as codes always did.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// Whether `staff` works at bank time `at`: inside one of their entries, or always when they have
    /// none.
    pub fn on_duty(&self, staff: StaffId, at: NaiveDateTime) -> bool {
        let mut mine = self.schedules.iter().filter(|s| s.staff_id == staff).peekable();
        mine.peek().is_none() || mine.any(|s| s.window.covers(at))
    }

    /// Whether `staff`, with `adds_today` adds through the code today, may take the next one at `at`.
    pub fn may_take(&self, staff: StaffId, adds_today: u32, at: NaiveDateTime) -> bool {
        self.on_duty(staff, at) && self.daily_cap.is_none_or(|cap| adds_today < cap)
    }

    /// Whether friend requests are accepted without verification at `at`.
    pub fn skip_verify(&self, at: NaiveDateTime) -> bool {
        self.skip_verify_windows.is_empty() || self.skip_verify_windows.iter().any(|w| w.covers(at))
    }
}

/// Who a code points at next. `eligible` are the managers in turn who may take an add now (sorted by
/// id); `current` who it points at; `step` whether an add just went to `current` (the code moves on)
/// or the time changed (it stays with `current` while they may still take adds). With nobody
/// eligible, the backup; with no backup either, `None` (the code keeps pointing where it does: WeCom
/// needs someone, and an add is better taken over the cap than lost).
pub fn next_taker(
    eligible: &[StaffId],
    current: Option<StaffId>,
    step: bool,
    backup: Option<StaffId>,
) -> Option<StaffId> {
    if !step && let Some(c) = current.filter(|c| eligible.contains(c)) {
        return Some(c);
    }
    crate::channel::next_in_turn(eligible, current).or(backup)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    #[test]
    fn controls_are_read_from_an_object_only() {
        let c: ChannelControls = serde_json::from_str(r#"{"daily_cap": 3}"#).unwrap();
        assert_eq!(c.daily_cap, Some(3));
        assert_eq!(serde_json::from_str::<ChannelControls>("{}").unwrap(), ChannelControls::default());
        for bad in ["[null, null]", "[]", "3", "null", r#""x""#] {
            assert!(serde_json::from_str::<ChannelControls>(bad).is_err(), "{bad} is no set of controls");
        }
        let back = ChannelControls { daily_cap: Some(2), ..Default::default() };
        assert_eq!(serde_json::from_str::<ChannelControls>(&serde_json::to_string(&back).unwrap()).unwrap(), back);
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).unwrap().and_hms_opt(h, min, 0).unwrap()
    }

    fn window(days: &[u8], from: &str, to: &str) -> Window {
        Window { days: days.to_vec(), from: from.into(), to: to.into() }
    }

    #[test]
    fn times_are_strict() {
        assert_eq!(minutes_of("09:30", false), Some(570));
        assert_eq!(minutes_of("24:00", true), Some(1440));
        for bad in ["9:30", "09:3", "24:00", "12:60", "ab:cd", "09-30", " 09:30", "０9:30"] {
            assert_eq!(minutes_of(bad, false), None, "{bad}");
        }
        assert_eq!(window(&[1], "18:00", "09:00").check(), Err(ControlsError::BadTime), "no span across midnight");
        assert_eq!(window(&[1, 1], "09:00", "18:00").check(), Err(ControlsError::BadDays));
        assert_eq!(window(&[0], "09:00", "18:00").check(), Err(ControlsError::BadDays));
        assert_eq!(window(&[], "09:00", "18:00").check(), Err(ControlsError::BadDays));
        assert_eq!(window(&[1, 2, 3, 4, 5], "09:00", "24:00").check(), Ok(()));
    }

    #[test]
    fn bounds_are_checked() {
        let mut c = ChannelControls { daily_cap: Some(0), ..Default::default() };
        assert_eq!(c.check(), Err(ControlsError::BadCap));
        c.daily_cap = Some(MAX_DAILY_CAP + 1);
        assert_eq!(c.check(), Err(ControlsError::BadCap));
        c.daily_cap = Some(MAX_DAILY_CAP);
        assert_eq!(c.check(), Ok(()));
        c.skip_verify_windows = vec![window(&[1], "09:00", "10:00"); MAX_WINDOWS + 1];
        assert_eq!(c.check(), Err(ControlsError::TooManyWindows));
        c.skip_verify_windows.clear();
        let s = Schedule { staff_id: StaffId::new(1), window: window(&[1], "09:00", "10:00") };
        c.schedules = vec![s; MAX_SCHEDULES + 1];
        assert_eq!(c.check(), Err(ControlsError::TooManySchedules));
    }

    #[test]
    fn schedules_caps_and_windows_at_bank_time() {
        let (a, b) = (StaffId::new(1), StaffId::new(2));
        let c = ChannelControls {
            daily_cap: Some(3),
            backup_staff_id: None,
            schedules: vec![Schedule { staff_id: a, window: window(&[1, 2, 3, 4, 5], "09:00", "17:30") }],
            skip_verify_windows: vec![window(&[6, 7], "00:00", "24:00"), window(&[1, 2, 3, 4, 5], "18:00", "24:00")],
        };
        // 2026-12-01 is a Tuesday.
        assert!(c.on_duty(a, at(2026, 12, 1, 9, 0)));
        assert!(!c.on_duty(a, at(2026, 12, 1, 17, 30)), "to is exclusive");
        assert!(!c.on_duty(a, at(2026, 12, 5, 10, 0)), "Saturday");
        assert!(c.on_duty(b, at(2026, 12, 5, 3, 0)), "no schedule: always");
        assert!(c.may_take(a, 2, at(2026, 12, 1, 10, 0)));
        assert!(!c.may_take(a, 3, at(2026, 12, 1, 10, 0)), "capped");
        assert!(!c.skip_verify(at(2026, 12, 1, 10, 0)));
        assert!(c.skip_verify(at(2026, 12, 1, 18, 0)));
        assert!(c.skip_verify(at(2026, 12, 6, 8, 0)));
        assert!(ChannelControls::default().skip_verify(at(2026, 12, 1, 10, 0)), "no windows: always");
    }

    #[test]
    fn the_next_taker_steps_on_stays_or_falls_back() {
        let (a, b, x) = (StaffId::new(1), StaffId::new(2), StaffId::new(9));
        assert_eq!(next_taker(&[a, b], Some(a), true, Some(x)), Some(b), "an add moves it on");
        assert_eq!(next_taker(&[a, b], Some(a), false, Some(x)), Some(a), "time alone keeps a manager who may");
        assert_eq!(next_taker(&[b], Some(a), false, Some(x)), Some(b), "a capped or off-duty one is left");
        assert_eq!(next_taker(&[], Some(a), true, Some(x)), Some(x), "nobody may: the backup");
        assert_eq!(next_taker(&[a], Some(x), false, Some(x)), Some(a), "back from the backup when someone may");
        assert_eq!(next_taker(&[], Some(a), false, None), None, "no backup: left as it is");
    }
}
