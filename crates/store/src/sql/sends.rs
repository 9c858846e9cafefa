//! Sends of library items and an item's figures: sends and senders from `content_sends`, opens,
//! openers, forwards and read time from the links' events (`link_stats`), interest tags by their
//! source, days in the bank's calendar (UTC+8, as `Timestamp::bank_date`).

#[macro_export]
macro_rules! sql_sends {
    ($store:ty) => {
        /// A bank day (days since 1970-01-01 in UTC+8) from a millisecond column, in SQL both accept.
        const BANK_DAY: &str = "(at + 28800000) / 86400000";

        fn in_list(qb: &mut Qb<'_>, ids: impl Iterator<Item = i64>) {
            qb.push(" IN (");
            let mut sep = qb.separated(", ");
            let mut any = false;
            for id in ids {
                sep.push_bind(id);
                any = true;
            }
            if !any {
                // `IN ()` is not SQL: a list of none matches nothing.
                sep.push_bind(-1_i64);
            }
            qb.push(")");
        }

        #[$crate::async_trait]
        impl $crate::SendStore for $store {
            async fn record_content_send(&self, s: &$crate::NewContentSend) -> $crate::error::StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO content_sends (item_id, version_id, staff_id, customer_id, channel, at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(s.item_id.get())
                .bind(s.version_id.get())
                .bind(s.staff_id.get())
                .bind(s.customer_id.map(|c| c.get()))
                .bind(&s.channel)
                .bind(s.at.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn content_figures(
                &self,
                item: dom::ContentItemId,
                versions: &[dom::ContentVersionId],
            ) -> $crate::error::StoreResult<Vec<$crate::VersionFigures>> {
                let rows = ::sqlx::query(
                    "SELECT version_id, COUNT(*) AS sends, COUNT(DISTINCT staff_id) AS senders \
                     FROM content_sends WHERE item_id = $1 GROUP BY version_id",
                )
                .bind(item.get())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let mut out = Vec::with_capacity(versions.len());
                for v in versions {
                    let sent = rows.iter().find(|r| get::<i64>(r, "version_id").ok() == Some(v.get()));
                    let (sends, senders) = match sent {
                        Some(r) => (get::<i64>(r, "sends")?, get::<i64>(r, "senders")?),
                        None => (0, 0),
                    };
                    let tags: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM customer_tags WHERE source = $1")
                        .bind(format!("link:{v}"))
                        .fetch_one(&self.pool)
                        .await
                        .map_err(db_err)?;
                    out.push($crate::VersionFigures {
                        version_id: *v,
                        sends: sends.max(0) as u64,
                        senders: senders.max(0) as u64,
                        links: $crate::LinkStore::link_stats(self, *v).await?,
                        tags_given: tags.max(0) as u64,
                    });
                }
                Ok(out)
            }

            async fn content_days(
                &self,
                item: dom::ContentItemId,
                versions: &[dom::ContentVersionId],
                from: dom::Timestamp,
            ) -> $crate::error::StoreResult<Vec<$crate::DayFigures>> {
                let mut qb =
                    Qb::new(format!("SELECT {BANK_DAY} AS day, COUNT(*) AS n FROM content_sends WHERE item_id = "));
                qb.push_bind(item.get()).push(" AND at >= ").push_bind(from.millis());
                qb.push(" GROUP BY day");
                let sends = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                let mut qb = Qb::new(format!(
                    "SELECT {BANK_DAY} AS day, COUNT(*) AS n FROM link_events WHERE kind = 'open' AND version_id"
                ));
                in_list(&mut qb, versions.iter().map(|v| v.get()));
                qb.push(" AND at >= ").push_bind(from.millis()).push(" GROUP BY day");
                let opens = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                let mut days: Vec<$crate::DayFigures> = Vec::new();
                for (rows, is_send) in [(&sends, true), (&opens, false)] {
                    for r in rows.iter() {
                        let (day, n) = (get::<i64>(r, "day")?, get::<i64>(r, "n")?.max(0) as u64);
                        let at = match days.iter().position(|d| d.day == day) {
                            Some(i) => i,
                            None => {
                                days.push($crate::DayFigures { day, ..Default::default() });
                                days.len() - 1
                            }
                        };
                        if is_send { days[at].sends = n } else { days[at].opens = n }
                    }
                }
                days.sort_by_key(|d| d.day);
                Ok(days)
            }

            async fn content_senders(
                &self,
                item: dom::ContentItemId,
                versions: &[dom::ContentVersionId],
                staff: &[dom::StaffId],
            ) -> $crate::error::StoreResult<Vec<$crate::SenderFigures>> {
                let mut qb = Qb::new("SELECT staff_id, COUNT(*) AS n FROM content_sends WHERE item_id = ");
                qb.push_bind(item.get()).push(" AND staff_id");
                in_list(&mut qb, staff.iter().map(|s| s.get()));
                qb.push(" GROUP BY staff_id");
                let sends = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                let mut qb =
                    Qb::new("SELECT staff_id, COUNT(*) AS n FROM link_events WHERE kind = 'open' AND version_id");
                in_list(&mut qb, versions.iter().map(|v| v.get()));
                qb.push(" AND staff_id");
                in_list(&mut qb, staff.iter().map(|s| s.get()));
                qb.push(" GROUP BY staff_id");
                let opens = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                let count = |rows: &[DbRow], s: dom::StaffId| -> $crate::error::StoreResult<u64> {
                    for r in rows {
                        if get::<i64>(r, "staff_id")? == s.get() {
                            return Ok(get::<i64>(r, "n")?.max(0) as u64);
                        }
                    }
                    Ok(0)
                };
                staff
                    .iter()
                    .map(|s| {
                        Ok($crate::SenderFigures { staff_id: *s, sends: count(&sends, *s)?, opens: count(&opens, *s)? })
                    })
                    .collect()
            }
        }
    };
}
