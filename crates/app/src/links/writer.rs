//! Group commit for tracked links' events: each open, read or forward is handed to one writer task
//! through a bounded queue; the task writes whatever has arrived meanwhile as one transaction (one
//! multi-row insert of the events, with their timeline entries) and only then answers each.
//!
//! The guarantee: a request is answered OK only after the transaction holding its event committed, so
//! an answered open is never lost (on SQLite, as durable as `synchronous = NORMAL` in WAL makes any
//! commit: a power cut may lose the last commits, never half of one). When the queue is full the
//! event is refused at once ([`WriteError::Full`], a 503 for the web) rather than dropped silently or
//! left waiting without bound; when the store refuses a batch, every event of it is answered with the
//! same error, and nothing of it is stored.

use std::sync::Arc;

use siyu_domain::timeline::EventKind;
use siyu_store::{NewLinkEvent, StoreError};
use tokio::sync::{mpsc, oneshot};

use crate::state::AppState;

/// At most this many events per transaction: 8 parameters each, far inside either database's bound.
const MAX_BATCH: usize = 1024;

/// Events waiting at most; past this the open is answered "busy" rather than queued.
const QUEUE: usize = 16_384;

type Reply = oneshot::Sender<Result<(), WriteError>>;

/// Why an event was not recorded.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WriteError {
    /// More events are waiting than the queue holds.
    #[error("link event queue is full")]
    Full,
    /// The writer task is gone (the server is shutting down).
    #[error("link writer stopped")]
    Stopped,
    /// The store refused the batch this event was in.
    #[error("{0}")]
    Store(Arc<StoreError>),
}

/// The sending side, kept in the app state (started on first use, inside the runtime).
#[derive(Debug, Clone)]
pub struct LinkWriter(mpsc::Sender<(NewLinkEvent, Reply)>);

impl LinkWriter {
    /// Starts the writer task over the state's store, telling the audience engine of every
    /// `link_opened` entry and interest tag once it is committed. A batch that gives tags holds the
    /// state's `tag_writes` across its write and the engine's update, as every tag change does, so the
    /// store and the engine never see two changes of one customer's tags in different orders.
    pub(crate) fn start(state: &AppState) -> Self {
        let (tx, mut rx) = mpsc::channel::<(NewLinkEvent, Reply)>(QUEUE);
        let state = state.clone();
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            let mut events = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                events.clear();
                events.extend(batch.iter().map(|(e, _): &(NewLinkEvent, Reply)| e.clone()));
                let tags = events.iter().any(|e| !e.interests.is_empty());
                let guard = if tags { Some(state.tag_writes.lock().await) } else { None };
                let result = state.store.record_link_events(&events).await.map_err(Arc::new);
                match &result {
                    Ok(written) => {
                        if let Some(at) = events.last().map(|e| e.at) {
                            state.engine.note_events(&written.opened, EventKind::LinkOpened, at);
                            for (tag, customers) in &written.tagged {
                                state.engine.note_tagged(*tag, customers, true, at);
                            }
                        }
                        drop(guard);
                        // Rule tags and audiences built on interest tags follow shortly.
                        if !written.tagged.is_empty() {
                            crate::jobs::refresh::soon(&state).await;
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, events = events.len(), "could not record a batch of link events")
                    }
                }
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(result.as_ref().map(|_| ()).map_err(|e| WriteError::Store(e.clone())));
                }
            }
        });
        Self(tx)
    }

    /// Queues one event; resolves once it is committed. Refused at once when the queue is full.
    pub(crate) async fn record(&self, event: NewLinkEvent) -> Result<(), WriteError> {
        let (tx, rx) = oneshot::channel();
        self.0.try_send((event, tx)).map_err(|e| match e {
            mpsc::error::TrySendError::Full(_) => WriteError::Full,
            mpsc::error::TrySendError::Closed(_) => WriteError::Stopped,
        })?;
        rx.await.map_err(|_| WriteError::Stopped)?
    }
}
