//! HQ compliance's own word list for the content lint: read whole, replaced whole with its audit
//! entry in one transaction.

#[macro_export]
macro_rules! sql_compliance {
    ($store:ty) => {
        fn compliance_word_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::ComplianceWord> {
            Ok($crate::ComplianceWord {
                word: $crate::NewComplianceWord {
                    word: get(r, "word")?,
                    class: get(r, "class")?,
                    blocking: get(r, "blocking")?,
                    unless_followed_by: get(r, "unless_followed_by")?,
                },
                changed_by: get::<Option<i64>>(r, "changed_by")?.map(dom::StaffId::new),
                changed_at: ts(get(r, "changed_at")?),
            })
        }

        #[$crate::async_trait]
        impl $crate::ComplianceStore for $store {
            async fn compliance_words(&self) -> $crate::error::StoreResult<Vec<$crate::ComplianceWord>> {
                let rows = ::sqlx::query(
                    "SELECT word, class, blocking, unless_followed_by, changed_by, changed_at FROM compliance_words ORDER BY word",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(compliance_word_from_row).collect()
            }

            async fn set_compliance_words(
                &self,
                words: &[$crate::NewComplianceWord],
                by: Option<dom::StaffId>,
                now: dom::Timestamp,
                audit: &dom::audit::NewAuditEntry,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = begin_write(&self.pool).await?;
                let kept: Vec<String> = ::sqlx::query_scalar("SELECT word FROM compliance_words")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err)?;
                // One statement per word: the list holds at most a few hundred (siyu-content's MAX_WORDS).
                for gone in kept.iter().filter(|k| !words.iter().any(|w| &w.word == *k)) {
                    ::sqlx::query("DELETE FROM compliance_words WHERE word = $1")
                        .bind(gone)
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                for w in words {
                    ::sqlx::query(
                        "INSERT INTO compliance_words (word, class, blocking, unless_followed_by, changed_by, changed_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (word) DO UPDATE SET class = excluded.class, blocking = excluded.blocking, \
                         unless_followed_by = excluded.unless_followed_by, changed_by = excluded.changed_by, \
                         changed_at = excluded.changed_at \
                         WHERE compliance_words.class IS DISTINCT FROM excluded.class \
                         OR compliance_words.blocking IS DISTINCT FROM excluded.blocking \
                         OR compliance_words.unless_followed_by IS DISTINCT FROM excluded.unless_followed_by",
                    )
                    .bind(&w.word)
                    .bind(&w.class)
                    .bind(w.blocking)
                    .bind(&w.unless_followed_by)
                    .bind(by.map(|s| s.get()))
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(())
            }
        }
    };
}
