//! Expressions on their way into the engine: text checked against the names the engine knows (tags,
//! saved audiences, event kinds) with positioned errors, then bound to the organisation as the store
//! has it; and the conversions between customer ids and the engine's bitmaps.

use roaring::RoaringBitmap;
use siyu_domain::audience::{Expr, ParseError, parse};
use siyu_domain::lang::Text;
use siyu_domain::timeline::EventKind;
use siyu_domain::{AudienceId, CustomerId};

use super::{Bound, bind, customer_of, names_sub_branch, no};
use crate::error::{ServiceError, ServiceResult};
use crate::state::AppState;

/// Parses `text` and checks every name in it: tags, saved audiences and event kinds must exist. Errors
/// point at the character where the problem is.
pub fn compile(state: &AppState, text: &str) -> ServiceResult<Expr> {
    let expr = parse(text).map_err(|e| ServiceError::BadExpression { message: e.text(), position: e.position })?;
    let at = |needle: &str| text.find(&format!("\"{needle}\"")).map_or(0, |p| text[..p].chars().count());
    let bad = |needle: &str, message: Text| {
        let e = ParseError { position: at(needle), message };
        ServiceError::BadExpression { message: e.text(), position: e.position }
    };
    for t in expr.tags() {
        if !state.engine.has_tag(t) {
            return Err(bad(t, Text::new("expr.no_tag").arg("name", t)));
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
            return Err(bad(kind, Text::new("expr.unknown_event").arg("name", kind).arg("known", known.join(", "))));
        }
    }
    Ok(expr)
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
