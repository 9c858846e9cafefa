//! Interest tags from tracked links (issue 17 §4): a customer who opens a link sent to them shows
//! interest in what it is about, and siyu writes it down as behavioural tags the audience
//! expressions, journeys and lead rules read like any other — one for the item's category
//! (`兴趣·投教`) and one per product line of its linked products (`兴趣·理财`), all in the tag group
//! `内容兴趣`.
//!
//! The tags are made the first time an open needs them (the group too), named in Chinese like the
//! rest of the bank's tags, and looked up with the link's target, so a viral post asks the store once
//! per version and [`super::target::CACHE_FOR`], not once per open. An anonymous opener (a Moments or
//! group link, not yet matched to a customer) earns no tag: there is nobody to give it to.

use siyu_content::Category;
use siyu_domain::TagId;
use siyu_domain::lang::Lang;
use siyu_domain::product::ProductType;
use siyu_domain::tag::TagKind;
use siyu_store::{ContentItemRecord, ContentVersionRecord, NewTag, StoreError};

use crate::state::AppState;

/// The tag group interest tags live in.
pub const GROUP: &str = "内容兴趣";

/// The tag for interest in `what` (a category's or product line's words).
fn tag_name(what: &str) -> String {
    format!("兴趣·{what}")
}

/// The interest tags' names for an item of `category` linking products of `lines`: the category's,
/// then each product line's once.
pub fn names(category: Category, lines: &[ProductType]) -> Vec<String> {
    let mut out = vec![tag_name(&category.text().render(Lang::Zh))];
    for l in lines {
        let n = tag_name(&l.text().render(Lang::Zh));
        if !out.contains(&n) {
            out.push(n);
        }
    }
    out
}

/// The interest tags an open of `v` (of `item`) earns, made if they do not exist yet.
pub async fn tags_for(
    state: &AppState,
    item: &ContentItemRecord,
    v: &ContentVersionRecord,
) -> Result<Vec<TagId>, StoreError> {
    let ids: Vec<String> = v.draft.product_ids.iter().map(ToString::to_string).collect();
    let lines: Vec<ProductType> = match crate::services::content::products_of(state, &ids).await {
        Ok(found) => found.into_iter().map(|(_, p)| p.kind).collect(),
        // A product gone from the catalogue since review: the category still says something.
        Err(_) => Vec::new(),
    };
    let wanted = names(item.item.category, &lines);
    let mut out = Vec::with_capacity(wanted.len());
    for name in &wanted {
        out.push(find_or_make(state, name).await?);
    }
    Ok(out)
}

/// The behavioural tag `name` in [`GROUP`], made (with the group) when missing. Two opens making the
/// same tag at once: the loser's insert fails on the unique name and it reads the winner's.
async fn find_or_make(state: &AppState, name: &str) -> Result<TagId, StoreError> {
    let found = |tags: Vec<siyu_store::Tag>| tags.into_iter().find(|t| t.group_name == GROUP && t.name == name);
    if let Some(t) = found(state.store.tags().await?) {
        return Ok(t.id);
    }
    let now = state.clock.now();
    let group = match state.store.tag_groups().await?.into_iter().find(|g| g.name == GROUP) {
        Some(g) => g,
        None => match state.store.create_tag_group(GROUP, now).await {
            Ok(g) => g,
            Err(_) => {
                state.store.tag_groups().await?.into_iter().find(|g| g.name == GROUP).ok_or(StoreError::NotFound)?
            }
        },
    };
    let new = NewTag {
        group_id: group.id,
        name: name.to_owned(),
        kind: TagKind::Behavioural,
        sync_to_wecom: false,
        rule_text: None,
    };
    match state.store.create_tag(&new, now).await {
        Ok(t) => {
            state.engine.note_tag(t.id, &t.name, false);
            Ok(t.id)
        }
        Err(e) => found(state.store.tags().await?).map(|t| t.id).ok_or(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_earns_its_category_and_each_product_line_once() {
        let n = names(Category::InvestorEducation, &[ProductType::Wealth, ProductType::Fund, ProductType::Wealth]);
        assert_eq!(n, ["兴趣·投教", "兴趣·理财", "兴趣·基金"]);
        assert!(n.iter().all(|t| siyu_domain::tag::valid_tag_name(t)), "{n:?}");
    }
}
