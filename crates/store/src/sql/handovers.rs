//! Hand-overs of a manager's customers, one row per customer, and the step that moves a customer to
//! their successor with the hand-over's success and writes its audit entry in the same transaction.

#[macro_export]
macro_rules! sql_handovers {
    ($store:ty) => {
        fn handover_item_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::HandoverItem> {
            let state: String = get(r, "state")?;
            let reason: Option<String> = get(r, "reason")?;
            Ok($crate::HandoverItem {
                customer_id: dom::CustomerId::new(get(r, "customer_id")?),
                to_staff_id: dom::StaffId::new(get(r, "to_staff_id")?),
                external_userid: get(r, "external_userid")?,
                state: dom::handover::HandoverState::parse(&state)
                    .ok_or_else(|| corrupt(format!("hand-over state {state}")))?,
                reason: match reason {
                    Some(r) => Some(
                        dom::handover::FailReason::parse(&r).ok_or_else(|| corrupt(format!("hand-over reason {r}")))?,
                    ),
                    None => None,
                },
                takeover_at: get::<Option<i64>>(r, "takeover_at")?.map(ts),
                updated_at: ts(get(r, "updated_at")?),
            })
        }

        #[$crate::async_trait]
        impl $crate::HandoverStore for $store {
            async fn create_handover(&self, h: &$crate::NewHandover, now: dom::Timestamp) -> $crate::error::StoreResult<dom::HandoverId> {
                let mut tx = begin_write(&self.pool).await?;
                let id: i64 = ::sqlx::query_scalar(
                    "INSERT INTO handovers (from_staff_id, resigned, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(h.from_staff_id.get())
                .bind(h.resigned)
                .bind(h.created_by.map(|s| s.get()))
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                // One statement per customer: a hand-over holds at most a few hundred.
                for item in &h.items {
                    ::sqlx::query(
                        "INSERT INTO handover_items (handover_id, customer_id, to_staff_id, external_userid, state, updated_at) \
                         VALUES ($1, $2, $3, $4, 'pending', $5)",
                    )
                    .bind(id)
                    .bind(item.customer_id.get())
                    .bind(item.to_staff_id.get())
                    .bind(&item.external_userid)
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)?;
                Ok(dom::HandoverId::new(id))
            }

            async fn handover(&self, id: dom::HandoverId) -> $crate::error::StoreResult<$crate::Handover> {
                let row = ::sqlx::query(
                    "SELECT id, from_staff_id, resigned, created_by, created_at, finished_at, ended_at FROM handovers WHERE id = $1",
                )
                .bind(id.get())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                let items = ::sqlx::query(
                    "SELECT customer_id, to_staff_id, external_userid, state, reason, takeover_at, updated_at \
                     FROM handover_items WHERE handover_id = $1 ORDER BY customer_id",
                )
                .bind(id.get())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                Ok($crate::Handover {
                    id,
                    from_staff_id: dom::StaffId::new(get(&row, "from_staff_id")?),
                    resigned: get(&row, "resigned")?,
                    created_by: get::<Option<i64>>(&row, "created_by")?.map(dom::StaffId::new),
                    created_at: ts(get(&row, "created_at")?),
                    finished_at: get::<Option<i64>>(&row, "finished_at")?.map(ts),
                    ended_at: get::<Option<i64>>(&row, "ended_at")?.map(ts),
                    items: items.iter().map(handover_item_from_row).collect::<Result<_, _>>()?,
                })
            }

            async fn list_handovers(&self, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<$crate::HandoverSummary>> {
                let total: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM handovers").fetch_one(&self.pool).await.map_err(db_err)?;
                let rows = ::sqlx::query(
                    "SELECT h.id, h.from_staff_id, h.resigned, h.created_at, h.finished_at, \
                     (SELECT COUNT(*) FROM handover_items i WHERE i.handover_id = h.id) AS customers, \
                     (SELECT COUNT(*) FROM handover_items i WHERE i.handover_id = h.id AND i.state = 'succeeded') AS succeeded, \
                     (SELECT COUNT(*) FROM handover_items i WHERE i.handover_id = h.id AND i.state = 'failed') AS failed, \
                     (SELECT COUNT(*) FROM handover_items i WHERE i.handover_id = h.id AND i.state = 'cancelled') AS cancelled \
                     FROM handovers h ORDER BY h.id DESC LIMIT $1 OFFSET $2",
                )
                .bind(page.limit)
                .bind(page.offset)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let items = rows
                    .iter()
                    .map(|r| {
                        Ok($crate::HandoverSummary {
                            id: dom::HandoverId::new(get(r, "id")?),
                            from_staff_id: dom::StaffId::new(get(r, "from_staff_id")?),
                            resigned: get(r, "resigned")?,
                            created_at: ts(get(r, "created_at")?),
                            finished_at: get::<Option<i64>>(r, "finished_at")?.map(ts),
                            customers: get(r, "customers")?,
                            succeeded: get(r, "succeeded")?,
                            failed: get(r, "failed")?,
                            cancelled: get(r, "cancelled")?,
                        })
                    })
                    .collect::<$crate::error::StoreResult<Vec<_>>>()?;
                Ok($crate::Paged { items, total })
            }

            async fn customers_in_open_handovers(&self, ids: &[dom::CustomerId]) -> $crate::error::StoreResult<Vec<dom::CustomerId>> {
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
                let mut qb = Qb::new(
                    "SELECT customer_id FROM handover_items WHERE state IN ('pending', 'requested', 'waiting') AND ",
                );
                push_one_of(&mut qb, "customer_id", &ids);
                qb.push(" ORDER BY customer_id");
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                rows.iter().map(|r| Ok(dom::CustomerId::new(get(r, "customer_id")?))).collect()
            }

            async fn step_handover(&self, id: dom::HandoverId, step: &$crate::HandoverStep, now: dom::Timestamp) -> $crate::error::StoreResult<bool> {
                let mut tx = begin_write(&self.pool).await?;
                let to: Option<i64> = ::sqlx::query_scalar(
                    "UPDATE handover_items SET state = $4, reason = $5, takeover_at = $6, updated_at = $7 \
                     WHERE handover_id = $1 AND customer_id = $2 AND state = $3 RETURNING to_staff_id",
                )
                .bind(id.get())
                .bind(step.customer_id.get())
                .bind(step.from.as_str())
                .bind(step.to.as_str())
                .bind(step.reason.map(|r| r.as_str()))
                .bind(step.takeover_at.map(|t| t.millis()))
                .bind(now.millis())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some(to) = to else { return Ok(false) };
                if step.to == dom::handover::HandoverState::Succeeded {
                    // Only from the leaver: an owner changed meanwhile (by an import, say) was a later
                    // decision of the bank's and stands.
                    let moved = ::sqlx::query(
                        "UPDATE customers SET owner_id = $2, updated_at = $3 WHERE id = $1 \
                         AND owner_id = (SELECT from_staff_id FROM handovers WHERE id = $4)",
                    )
                        .bind(step.customer_id.get())
                        .bind(to)
                        .bind(now.millis())
                        .bind(id.get())
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .rows_affected();
                    // The owner change and its audit entry commit together, or neither does.
                    if let (1.., Some(entry)) = (moved, &step.audit) {
                        insert_audit(&mut tx, entry).await?;
                    }
                }
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }

            async fn end_handover(
                &self,
                id: dom::HandoverId,
                reason: dom::handover::FailReason,
                audit: &(dyn Fn(u64, u64) -> dom::audit::NewAuditEntry + Send + Sync),
                now: dom::Timestamp,
            ) -> $crate::error::StoreResult<Option<(u64, u64)>> {
                let mut tx = begin_write(&self.pool).await?;
                let open = ::sqlx::query(
                    "UPDATE handovers SET ended_at = COALESCE(ended_at, $2) WHERE id = $1 AND finished_at IS NULL",
                )
                .bind(id.get())
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if open == 0 {
                    return Ok(None);
                }
                let cancelled = ::sqlx::query(
                    "UPDATE handover_items SET state = 'cancelled', reason = $2, updated_at = $3 \
                     WHERE handover_id = $1 AND state = 'pending'",
                )
                .bind(id.get())
                .bind(reason.as_str())
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                let left: i64 = ::sqlx::query_scalar(
                    "SELECT COUNT(*) FROM handover_items WHERE handover_id = $1 AND state IN ('requested', 'waiting')",
                )
                .bind(id.get())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                let left = u64::try_from(left).unwrap_or_default();
                insert_audit(&mut tx, &audit(cancelled, left)).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(Some((cancelled, left)))
            }

            async fn finish_handover(&self, id: dom::HandoverId, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                ::sqlx::query("UPDATE handovers SET finished_at = $2 WHERE id = $1 AND finished_at IS NULL")
                    .bind(id.get())
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }
        }
    };
}
