//! The job queue as staff see it: what ran, what waits, what failed and why.

use siyu_domain::job::Job;
use siyu_domain::scope::Permission;
use siyu_store::{JobFilter, Page, Paged};

use crate::caller::Caller;
use crate::error::ServiceResult;
use crate::state::AppState;

/// One page of jobs, newest first; only for callers who may read the queue.
pub async fn list(state: &AppState, caller: &Caller, filter: &JobFilter, page: Page) -> ServiceResult<Paged<Job>> {
    caller.require(Permission::ReadJobs)?;
    Ok(state.store.list_jobs(filter, page).await?)
}
