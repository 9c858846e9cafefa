//! Expressions on their way into the engine: text checked against the names the engine knows (tags,
//! saved audiences, event kinds) with positioned errors and the nearest known names, sub-branches an
//! operator named by name or code resolved among those the caller may see, then bound to the
//! organisation as the store has it; and the conversions between customer ids and the engine's bitmaps.

use roaring::RoaringBitmap;
use siyu_domain::audience::{Expr, ParseError, nearest, parse};
use siyu_domain::lang::Text;
use siyu_domain::org::OrgUnit;
use siyu_domain::timeline::EventKind;
use siyu_domain::{AudienceId, CustomerId};

use super::{Bound, bind, customer_of, names_sub_branch, no};
use crate::caller::Caller;
use crate::error::{ServiceError, ServiceResult};
use crate::services::org;
use crate::state::AppState;

/// Where `value` is written, quoted, in `text` (0-based characters; 0 when it cannot be found).
fn position_of(text: &str, value: &str) -> usize {
    [format!("\"{value}\""), format!("“{value}”")]
        .iter()
        .filter_map(|q| text.find(q.as_str()))
        .min()
        .map_or(0, |p| text[..p].chars().count())
}

/// `message` followed by "did you mean “a”, “b”?" in the viewer's language, or alone when nothing is near.
fn did_you_mean(message: Text, near: &[String]) -> Text {
    if near.is_empty() {
        return message;
    }
    let quoted = Text::List(near.iter().map(|n| Text::from(format!("“{n}”"))).collect());
    Text::new("expr.did_you_mean").text("message", message).text("near", quoted)
}

/// Parses `text` and checks every name in it: tags, saved audiences and event kinds must exist. Errors
/// point at the character where the problem is.
pub fn compile(state: &AppState, text: &str) -> ServiceResult<Expr> {
    let expr = parse(text).map_err(|e| ServiceError::BadExpression { message: e.text(), position: e.position })?;
    let at = |needle: &str| position_of(text, needle);
    let bad = |needle: &str, message: Text| {
        let e = ParseError { position: at(needle), message };
        ServiceError::BadExpression { message: e.text(), position: e.position }
    };
    for t in expr.tags() {
        if !state.engine.has_tag(t) {
            return Err(bad(t, did_you_mean(Text::new("expr.no_tag").arg("name", t), &state.engine.tags_near(t))));
        }
    }
    for a in expr.audiences() {
        if a.parse::<AudienceId>().is_err() || !state.engine.has_audience(a) {
            return Err(bad(a, Text::new("expr.no_audience").arg("name", a)));
        }
    }
    for kind in events_of(&expr) {
        if EventKind::parse(kind).is_none() {
            let known: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
            let near: Vec<String> = nearest(kind, known.iter().copied()).into_iter().map(str::to_owned).collect();
            let message = Text::new("expr.unknown_event").arg("name", kind).arg("known", known.join(", "));
            return Err(bad(kind, did_you_mean(message, &near)));
        }
    }
    Ok(expr)
}

/// A value in a typed expression that matches nothing the caller may use, with the nearest that do:
/// the expression still counts (that condition selecting nobody), but the operator is told.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExprWarning {
    /// Stable: `unknown_sub_branch`, `ambiguous_sub_branch`.
    pub code: String,
    /// Where the value is written (0-based character offset).
    pub position: usize,
    /// The value as typed.
    pub value: String,
    /// In the viewer's language, filled by [`ExprWarning::in_lang`] where the viewer is known (the web).
    pub message: String,
    #[serde(skip)]
    pub text: Text,
    /// The names of the nearest sub-branches the caller may use (did you mean …?).
    pub suggestions: Vec<String>,
}

impl ExprWarning {
    /// Whether saving must be refused: a value that cannot be a code (a name, which matches none of
    /// the caller's sub-branches) would select nobody, ever. An unknown code may be saved — it is
    /// kept for a unit to come, and the organisation refuses to hand a code so named to another.
    pub fn refuses_saving(&self) -> bool {
        !self.value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    }

    /// The warning as an error, for saving: what is saved must name what the operator meant.
    pub fn into_error(self) -> ServiceError {
        let e = ParseError { position: self.position, message: self.text };
        ServiceError::BadExpression { message: e.text(), position: e.position }
    }

    /// The warning with its message in `lang`.
    #[must_use]
    pub fn in_lang(mut self, lang: siyu_domain::lang::Lang) -> Self {
        self.message = self.text.render(lang);
        self
    }
}

/// As [`compile`], for an expression an operator typed: each sub-branch, named by code (in any case)
/// or by name, is resolved among the sub-branches the caller's data scope covers and replaced by its
/// code — the canonical form that is saved and printed. One that matches none of them (another
/// branch's, a typo) is a warning with the nearest of theirs, never a silent 0.
pub async fn compile_typed(state: &AppState, caller: &Caller, text: &str) -> ServiceResult<(Expr, Vec<ExprWarning>)> {
    let mut expr = compile(state, text)?;
    if !names_sub_branch(&expr) {
        return Ok((expr, Vec::new()));
    }
    let units = state.store.org_units().await?;
    let mine = org::sub_branches_covered(&units, caller);
    let mut typed: Vec<String> = expr.sub_branch_codes().into_iter().map(str::to_owned).collect();
    typed.dedup();
    let mut warnings = Vec::new();
    for value in typed {
        if warnings.iter().any(|w: &ExprWarning| w.value == value) {
            continue;
        }
        let by_code = mine.iter().copied().find(|u| u.code.eq_ignore_ascii_case(value.trim()));
        let by_name: Vec<&OrgUnit> = mine.iter().copied().filter(|u| u.name == value.trim()).collect();
        let code = match (by_code, by_name.as_slice()) {
            (Some(u), _) | (None, &[u]) => u.code.clone(),
            (None, []) => {
                let near: Vec<String> = if value.is_ascii() {
                    let codes = nearest(&value, mine.iter().map(|u| u.code.as_str()));
                    mine.iter().filter(|u| codes.contains(&u.code.as_str())).map(|u| u.name.clone()).collect()
                } else {
                    nearest(&value, mine.iter().map(|u| u.name.as_str())).into_iter().map(str::to_owned).collect()
                };
                let message = Text::new("expr.no_sub_branch_of_yours").arg("value", &value);
                warnings.push(ExprWarning {
                    code: "unknown_sub_branch".into(),
                    position: position_of(text, &value),
                    message: String::new(),
                    text: did_you_mean(message, &near),
                    value,
                    suggestions: near,
                });
                continue;
            }
            (None, several) => {
                let codes: Vec<String> = several.iter().map(|u| u.code.clone()).collect();
                warnings.push(ExprWarning {
                    code: "ambiguous_sub_branch".into(),
                    position: position_of(text, &value),
                    message: String::new(),
                    text: Text::new("expr.ambiguous_sub_branch")
                        .arg("count", codes.len())
                        .arg("value", &value)
                        .text("codes", Text::List(codes.iter().map(|c| Text::from(c.as_str())).collect())),
                    value,
                    suggestions: codes,
                });
                continue;
            }
        };
        if code != value {
            expr.rename_sub_branch(&value, &code);
        }
    }
    Ok((expr, warnings))
}

fn events_of(e: &Expr) -> Vec<&str> {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().flat_map(events_of).collect(),
        Expr::Not(x) => events_of(x),
        Expr::Event { name, .. } => vec![name.as_str()],
        _ => Vec::new(),
    }
}

/// `expr` bound to the organisation as the store has it now, ready for the engine: a sub-branch whose
/// code just changed is found under its new code, and a freed code names only the unit holding it now.
pub async fn bind_to_org(state: &AppState, expr: &Expr) -> ServiceResult<Bound> {
    let units = if names_sub_branch(expr) { state.store.org_units().await? } else { Vec::new() };
    Ok(bind(expr, &units))
}

/// The customer numbers an engine bitmap holds, as customer ids.
pub fn ids_of(b: &RoaringBitmap) -> Vec<CustomerId> {
    b.iter().map(customer_of).collect()
}

/// Engine numbering of customer ids, for callers holding ids.
pub fn bitmap_of(ids: &[CustomerId]) -> RoaringBitmap {
    ids.iter().filter_map(|c| no(*c)).collect()
}
