//! The console's script library (话术, issue 17 §5): a customer manager finds the words for a
//! scenario or a product, reads them with their own name and sub-branch filled in, and copies them
//! with one click (each copy counted as their use). Mobile first: managers use it on their phones
//! beside the WeCom chat.

use askama::Template;
use axum::extract::{Query, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use siyu_app::services::{content, scripts};
use siyu_app::state::AppState;
use siyu_content::{AidaStage, Category};

use super::content::{Choice, choices};
use super::{PageCtx, Pager, error_page, query_without_page, render};
use crate::api::Paging;
use crate::api::content::ScriptsQuery;
use crate::auth::extract::ConsoleUser;

/// One script as a card.
pub struct Card {
    pub item: String,
    pub title: String,
    pub scenario: String,
    pub products: String,
    pub text: String,
    pub uses: u64,
}

/// A product to filter by.
pub struct ProductOpt {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "content/scripts.html")]
struct ScriptsPage {
    ctx: PageCtx,
    cards: Vec<Card>,
    categories: Vec<Choice>,
    stages: Vec<Choice>,
    products: Vec<ProductOpt>,
    q: String,
    pager: Pager,
}

pub async fn page(
    State(state): State<AppState>,
    user: ConsoleUser,
    headers: HeaderMap,
    Query(f): Query<ScriptsQuery>,
    Query(p): Query<Paging>,
    RawQuery(raw): RawQuery,
) -> Response {
    let ctx = PageCtx::new(&user, &headers, "/content/scripts");
    let page = p.page();
    let found = match scripts::search(&state, &user.0, &f.query(), page).await {
        Ok(s) => s,
        Err(e) => return error_page(ctx, e),
    };
    let tr = ctx.tr;
    let cards = found
        .items
        .iter()
        .map(|s| Card {
            item: s.item_id.to_string(),
            title: s.title.clone(),
            scenario: match s.stage {
                Some(st) => format!("{} · {}", tr.say(&s.category.text()), tr.say(&st.text())),
                None => tr.say(&s.category.text()),
            },
            products: s.products.join("、"),
            text: s.text.clone(),
            uses: s.my_uses,
        })
        .collect();
    let one = |v: &Option<String>| v.clone().unwrap_or_default();
    let (c, st, pr) = (one(&f.category), one(&f.stage), one(&f.product));
    let products = content::product_choices(&state, &user.0)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| ProductOpt { selected: p.id.to_string() == pr, id: p.id.to_string(), name: p.product.name })
        .collect();
    render(&ScriptsPage {
        cards,
        categories: choices(Category::ALL, Category::code, |v| tr.say(&v.text()), &[&c]),
        stages: choices(AidaStage::ALL, AidaStage::code, |v| tr.say(&v.text()), &[&st]),
        products,
        q: one(&f.q),
        pager: Pager::new("/content/scripts", &query_without_page(raw.as_deref()), page, found.total),
        ctx,
    })
}
