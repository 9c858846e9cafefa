//! The compliance word list page: the lint's default rules, HQ compliance's own list with who changed
//! each word, and a "try the lint" box. Changes and checks go through the JSON API
//! (`/api/v1/compliance/rules`, `/api/v1/content/lint`) from `static/compliance.js`.

use askama::Template;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use siyu_app::services::content_lint::{self, RuleWord};
use siyu_app::state::AppState;
use siyu_domain::scope::Permission;

use super::{PageCtx, error_page, render, show_time};
use crate::auth::extract::ConsoleUser;

/// One word as the page shows it.
pub struct WordRow {
    pub word: String,
    pub class: String,
    pub class_name: &'static str,
    pub blocking: bool,
    pub effect: &'static str,
    pub unless: String,
    pub changed: String,
}

#[derive(Template)]
#[template(path = "compliance/rules.html")]
struct RulesPage {
    ctx: PageCtx,
    listed: Vec<WordRow>,
    defaults: Vec<WordRow>,
    classes: Vec<(&'static str, &'static str)>,
}

pub async fn page(State(state): State<AppState>, user: ConsoleUser, headers: HeaderMap) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/compliance/rules");
    if let Err(e) = user.0.require(Permission::ManageComplianceRules) {
        return error_page(ctx, e);
    }
    let rules = match content_lint::rules(&state, &user.0).await {
        Ok(r) => r,
        Err(e) => return error_page(ctx, e),
    };
    let tr = ctx.tr;
    let row = |w: &RuleWord, changed: String| WordRow {
        word: w.word.clone(),
        class: w.class.clone(),
        class_name: tr.t(&format!("compliance.class.{}", w.class)),
        blocking: w.blocking,
        effect: if w.blocking { tr.t("compliance.blocking") } else { tr.t("compliance.warning") },
        unless: w.unless_followed_by.clone(),
        changed,
    };
    let listed = rules
        .listed
        .iter()
        .map(|l| {
            let who = l.changed_by_login.clone().unwrap_or_else(|| "—".into());
            row(&l.word, format!("{who} · {}", show_time(l.changed_at)))
        })
        .collect();
    let defaults = rules.defaults.iter().map(|w| row(w, String::new())).collect();
    let classes = ["listed", "guaranteed", "superlative"]
        .into_iter()
        .map(|c| (c, tr.t(&format!("compliance.class.{c}"))))
        .collect();
    render(&RulesPage { ctx, listed, defaults, classes })
}
