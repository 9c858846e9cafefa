//! WeCom: callbacks accepted exactly once, and customer–staff relationships.

#[macro_export]
macro_rules! sql_wecom {
    ($store:ty) => {
        fn relationship_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::Relationship> {
            let status: String = get(r, "status")?;
            Ok($crate::Relationship {
                external_userid: get(r, "external_userid")?,
                staff_userid: get(r, "staff_userid")?,
                status: $crate::RelationshipStatus::parse(&status).ok_or_else(|| corrupt(format!("relationship status {status}")))?,
                state: get(r, "state")?,
                added_at: get::<Option<i64>>(r, "added_at")?.map(ts),
                ended_at: get::<Option<i64>>(r, "ended_at")?.map(ts),
                event_at: ts(get(r, "event_at")?),
            })
        }

        #[$crate::async_trait]
        impl $crate::WecomStore for $store {
            async fn accept_callbacks(&self, items: &[(String, dom::job::NewJob)], now: dom::Timestamp) -> $crate::error::StoreResult<Vec<bool>> {
                let mut tx = begin_write(&self.pool).await?;
                let mut fresh = Vec::with_capacity(items.len());
                for (key, job) in items {
                    let inserted: Option<String> = ::sqlx::query_scalar(
                        "INSERT INTO wecom_callbacks (dedupe_key, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING dedupe_key",
                    )
                    .bind(key)
                    .bind(now.millis())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    if inserted.is_some() {
                        insert_job(&mut tx, job).await?;
                    }
                    fresh.push(inserted.is_some());
                }
                tx.commit().await.map_err(db_err)?;
                Ok(fresh)
            }

            async fn purge_callbacks_before(&self, before: dom::Timestamp) -> $crate::error::StoreResult<u64> {
                let r = ::sqlx::query("DELETE FROM wecom_callbacks WHERE received_at < $1").bind(before.millis()).execute(&self.pool).await.map_err(db_err)?;
                Ok(r.rows_affected())
            }

            async fn record_relationship(&self, c: &$crate::RelationshipChange, now: dom::Timestamp) -> $crate::error::StoreResult<$crate::RelationshipWrite> {
                let active = c.status == $crate::RelationshipStatus::Active;
                let at = c.event_at.millis();
                let mut tx = begin_write(&self.pool).await?;
                let before: Option<String> =
                    ::sqlx::query_scalar("SELECT status FROM wecom_relationships WHERE external_userid = $1 AND staff_userid = $2")
                        .bind(&c.external_userid)
                        .bind(&c.staff_userid)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                // A newer event wins; an older one arriving late changes nothing. A relationship that
                // starts again keeps its original `state` unless the new add carries one. An add while
                // the relationship is active (a half add completed, an add reported twice) keeps the
                // time it started: `added_at` names the add, and a channel code moves on once per add.
                let n = ::sqlx::query(
                    "INSERT INTO wecom_relationships (external_userid, staff_userid, status, state, added_at, ended_at, event_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (external_userid, staff_userid) DO UPDATE SET \
                       status = excluded.status, \
                       state = COALESCE(excluded.state, wecom_relationships.state), \
                       added_at = CASE WHEN wecom_relationships.status = 'active' AND excluded.status = 'active' \
                         THEN wecom_relationships.added_at ELSE COALESCE(excluded.added_at, wecom_relationships.added_at) END, \
                       ended_at = excluded.ended_at, \
                       event_at = excluded.event_at, updated_at = excluded.updated_at \
                     WHERE wecom_relationships.event_at <= excluded.event_at",
                )
                .bind(&c.external_userid)
                .bind(&c.staff_userid)
                .bind(c.status.as_str())
                .bind(&c.state)
                .bind(active.then_some(at))
                .bind((!active).then_some(at))
                .bind(at)
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                // The linked customer's timeline gets the change of state (not a repeat of the same state).
                let was_active = before.as_deref() == Some($crate::RelationshipStatus::Active.as_str());
                let mut timeline = None;
                if n > 0 && was_active != active {
                    let kind = if active { "wecom_added" } else { "wecom_deleted" };
                    let id: Option<i64> = ::sqlx::query_scalar(
                        "INSERT INTO customer_events (customer_id, kind, detail, at) \
                         SELECT id, $1, $2, $3 FROM customers WHERE wecom_external_userid = $4 RETURNING customer_id",
                    )
                    .bind(kind)
                    .bind(format!("{} ({})", c.staff_userid, c.status.as_str()))
                    .bind(at)
                    .bind(&c.external_userid)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    timeline = id.map(dom::CustomerId::new);
                }
                tx.commit().await.map_err(db_err)?;
                Ok($crate::RelationshipWrite { applied: n > 0, timeline })
            }

            async fn relationships(&self, external_userid: &str) -> $crate::error::StoreResult<Vec<$crate::Relationship>> {
                let rows = ::sqlx::query(
                    "SELECT external_userid, staff_userid, status, state, added_at, ended_at, event_at FROM wecom_relationships \
                     WHERE external_userid = $1 ORDER BY staff_userid",
                )
                .bind(external_userid)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(relationship_from_row).collect()
            }
        }
    };
}
