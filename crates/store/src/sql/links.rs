//! Tracked links' events: a batch appended in one transaction (one multi-row insert of the events,
//! one of their timeline entries, one of the visitors they identify), and the figures read back.

#[macro_export]
macro_rules! sql_links {
    ($store:ty) => {
        fn link_event_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::LinkEvent> {
            let kind: String = get(r, "kind")?;
            Ok($crate::LinkEvent {
                event: $crate::NewLinkEvent {
                    version_id: dom::ContentVersionId::new(get(r, "version_id")?),
                    customer_id: get::<Option<i64>>(r, "customer_id")?.map(dom::CustomerId::new),
                    staff_id: dom::StaffId::new(get(r, "staff_id")?),
                    channel: get(r, "channel")?,
                    visitor: get(r, "visitor")?,
                    kind: $crate::LinkEventKind::parse(&kind).ok_or_else(|| corrupt(format!("link event kind {kind}")))?,
                    seconds: get(r, "seconds")?,
                    at: ts(get(r, "at")?),
                    interests: Vec::new(),
                },
                attributed_to: get::<Option<i64>>(r, "attributed")?.map(dom::CustomerId::new),
            })
        }

        #[$crate::async_trait]
        impl $crate::LinkStore for $store {
            async fn record_link_events(
                &self,
                events: &[$crate::NewLinkEvent],
            ) -> $crate::error::StoreResult<$crate::LinkBatchWritten> {
                if events.is_empty() {
                    return Ok(Default::default());
                }
                let opened: Vec<(dom::CustomerId, &$crate::NewLinkEvent)> = events
                    .iter()
                    .filter(|e| e.kind == $crate::LinkEventKind::Open)
                    .filter_map(|e| e.customer_id.map(|c| (c, e)))
                    .collect();
                // A visitor id is identified by the first customer's token it opens; within a batch,
                // the earliest such open.
                let mut identified: Vec<(&str, dom::CustomerId, i64)> = Vec::new();
                for (c, e) in &opened {
                    if !identified.iter().any(|(v, _, _)| *v == e.visitor) {
                        identified.push((e.visitor.as_str(), *c, e.at.millis()));
                    }
                }
                let mut tx = begin_write(&self.pool).await?;
                // The app's writer sends at most a few hundred events a batch: 8 parameters each stays
                // far inside both databases' bound on parameters.
                let mut qb = Qb::new("INSERT INTO link_events (version_id, customer_id, staff_id, channel, visitor, kind, seconds, at) ");
                qb.push_values(events, |mut b, e| {
                    b.push_bind(e.version_id.get())
                        .push_bind(e.customer_id.map(|c| c.get()))
                        .push_bind(e.staff_id.get())
                        .push_bind(e.channel.clone())
                        .push_bind(e.visitor.clone())
                        .push_bind(e.kind.as_str())
                        .push_bind(e.seconds)
                        .push_bind(e.at.millis());
                });
                qb.build().execute(&mut *tx).await.map_err(db_err)?;
                if !opened.is_empty() {
                    let mut qb = Qb::new("INSERT INTO customer_events (customer_id, kind, detail, at) ");
                    qb.push_values(&opened, |mut b, (c, e)| {
                        b.push_bind(c.get())
                            .push_bind(dom::timeline::EventKind::LinkOpened.as_str())
                            .push_bind(format!("{} {}", e.version_id, e.channel))
                            .push_bind(e.at.millis());
                    });
                    qb.build().execute(&mut *tx).await.map_err(db_err)?;
                    let mut qb = Qb::new("INSERT INTO link_visitors (visitor, customer_id, matched_at) ");
                    qb.push_values(&identified, |mut b, (v, c, at)| {
                        b.push_bind(v.to_string()).push_bind(c.get()).push_bind(*at);
                    });
                    qb.push(" ON CONFLICT (visitor) DO NOTHING");
                    qb.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                // Interest tags, one insert per tag (a batch names a few: an item's category and its
                // product lines), each new one with its timeline entry.
                let mut wanted: Vec<(dom::TagId, Vec<(i64, String)>)> = Vec::new();
                for (c, e) in &opened {
                    for t in &e.interests {
                        let at = match wanted.iter().position(|(w, _)| w == t) {
                            Some(i) => i,
                            None => {
                                wanted.push((*t, Vec::new()));
                                wanted.len() - 1
                            }
                        };
                        if !wanted[at].1.iter().any(|(w, _)| *w == c.get()) {
                            wanted[at].1.push((c.get(), format!("link:{}", e.version_id)));
                        }
                    }
                }
                let at = events.last().map(|e| e.at).unwrap_or(dom::Timestamp::from_millis(0));
                let mut tagged = Vec::with_capacity(wanted.len());
                for (tag, who) in wanted {
                    let name: Option<String> = ::sqlx::query_scalar("SELECT name FROM tags WHERE id = $1")
                        .bind(tag.get())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    // A tag deleted since the open was resolved is skipped, not an error for the batch.
                    let Some(name) = name else { continue };
                    let mut qb = Qb::new("INSERT INTO customer_tags (customer_id, tag_id, source, tagged_at) ");
                    qb.push_values(&who, |mut b, (c, source)| {
                        b.push_bind(*c).push_bind(tag.get()).push_bind(source.clone()).push_bind(at.millis());
                    });
                    qb.push(" ON CONFLICT (customer_id, tag_id) DO NOTHING RETURNING customer_id");
                    let mut added: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await.map_err(db_err)?;
                    added.sort_unstable();
                    push_events(&mut tx, &added, "tag_added", &format!("{name} (link)"), at).await?;
                    if !added.is_empty() {
                        tagged.push((tag, added.into_iter().map(dom::CustomerId::new).collect()));
                    }
                }
                tx.commit().await.map_err(db_err)?;
                Ok($crate::LinkBatchWritten { opened: opened.into_iter().map(|(c, _)| c).collect(), tagged })
            }

            async fn link_stats(&self, version: dom::ContentVersionId) -> $crate::error::StoreResult<$crate::LinkStats> {
                // SUM is cast back to an integer: PostgreSQL sums BIGINT as NUMERIC.
                let r = ::sqlx::query(
                    "SELECT \
                       CAST(COALESCE(SUM(CASE WHEN e.kind = 'open' THEN 1 ELSE 0 END), 0) AS BIGINT) AS opens, \
                       COUNT(DISTINCT CASE WHEN e.kind = 'open' THEN \
                         COALESCE('c' || CAST(COALESCE(e.customer_id, v.customer_id) AS TEXT), 'v' || e.visitor) END) AS openers, \
                       CAST(COALESCE(SUM(CASE WHEN e.kind = 'forward' THEN 1 ELSE 0 END), 0) AS BIGINT) AS forwards, \
                       CAST(COALESCE(SUM(e.seconds), 0) AS BIGINT) AS read_seconds \
                     FROM link_events e LEFT JOIN link_visitors v ON v.visitor = e.visitor \
                     WHERE e.version_id = $1",
                )
                .bind(version.get())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                let n = |col: &str| -> $crate::error::StoreResult<u64> { Ok(get::<i64>(&r, col)?.max(0) as u64) };
                Ok($crate::LinkStats {
                    opens: n("opens")?,
                    unique_openers: n("openers")?,
                    forwards: n("forwards")?,
                    read_seconds: n("read_seconds")?,
                })
            }

            async fn customer_link_events(
                &self,
                customer: dom::CustomerId,
                limit: u32,
            ) -> $crate::error::StoreResult<Vec<$crate::LinkEvent>> {
                let rows = ::sqlx::query(
                    "SELECT e.version_id, e.customer_id, e.staff_id, e.channel, e.visitor, e.kind, e.seconds, e.at, \
                       COALESCE(e.customer_id, v.customer_id) AS attributed \
                     FROM link_events e LEFT JOIN link_visitors v ON v.visitor = e.visitor \
                     WHERE e.customer_id = $1 OR (e.customer_id IS NULL AND v.customer_id = $1) \
                     ORDER BY e.id DESC LIMIT $2",
                )
                .bind(customer.get())
                .bind(i64::from(limit.min(1000)))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(link_event_from_row).collect()
            }
        }
    };
}
