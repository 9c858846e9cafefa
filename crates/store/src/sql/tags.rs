//! Tags, their assignment to customers, and the customer timeline.

#[macro_export]
macro_rules! sql_tags {
    ($store:ty) => {
        const TAG_COLS: &str = "t.id, t.group_id, g.name AS group_name, t.name, t.kind, t.sync_to_wecom, t.wecom_tag_id, t.rule_text";

        fn tag_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::Tag> {
            let kind: String = get(r, "kind")?;
            Ok($crate::Tag {
                id: dom::TagId::new(get(r, "id")?),
                group_id: dom::TagGroupId::new(get(r, "group_id")?),
                group_name: get(r, "group_name")?,
                name: get(r, "name")?,
                kind: dom::tag::TagKind::parse(&kind).ok_or_else(|| corrupt(format!("tag kind {kind}")))?,
                sync_to_wecom: get(r, "sync_to_wecom")?,
                wecom_tag_id: get(r, "wecom_tag_id")?,
                rule_text: get(r, "rule_text")?,
            })
        }

        /// Writes one timeline entry per customer, inside the caller's transaction.
        async fn push_events(conn: &mut DbConn, customers: &[i64], kind: &str, detail: &str, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
            for chunk in customers.chunks(1000) {
                let mut qb = Qb::new("INSERT INTO customer_events (customer_id, kind, detail, at) ");
                qb.push_values(chunk, |mut b, c| {
                    b.push_bind(*c).push_bind(kind.to_owned()).push_bind(detail.to_owned()).push_bind(now.millis());
                });
                qb.build().execute(&mut *conn).await.map_err(db_err)?;
            }
            Ok(())
        }

        #[$crate::async_trait]
        impl $crate::TagStore for $store {
            async fn create_tag_group(&self, name: &str, now: dom::Timestamp) -> $crate::error::StoreResult<$crate::TagGroup> {
                let id: i64 = ::sqlx::query_scalar("INSERT INTO tag_groups (name, created_at) VALUES ($1, $2) RETURNING id")
                    .bind(name)
                    .bind(now.millis())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok($crate::TagGroup { id: dom::TagGroupId::new(id), name: name.to_owned() })
            }

            async fn create_tag(&self, t: &$crate::NewTag, now: dom::Timestamp) -> $crate::error::StoreResult<$crate::Tag> {
                let id: i64 = ::sqlx::query_scalar(
                    "INSERT INTO tags (group_id, name, kind, sync_to_wecom, rule_text, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                )
                .bind(t.group_id.get())
                .bind(&t.name)
                .bind(t.kind.as_str())
                .bind(t.sync_to_wecom)
                .bind(&t.rule_text)
                .bind(now.millis())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                let row = ::sqlx::query(&format!("SELECT {TAG_COLS} FROM tags t JOIN tag_groups g ON g.id = t.group_id WHERE t.id = $1"))
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                tag_from_row(&row)
            }

            async fn tags(&self) -> $crate::error::StoreResult<Vec<$crate::Tag>> {
                let rows = ::sqlx::query(&format!("SELECT {TAG_COLS} FROM tags t JOIN tag_groups g ON g.id = t.group_id ORDER BY g.id, t.id"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(tag_from_row).collect()
            }

            async fn tag(&self, id: dom::TagId) -> $crate::error::StoreResult<$crate::Tag> {
                let row = ::sqlx::query(&format!("SELECT {TAG_COLS} FROM tags t JOIN tag_groups g ON g.id = t.group_id WHERE t.id = $1"))
                    .bind(id.get())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(tag_from_row).transpose()?.ok_or($crate::StoreError::NotFound)
            }

            async fn tag_groups(&self) -> $crate::error::StoreResult<Vec<$crate::TagGroup>> {
                let rows = ::sqlx::query("SELECT id, name FROM tag_groups ORDER BY id").fetch_all(&self.pool).await.map_err(db_err)?;
                rows.iter()
                    .map(|r| Ok($crate::TagGroup { id: dom::TagGroupId::new(get(r, "id")?), name: get(r, "name")? }))
                    .collect()
            }

            async fn update_tag(&self, id: dom::TagId, t: &$crate::NewTag, now: dom::Timestamp) -> $crate::error::StoreResult<$crate::Tag> {
                let n = ::sqlx::query(
                    "UPDATE tags SET group_id = $1, name = $2, sync_to_wecom = $3, rule_text = $4, updated_at = $5 WHERE id = $6",
                )
                .bind(t.group_id.get())
                .bind(&t.name)
                .bind(t.sync_to_wecom)
                .bind(&t.rule_text)
                .bind(now.millis())
                .bind(id.get())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                self.tag(id).await
            }

            async fn set_tag_wecom_id(&self, id: dom::TagId, wecom_tag_id: Option<&str>, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                ::sqlx::query("UPDATE tags SET wecom_tag_id = $1, updated_at = $2 WHERE id = $3")
                    .bind(wecom_tag_id)
                    .bind(now.millis())
                    .bind(id.get())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn tag_customers(&self, tag: dom::TagId, customers: &[dom::CustomerId], source: &str, now: dom::Timestamp) -> $crate::error::StoreResult<Vec<dom::CustomerId>> {
                let mut tx = begin_write(&self.pool).await?;
                let name: String = ::sqlx::query_scalar("SELECT name FROM tags WHERE id = $1").bind(tag.get()).fetch_one(&mut *tx).await.map_err(db_err)?;
                let mut added = Vec::new();
                for chunk in customers.chunks(1000) {
                    let mut qb = Qb::new("INSERT INTO customer_tags (customer_id, tag_id, source, tagged_at) ");
                    qb.push_values(chunk, |mut b, c| {
                        b.push_bind(c.get()).push_bind(tag.get()).push_bind(source.to_owned()).push_bind(now.millis());
                    });
                    qb.push(" ON CONFLICT (customer_id, tag_id) DO NOTHING RETURNING customer_id");
                    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await.map_err(db_err)?;
                    added.extend(ids);
                }
                push_events(&mut tx, &added, "tag_added", &format!("{name} ({source})"), now).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(added.into_iter().map(dom::CustomerId::new).collect())
            }

            async fn untag_customers(&self, tag: dom::TagId, customers: &[dom::CustomerId], now: dom::Timestamp) -> $crate::error::StoreResult<Vec<dom::CustomerId>> {
                let mut tx = begin_write(&self.pool).await?;
                let name: String = ::sqlx::query_scalar("SELECT name FROM tags WHERE id = $1").bind(tag.get()).fetch_one(&mut *tx).await.map_err(db_err)?;
                let mut removed = Vec::new();
                for chunk in customers.chunks(1000) {
                    let mut qb = Qb::new("DELETE FROM customer_tags WHERE tag_id = ");
                    qb.push_bind(tag.get()).push(" AND customer_id IN (");
                    let mut sep = qb.separated(", ");
                    for c in chunk {
                        sep.push_bind(c.get());
                    }
                    qb.push(") RETURNING customer_id");
                    let ids: Vec<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await.map_err(db_err)?;
                    removed.extend(ids);
                }
                push_events(&mut tx, &removed, "tag_removed", &name, now).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(removed.into_iter().map(dom::CustomerId::new).collect())
            }

            async fn customer_tags(&self, customer: dom::CustomerId) -> $crate::error::StoreResult<Vec<$crate::Tag>> {
                let rows = ::sqlx::query(&format!(
                    "SELECT {TAG_COLS} FROM customer_tags ct JOIN tags t ON t.id = ct.tag_id JOIN tag_groups g ON g.id = t.group_id \
                     WHERE ct.customer_id = $1 ORDER BY g.name, t.name"
                ))
                .bind(customer.get())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(tag_from_row).collect()
            }

            async fn tag_members(&self, tag: dom::TagId) -> $crate::error::StoreResult<Vec<dom::CustomerId>> {
                let ids: Vec<i64> = ::sqlx::query_scalar("SELECT customer_id FROM customer_tags WHERE tag_id = $1 ORDER BY customer_id")
                    .bind(tag.get())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(ids.into_iter().map(dom::CustomerId::new).collect())
            }

            async fn customer_events(&self, customer: dom::CustomerId, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<$crate::CustomerEvent>> {
                let total: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM customer_events WHERE customer_id = $1")
                    .bind(customer.get())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                let rows = ::sqlx::query("SELECT kind, detail, at FROM customer_events WHERE customer_id = $1 ORDER BY at DESC, id DESC LIMIT $2 OFFSET $3")
                    .bind(customer.get())
                    .bind(page.limit)
                    .bind(page.offset)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                let items = rows
                    .iter()
                    .map(|r| Ok($crate::CustomerEvent { kind: get(r, "kind")?, detail: get(r, "detail")?, at: ts(get(r, "at")?) }))
                    .collect::<$crate::error::StoreResult<_>>()?;
                Ok($crate::Paged { items, total })
            }
        }
    };
}
