//! Every kind of job siyu runs, in one list, and the look-up from a queue row's `kind` to its body.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;

use super::{Job, JobContext, JobError, Payload};

/// The bodies by job kind.
#[derive(Clone, Default)]
pub struct Registry(HashMap<&'static str, Arc<dyn RunsRows>>);

impl Registry {
    /// Every kind siyu ships with. A kind queued anywhere in siyu is listed here, and once shipped is
    /// never dropped: rows of it may wait in a database being upgraded.
    pub fn standard() -> Self {
        let mut r = Self::default();
        r.add(super::import::ImportValidate);
        r.add(super::import::ImportCommit);
        r.add(super::maintenance::Maintenance);
        r.add(super::refresh::RefreshAudiences);
        r.add(super::handover::HandOver);
        r.add(crate::wecom::events::ApplyCallback);
        r.add(crate::wecom::controls::ApplyChannelControls);
        r.add(crate::wecom::sync::FullSync);
        r.add(crate::wecom::tags::PushTag);
        r.add(crate::wecom::tags::MarkTag);
        r.add(crate::wecom::tags::PullTags);
        r.add(super::media::RenewWecomMedia);
        r
    }

    /// Adds the body of kind `K`.
    ///
    /// # Panics
    /// If a body for `K::NAME` is already there: two kinds may not share a name.
    pub fn add<K: Job>(&mut self, handler: K) {
        let earlier = self.0.insert(K::NAME, Arc::new(Typed(handler)));
        assert!(earlier.is_none(), "two job kinds named {}", K::NAME);
    }

    /// The kinds it runs.
    pub fn kinds(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.keys().copied()
    }

    pub(crate) fn handler(&self, kind: &str) -> Option<&dyn RunsRows> {
        self.0.get(kind).map(|h| &**h)
    }
}

type Running<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// A body that reads its own payload from the row: what the registry holds for every kind alike.
pub(crate) trait RunsRows: Send + Sync {
    fn run_row<'a>(&'a self, ctx: &'a JobContext<'a>) -> Running<'a>;
}

struct Typed<K>(K);

impl<K: Job> RunsRows for Typed<K> {
    fn run_row<'a>(&'a self, ctx: &'a JobContext<'a>) -> Running<'a> {
        Box::pin(async move {
            let payload = K::Payload::from_row(&ctx.job.payload)?;
            self.0.run(ctx, payload).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names are the queue's contract with existing databases: renaming one strands its rows.
    #[test]
    fn the_standard_kinds_keep_their_stored_names() {
        let mut kinds: Vec<_> = Registry::standard().kinds().collect();
        kinds.sort_unstable();
        assert_eq!(
            kinds,
            [
                "audiences.refresh",
                "channels.controls",
                "import.commit",
                "import.validate",
                "maintenance.cleanup",
                "media.renew",
                "staff.handover",
                "wecom.callback",
                "wecom.sync",
                "wecom.tags.mark",
                "wecom.tags.pull",
                "wecom.tags.push",
            ]
        );
    }
}
