//! Readiness: whether the database answers, for a balancer's probe (which carries no credentials).

use crate::state::AppState;

/// `Ok(backend)` when the store answers; the error is logged here and never shown to the prober.
pub async fn ready(state: &AppState) -> Result<&'static str, ()> {
    match state.store.ping().await {
        Ok(()) => Ok(state.store.backend()),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            Err(())
        }
    }
}

/// The metrics in Prometheus' text format, for a caller who may read them.
pub fn metrics(state: &AppState, caller: &crate::caller::Caller) -> crate::error::ServiceResult<String> {
    caller.require(siyu_domain::scope::Permission::ReadMetrics)?;
    Ok(state.metrics.render())
}
