//! How a job fails: worth another attempt, or never going to succeed — with what people read of it (a
//! catalogue [`Text`], stored as the job's `last_error` and shown in the reader's language) and its
//! technical cause, kept whole for the log and for tests but never shown on a page.

use siyu_domain::lang::Text;
use siyu_store::StoreError;
use siyu_wecom::client::WecomError;

use super::import::ImportError;
use crate::error::ServiceError;

/// Why a job failed: any error, kept as it came.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// How a job body failed. Its `Display` is the technical cause (for the log); [`JobError::text`] is
/// what the jobs page and the API's job list say.
#[derive(Debug, thiserror::Error)]
#[error("{cause}")]
pub struct JobError {
    /// Worth another attempt later (the database was busy, WeCom was down, a file was briefly
    /// unreadable): retried with backoff until the kind's attempts run out. Otherwise it will never
    /// succeed (an unreadable payload, WeCom not configured) and fails now.
    retry: bool,
    cause: Cause,
    text: Text,
}

impl JobError {
    /// Worth another attempt; people read what [`people_text`] makes of the cause.
    pub fn retry(cause: impl Into<Cause>) -> Self {
        let cause = cause.into();
        Self { retry: true, text: people_text(&*cause), cause }
    }

    /// Never going to succeed; people read what [`people_text`] makes of the cause.
    pub fn permanent(cause: impl Into<Cause>) -> Self {
        let cause = cause.into();
        Self { retry: false, text: people_text(&*cause), cause }
    }

    /// The same failure, told to people as `text` (a body that knows better than the cause's type).
    #[must_use]
    pub fn saying(self, text: Text) -> Self {
        Self { text, ..self }
    }

    /// Whether another attempt may succeed.
    pub fn is_retry(&self) -> bool {
        self.retry
    }

    /// What people read of it.
    pub fn text(&self) -> &Text {
        &self.text
    }

    /// The technical cause, for the log.
    pub fn cause(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        &*self.cause
    }
}

/// What went wrong, in the bank's words, for the causes jobs fail with. A cause of no type known here
/// (a body's own sentence) is told as "see the log": its words are English and technical.
fn people_text(cause: &(dyn std::error::Error + Send + Sync + 'static)) -> Text {
    if let Some(e) = cause.downcast_ref::<StoreError>() {
        store_text(e)
    } else if let Some(e) = cause.downcast_ref::<WecomError>() {
        wecom_text(e)
    } else if let Some(e) = cause.downcast_ref::<ServiceError>() {
        service_text(e)
    } else if let Some(e) = cause.downcast_ref::<ImportError>() {
        import_text(e)
    } else if let Some(e) = cause.downcast_ref::<Unrunnable>() {
        e.text()
    } else if cause.is::<serde_json::Error>() {
        Text::new("job.bad_payload")
    } else {
        Text::new("job.failed")
    }
}

fn store_text(e: &StoreError) -> Text {
    match e {
        StoreError::NotFound => Text::new("job.record_gone"),
        StoreError::Database(_) => Text::new("job.database_busy"),
        // A constraint's name, a row that does not read: nothing a person can act on but the log.
        StoreError::Conflict(_) | StoreError::Stale(_) | StoreError::Corrupt(_) | StoreError::Migration(_) => {
            Text::new("job.failed")
        }
    }
}

fn wecom_text(e: &WecomError) -> Text {
    match e {
        WecomError::Api { errcode, .. } | WecomError::GaveUp { errcode, .. } => {
            Text::new("job.wecom_refused").arg("errcode", errcode)
        }
        WecomError::Timeout(_) | WecomError::Http(_) => Text::new("job.wecom_unreachable"),
        WecomError::Decode(_) | WecomError::Image(_) => Text::new("job.wecom_unexpected"),
    }
}

/// A service's own message is already in the catalogue; an internal error's detail, and the store's
/// own words a service passed on (a constraint's name), are not for people.
fn service_text(e: &ServiceError) -> Text {
    match e {
        ServiceError::Internal(_) => Text::new("job.failed"),
        other => match other.text() {
            Text::Pair(_) => Text::new("job.failed"),
            catalogued => catalogued,
        },
    }
}

/// Also what a failed commit's `file_error` says (`jobs::import`).
pub(crate) fn import_text(e: &ImportError) -> Text {
    match e {
        ImportError::Store(e) => store_text(e),
        ImportError::Service(e) => service_text(e),
        ImportError::Unreadable { .. } | ImportError::Unsealed { .. } => Text::new("job.file_unreadable"),
        ImportError::File(_) | ImportError::RowsBeforeFields => Text::new("job.file_changed"),
        ImportError::NotCommitting { .. } => Text::new("job.import_not_committing"),
        ImportError::Task(_) => Text::new("job.failed"),
    }
}

/// A store that fails is taken to be passing trouble (busy, restarting, a lost connection): try again.
impl From<StoreError> for JobError {
    fn from(e: StoreError) -> Self {
        Self::retry(e)
    }
}

/// So is WeCom: its client has already retried what it retries itself.
impl From<WecomError> for JobError {
    fn from(e: WecomError) -> Self {
        Self::retry(e)
    }
}

/// A service a job calls fails the way its store would.
impl From<ServiceError> for JobError {
    fn from(e: ServiceError) -> Self {
        Self::retry(e)
    }
}

/// The reason a job that may not be run again fails with (it is not a handler's error).
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unrunnable {
    #[error("no handler for job kind {0}")]
    UnknownKind(String),
    /// `last` is what people were last told (as stored), if anything was.
    #[error("gave up after {attempts} attempts; last error: {}", last.as_ref().map_or_else(String::new, Text::to_string))]
    GaveUp { attempts: i32, last: Option<Text> },
    #[error("WeCom is not configured")]
    WecomNotConfigured,
}

impl Unrunnable {
    fn text(&self) -> Text {
        match self {
            Self::UnknownKind(kind) => Text::new("job.unknown_kind").arg("kind", kind),
            Self::GaveUp { attempts, last } => Text::new("job.gave_up")
                .arg("attempts", attempts)
                .text("last", last.clone().unwrap_or_else(|| Text::new("job.worker_lost"))),
            Self::WecomNotConfigured => Text::new("wecom.not_configured"),
        }
    }
}

impl From<Unrunnable> for JobError {
    fn from(e: Unrunnable) -> Self {
        Self::permanent(e)
    }
}

#[cfg(test)]
mod tests {
    use siyu_domain::lang::Lang;

    use super::*;

    /// What a failed job says to people comes from the catalogue in one language, and never carries
    /// the cause's technical words (a WeCom message, a path, a constraint's name).
    #[test]
    fn people_read_the_bank_s_words_not_the_cause() {
        let cases: Vec<(JobError, &str)> = vec![
            (StoreError::Database("database is locked: /var/lib/siyu/siyu.db".into()).into(), "job.database_busy"),
            (WecomError::Http("connection refused".into()).into(), "job.wecom_unreachable"),
            (WecomError::Api { errcode: 40014, errmsg: "invalid access_token xyz".into() }.into(), "job.wecom_refused"),
            (Unrunnable::WecomNotConfigured.into(), "wecom.not_configured"),
            (Unrunnable::UnknownKind("x.y".into()).into(), "job.unknown_kind"),
            (Unrunnable::GaveUp { attempts: 5, last: None }.into(), "job.gave_up"),
            (JobError::permanent(serde_json::from_str::<i32>("{").unwrap_err()), "job.bad_payload"),
            (JobError::retry("the core banking feed is down"), "job.failed"),
            (ServiceError::Internal("secret detail".into()).into(), "job.failed"),
            (ServiceError::from(StoreError::Conflict("secret_unique_idx".into())).into(), "job.failed"),
        ];
        for (e, key) in cases {
            assert_eq!(e.text().key(), Some(key), "{e}");
            let shown = [e.text().render(Lang::Zh), e.text().render(Lang::En)];
            assert!(
                siyu_domain::lang::has_chinese(&shown[0]) && !siyu_domain::lang::has_chinese(&shown[1]),
                "{shown:?}"
            );
            for s in shown {
                assert!(
                    !s.contains('?') && !s.contains("secret") && !s.contains("access_token") && !s.contains("/var"),
                    "{s}"
                );
            }
        }
    }
}
