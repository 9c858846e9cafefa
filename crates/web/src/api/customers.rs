//! Customer endpoints, and the query parameters the console's customer list shares with them.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use siyu_app::records::{CustomerFilter, MAX_FILTER_SUB_BRANCHES, Paged, SegmentFilter};
use siyu_domain::customer::{Customer, PiiField};
use siyu_domain::lang::Text;
use siyu_domain::{CustomerId, OrgUnitId, StaffId};

use super::extract::{ApiJson, ApiPath, ApiQuery};
use crate::auth::extract::ApiCaller;
use crate::error::{ApiResult, ServiceError, ServiceResult};
use siyu_app::services::customers;
use siyu_app::state::AppState;

/// Filters as they arrive from a form or a URL: every field optional, blanks meaning "any"; a list
/// (`sub_branch`, `risk_grade`) is its values separated by commas.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct CustomerQuery {
    pub sub_branch: Option<String>,
    pub owner: Option<String>,
    pub segment: Option<String>,
    pub risk_grade: Option<String>,
    /// Exactly this tier.
    pub aum_tier: Option<String>,
    /// This tier and above (白金及以上).
    pub aum_tier_min: Option<String>,
    /// This tier and below.
    pub aum_tier_max: Option<String>,
    pub q: Option<String>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Longest value of one list item (an id, a grade): longer cannot be one, and is refused unread.
const MAX_ITEM_CHARS: usize = 30;

/// The comma-separated values of a list parameter, bounded in count and length before any is read.
fn items<'a>(s: Option<&'a str>, name: &str, max: usize) -> ServiceResult<Vec<&'a str>> {
    let Some(s) = s else { return Ok(Vec::new()) };
    let bad = || {
        ServiceError::invalid(
            "bad_query",
            format!(
                "参数 {name} 最多 {max} 个值，每个最多 {MAX_ITEM_CHARS} 个字符 / {name} takes at most {max} values of at most {MAX_ITEM_CHARS} characters"
            ),
        )
    };
    if s.split(',').nth(max).is_some() {
        return Err(bad());
    }
    let items: Vec<&str> = s.split(',').map(str::trim).filter(|v| !v.is_empty()).collect();
    if items.iter().any(|v| v.chars().count() > MAX_ITEM_CHARS) {
        return Err(bad());
    }
    Ok(items)
}

fn blank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl CustomerQuery {
    /// The store filter; a malformed value is an error naming the parameter, never silently ignored.
    pub fn filter(&self) -> ServiceResult<CustomerFilter> {
        let bad = |name: &str| ServiceError::invalid("bad_query", Text::new("form.bad_query").arg("name", name));
        let grade = |s: Option<&str>, name: &str| -> ServiceResult<Option<u8>> {
            s.map(|v| {
                v.trim_start_matches(['C', 'c'])
                    .parse::<u8>()
                    .ok()
                    .filter(|n| (1..=5).contains(n))
                    .ok_or_else(|| bad(name))
            })
            .transpose()
        };
        let mut sub_branch_ids = items(blank(&self.sub_branch), "sub_branch", MAX_FILTER_SUB_BRANCHES)?
            .into_iter()
            .map(|s| s.parse::<OrgUnitId>().map_err(|_| bad("sub_branch")))
            .collect::<ServiceResult<Vec<_>>>()?;
        sub_branch_ids.sort_unstable();
        sub_branch_ids.dedup();
        let mut risk_grades = items(blank(&self.risk_grade), "risk_grade", 5)?
            .into_iter()
            .map(|g| grade(Some(g), "risk_grade").map(Option::unwrap_or_default))
            .collect::<ServiceResult<Vec<u8>>>()?;
        risk_grades.sort_unstable();
        risk_grades.dedup();
        // `aum_tier` is exactly one tier: the lower and the upper bound at once.
        let exact = grade(blank(&self.aum_tier), "aum_tier")?;
        let min = grade(blank(&self.aum_tier_min), "aum_tier_min")?;
        let max = grade(blank(&self.aum_tier_max), "aum_tier_max")?;
        Ok(CustomerFilter {
            sub_branch_ids,
            owner_id: blank(&self.owner).map(|s| s.parse::<StaffId>().map_err(|_| bad("owner"))).transpose()?,
            segment: blank(&self.segment).map(|s| SegmentFilter::parse(s).ok_or_else(|| bad("segment"))).transpose()?,
            risk_grades,
            aum_tier_min: exact.max(min),
            aum_tier_max: match (exact, max) {
                (Some(e), Some(m)) => Some(e.min(m)),
                (e, m) => e.or(m),
            },
            query: blank(&self.q).map(str::to_owned),
        })
    }

    pub fn page(&self) -> siyu_app::records::Page {
        siyu_app::records::Page::numbered(self.page.unwrap_or(1), self.per_page.unwrap_or(50))
    }
}

#[utoipa::path(
    get,
    path = "/customers",
    tag = "customers",
    summary = "List customers in the caller's data scope, filtered and paged",
    responses((status = 200, description = "A page of customers, personal numbers masked", body = Paged<Customer>))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiQuery(q): ApiQuery<CustomerQuery>,
) -> ApiResult<Json<Paged<Customer>>> {
    Ok(Json(customers::list(&state, &c, &q.filter()?, q.page()).await?))
}

#[utoipa::path(
    get,
    path = "/customers/{id}",
    tag = "customers",
    summary = "One customer (personal numbers masked)",
    params(("id" = CustomerId, Path, description = "The customer")),
    responses((status = 200, description = "The customer", body = Customer))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<CustomerId>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(customers::get(&state, &c, id).await?))
}

#[utoipa::path(
    get,
    path = "/customers/by-number/{no}",
    tag = "customers",
    summary = "One customer by the bank's customer number",
    params(("no" = String, Path, description = "The bank's customer number")),
    responses((status = 200, description = "The customer", body = Customer))
)]
pub async fn by_number(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(no): ApiPath<String>,
) -> ApiResult<Json<Customer>> {
    Ok(Json(customers::by_number(&state, &c, &no).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RevealRequest {
    pub field: PiiField,
    /// Why the number is needed (at least 4 characters besides spaces); it goes into the audit log.
    #[schema(min_length = 4)]
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub field: PiiField,
    pub value: String,
}

#[utoipa::path(
    post,
    path = "/customers/{id}/reveal",
    tag = "customers",
    summary = "Show a phone or ID number in clear, with a reason (audited)",
    params(("id" = CustomerId, Path, description = "The customer")),
    request_body = RevealRequest,
    responses((status = 200, description = "The number in clear", body = Revealed))
)]
pub async fn reveal(
    State(state): State<AppState>,
    ApiCaller(c): ApiCaller,
    ApiPath(id): ApiPath<CustomerId>,
    ApiJson(r): ApiJson<RevealRequest>,
) -> ApiResult<Json<Revealed>> {
    let value = customers::reveal(&state, &c, id, r.field, &r.reason).await?;
    Ok(Json(Revealed { field: r.field, value }))
}
