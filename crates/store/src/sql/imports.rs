//! Imports: the dry-run report and the checkpointed, exactly-once commit of good rows.

#[macro_export]
macro_rules! sql_imports {
    ($store:ty) => {
        const IMPORT_COLS: &str = "id, file_name, stored_path, mapping_json, headers_json, status, file_error, total_rows, good_rows, bad_rows, \
            rows_committed, inserted, updated, unchanged, preview_inserted, preview_updated, preview_unchanged, mapping_remembered, \
            created_by, created_at, updated_at";

        /// Problems per INSERT: 6 parameters each.
        const PROBLEM_CHUNK: usize = 1000;

        fn import_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::ImportRecord> {
            let status: String = get(r, "status")?;
            Ok($crate::ImportRecord {
                id: dom::ImportId::new(get(r, "id")?),
                file_name: get(r, "file_name")?,
                stored_path: get(r, "stored_path")?,
                mapping_json: get(r, "mapping_json")?,
                headers_json: get(r, "headers_json")?,
                status: $crate::ImportStatus::parse(&status).ok_or_else(|| corrupt(format!("import status {status}")))?,
                file_error: get(r, "file_error")?,
                total_rows: get(r, "total_rows")?,
                good_rows: get(r, "good_rows")?,
                bad_rows: get(r, "bad_rows")?,
                rows_committed: get(r, "rows_committed")?,
                counts: $crate::UpsertCounts { inserted: get(r, "inserted")?, updated: get(r, "updated")?, unchanged: get(r, "unchanged")? },
                preview: $crate::UpsertCounts {
                    inserted: get(r, "preview_inserted")?,
                    updated: get(r, "preview_updated")?,
                    unchanged: get(r, "preview_unchanged")?,
                },
                mapping_remembered: get(r, "mapping_remembered")?,
                created_by: get::<Option<i64>>(r, "created_by")?.map(dom::StaffId::new),
                created_at: ts(get(r, "created_at")?),
                updated_at: ts(get(r, "updated_at")?),
            })
        }

        #[$crate::async_trait]
        impl $crate::ImportStore for $store {
            async fn create_import(&self, i: &$crate::NewImport) -> $crate::error::StoreResult<dom::ImportId> {
                let id: i64 = ::sqlx::query_scalar(
                    "INSERT INTO imports (file_name, stored_path, mapping_json, status, total_rows, good_rows, bad_rows, rows_committed, \
                     inserted, updated, unchanged, created_by, created_at, updated_at) \
                     VALUES ($1, $2, $3, 'validating', 0, 0, 0, 0, 0, 0, 0, $4, $5, $5) RETURNING id",
                )
                .bind(&i.file_name)
                .bind(&i.stored_path)
                .bind(&i.mapping_json)
                .bind(i.created_by.map(|s| s.get()))
                .bind(i.created_at.millis())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(dom::ImportId::new(id))
            }

            async fn import(&self, id: dom::ImportId) -> $crate::error::StoreResult<$crate::ImportRecord> {
                let row = ::sqlx::query(&format!("SELECT {IMPORT_COLS} FROM imports WHERE id = $1"))
                    .bind(id.get())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                import_from_row(&row)
            }

            async fn list_imports(&self, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<$crate::ImportRecord>> {
                let total: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM imports").fetch_one(&self.pool).await.map_err(db_err)?;
                let rows = ::sqlx::query(&format!("SELECT {IMPORT_COLS} FROM imports ORDER BY id DESC LIMIT $1 OFFSET $2"))
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(import_from_row).collect::<Result<_, _>>()?, total })
            }

            async fn stale_uploads(&self, before: dom::Timestamp, limit: i64) -> $crate::error::StoreResult<Vec<$crate::ImportRecord>> {
                let rows = ::sqlx::query(&format!(
                    "SELECT {IMPORT_COLS} FROM imports WHERE status IN ('validated', 'needs_mapping', 'rejected') AND updated_at < $1 \
                     ORDER BY updated_at, id LIMIT $2"
                ))
                .bind(before.millis())
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(import_from_row).collect()
            }

            async fn record_validation(
                &self,
                id: dom::ImportId,
                v: &$crate::ImportValidation,
                problems: &[$crate::ImportProblem],
                now: dom::Timestamp,
            ) -> $crate::error::StoreResult<()> {
                let mut tx = begin_write(&self.pool).await?;
                ::sqlx::query("DELETE FROM import_problems WHERE import_id = $1").bind(id.get()).execute(&mut *tx).await.map_err(db_err)?;
                for chunk in problems.chunks(PROBLEM_CHUNK) {
                    let mut qb = Qb::new("INSERT INTO import_problems (import_id, row_no, column_name, code, message, raw_json) ");
                    qb.push_values(chunk, |mut b, p| {
                        b.push_bind(id.get()).push_bind(p.row_no).push_bind(&p.column).push_bind(&p.code).push_bind(&p.message).push_bind(&p.raw_json);
                    });
                    qb.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                let n = ::sqlx::query(
                    "UPDATE imports SET status = $2, file_error = $3, total_rows = $4, good_rows = $5, bad_rows = $6, updated_at = $7, \
                     headers_json = $8, preview_inserted = $9, preview_updated = $10, preview_unchanged = $11, \
                     mapping_remembered = $12, mapping_json = COALESCE($13, mapping_json) WHERE id = $1 AND status = 'validating'",
                )
                .bind(id.get())
                .bind(v.status.as_str())
                .bind(&v.file_error)
                .bind(v.total_rows)
                .bind(v.good_rows)
                .bind(v.bad_rows)
                .bind(now.millis())
                .bind(&v.headers_json)
                .bind(v.preview.inserted)
                .bind(v.preview.updated)
                .bind(v.preview.unchanged)
                .bind(v.remembered_mapping.is_some())
                .bind(v.remembered_mapping.as_deref())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::Stale(format!("{id} is not being validated")));
                }
                tx.commit().await.map_err(db_err)
            }

            async fn import_problems(&self, id: dom::ImportId, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<$crate::ImportProblem>> {
                let total: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM import_problems WHERE import_id = $1")
                    .bind(id.get())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                let rows = ::sqlx::query(
                    "SELECT row_no, column_name, code, message, raw_json FROM import_problems WHERE import_id = $1 \
                     ORDER BY row_no, id LIMIT $2 OFFSET $3",
                )
                .bind(id.get())
                .bind(page.limit)
                .bind(page.offset)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let items = rows
                    .iter()
                    .map(|r| {
                        Ok($crate::ImportProblem {
                            row_no: get(r, "row_no")?,
                            column: get(r, "column_name")?,
                            code: get(r, "code")?,
                            message: get(r, "message")?,
                            raw_json: get(r, "raw_json")?,
                        })
                    })
                    .collect::<$crate::error::StoreResult<_>>()?;
                Ok($crate::Paged { items, total })
            }

            async fn restart_validation(&self, id: dom::ImportId, mapping_json: &str, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query(
                    "UPDATE imports SET status = 'validating', mapping_json = $2, file_error = NULL, total_rows = 0, good_rows = 0, \
                     bad_rows = 0, preview_inserted = 0, preview_updated = 0, preview_unchanged = 0, mapping_remembered = FALSE, \
                     updated_at = $3 WHERE id = $1 AND status IN ('rejected', 'needs_mapping', 'validated')",
                )
                .bind(id.get())
                .bind(mapping_json)
                .bind(now.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 { Err($crate::StoreError::Stale(format!("{id} cannot be validated again now"))) } else { Ok(()) }
            }

            async fn remembered_mapping(&self, header_key: &str) -> $crate::error::StoreResult<Option<String>> {
                ::sqlx::query_scalar("SELECT mapping_json FROM import_mappings WHERE header_key = $1")
                    .bind(header_key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)
            }

            async fn remember_mapping(
                &self,
                header_key: &str,
                mapping_json: &str,
                by: Option<dom::StaffId>,
                now: dom::Timestamp,
            ) -> $crate::error::StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO import_mappings (header_key, mapping_json, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (header_key) DO UPDATE SET mapping_json = excluded.mapping_json, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(header_key)
                .bind(mapping_json)
                .bind(by.map(|s| s.get()))
                .bind(now.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn start_commit(&self, id: dom::ImportId, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query("UPDATE imports SET status = 'committing', updated_at = $2 WHERE id = $1 AND status = 'validated'")
                    .bind(id.get())
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 { Err($crate::StoreError::Stale(format!("{id} is not ready to commit"))) } else { Ok(()) }
            }

            async fn commit_import_batch(
                &self,
                id: dom::ImportId,
                from_row: i64,
                rows: &[$crate::NewCustomer],
                fields: &$crate::UpsertFields,
                now: dom::Timestamp,
            ) -> $crate::error::StoreResult<($crate::UpsertCounts, Vec<$crate::WrittenRow>)> {
                let mut tx = begin_write(&self.pool).await?;
                // Claim the batch first: the checkpoint moves only if it is still where this worker read
                // it, and the row lock this takes on PostgreSQL (the write lock on SQLite) holds a second
                // worker off until this transaction ends.
                let n = ::sqlx::query(
                    "UPDATE imports SET rows_committed = $3, updated_at = $4 WHERE id = $1 AND rows_committed = $2 AND status = 'committing'",
                )
                .bind(id.get())
                .bind(from_row)
                .bind(from_row + rows.len() as i64)
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::Stale(format!("{id}: checkpoint is no longer {from_row}")));
                }
                let (c, changed) = upsert_in_tx(&mut *tx, rows, fields, now).await?;
                ::sqlx::query("UPDATE imports SET inserted = inserted + $2, updated = updated + $3, unchanged = unchanged + $4 WHERE id = $1")
                    .bind(id.get())
                    .bind(c.inserted)
                    .bind(c.updated)
                    .bind(c.unchanged)
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok((c, changed))
            }

            async fn finish_import(&self, id: dom::ImportId, status: $crate::ImportStatus, error: Option<&str>, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query("UPDATE imports SET status = $2, file_error = COALESCE($3, file_error), updated_at = $4 WHERE id = $1")
                    .bind(id.get())
                    .bind(status.as_str())
                    .bind(error)
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                one_row(n)
            }

            async fn mark_import_committed(&self, id: dom::ImportId, e: &dom::audit::NewAuditEntry, now: dom::Timestamp) -> $crate::error::StoreResult<bool> {
                let mut tx = begin_write(&self.pool).await?;
                let n = ::sqlx::query("UPDATE imports SET status = 'committed', updated_at = $2 WHERE id = $1 AND status = 'committing'")
                    .bind(id.get())
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 {
                    return Ok(false);
                }
                insert_audit(&mut tx, e).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }
        }
    };
}
