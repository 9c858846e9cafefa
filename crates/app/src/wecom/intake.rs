//! Group commit for callbacks: requests hand their accepted event to one task that writes whatever
//! has arrived meanwhile in a single transaction, then answers each. Under load many callbacks share
//! one commit (SQLite's cost is per commit, not per row); when quiet, a batch is one callback and
//! nothing waits.

use siyu_domain::job::NewJob;
use tokio::sync::{mpsc, oneshot};

use crate::state::AppState;

/// At most this many callbacks per transaction.
const MAX_BATCH: usize = 256;

type Reply = oneshot::Sender<Result<bool, IntakeError>>;

/// Why a callback could not be committed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IntakeError {
    /// The writer task is gone (the server is shutting down).
    #[error("callback writer stopped")]
    Stopped,
    /// The store refused the batch this callback was in; every callback of it gets the same answer.
    #[error("{0}")]
    Store(std::sync::Arc<siyu_store::StoreError>),
}

/// The sending side, kept in the app state.
#[derive(Debug, Clone)]
pub struct Intake(mpsc::Sender<(String, NewJob, Reply)>);

impl Intake {
    /// Starts the writer task.
    pub(crate) fn start(state: &AppState) -> Self {
        let (tx, mut rx) = mpsc::channel::<(String, NewJob, Reply)>(4096);
        let store = state.store.clone();
        let clock = state.clock.clone();
        let wake = state.jobs_wake.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let items: Vec<(String, NewJob)> = batch.iter().map(|(k, j, _)| (k.clone(), j.clone())).collect();
                let result = store.accept_callbacks(&items, clock.now()).await.map_err(std::sync::Arc::new);
                if matches!(&result, Ok(fresh) if fresh.iter().any(|f| *f)) {
                    wake.notify_one();
                }
                for (i, (_, _, reply)) in batch.drain(..).enumerate() {
                    let r = match &result {
                        Ok(fresh) => Ok(fresh.get(i).copied().unwrap_or(false)),
                        Err(e) => Err(IntakeError::Store(e.clone())),
                    };
                    let _ = reply.send(r);
                }
            }
        });
        Self(tx)
    }

    /// Queues one callback's key and job; resolves once they are committed (`false`: seen before).
    pub(crate) async fn accept(&self, key: String, job: NewJob) -> Result<bool, IntakeError> {
        let (tx, rx) = oneshot::channel();
        self.0.send((key, job, tx)).await.map_err(|_| IntakeError::Stopped)?;
        rx.await.map_err(|_| IntakeError::Stopped)?
    }
}
