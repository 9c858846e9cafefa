//! The content library: items and versions, each write with its audit entry in one transaction, and
//! every review step a compare-and-set on the version's status, so two reviewers racing cannot both
//! act (the second gets `Stale` and nothing of theirs is written, audit entry included).

#[macro_export]
macro_rules! sql_content {
    ($store:ty) => {
        const VERSION_COLS: &str = "id, item_id, number, title, body, link_url, link_desc, mini_appid, mini_page, \
             media_id, stage, channels, expires_at, status, author, created_at, changed_at, submitted_at, reviewer, \
             reviewed_at, reject_reason, override_reason, override_findings, published_at, retired_at, revision";
        const ITEM_COLS: &str = "id, kind, category, owner_unit, variant_of, created_by, created_at";

        fn content_item_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::ContentItemRecord> {
            let kind: String = get(r, "kind")?;
            let category: String = get(r, "category")?;
            Ok($crate::ContentItemRecord {
                id: dom::ContentItemId::new(get(r, "id")?),
                item: $crate::NewContentItem {
                    kind: $crate::content::ItemKind::parse(&kind).ok_or_else(|| corrupt(format!("content kind {kind}")))?,
                    category: $crate::content::Category::parse(&category)
                        .ok_or_else(|| corrupt(format!("content category {category}")))?,
                    owner_unit: get::<Option<i64>>(r, "owner_unit")?.map(dom::OrgUnitId::new),
                    variant_of: get::<Option<i64>>(r, "variant_of")?.map(dom::ContentItemId::new),
                    created_by: get::<Option<i64>>(r, "created_by")?.map(dom::StaffId::new),
                },
                created_at: ts(get(r, "created_at")?),
            })
        }

        /// A version as read, its products still to be filled in by [`content_products`].
        fn content_version_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::ContentVersionRecord> {
            let status: String = get(r, "status")?;
            let stage: Option<String> = get(r, "stage")?;
            let channels: String = get(r, "channels")?;
            let opt_ts = |c: &str| -> $crate::error::StoreResult<Option<dom::Timestamp>> {
                Ok(get::<Option<i64>>(r, c)?.map(ts))
            };
            Ok($crate::ContentVersionRecord {
                id: dom::ContentVersionId::new(get(r, "id")?),
                item_id: dom::ContentItemId::new(get(r, "item_id")?),
                number: get(r, "number")?,
                draft: $crate::ContentDraft {
                    title: get(r, "title")?,
                    body: get(r, "body")?,
                    link_url: get(r, "link_url")?,
                    link_desc: get(r, "link_desc")?,
                    mini_appid: get(r, "mini_appid")?,
                    mini_page: get(r, "mini_page")?,
                    media_id: get(r, "media_id")?,
                    stage: match stage {
                        None => None,
                        Some(s) => Some(
                            $crate::content::AidaStage::parse(&s).ok_or_else(|| corrupt(format!("content stage {s}")))?,
                        ),
                    },
                    channels: channels
                        .split(',')
                        .filter(|c| !c.is_empty())
                        .map(|c| $crate::content::Channel::parse(c).ok_or_else(|| corrupt(format!("content channel {c}"))))
                        .collect::<Result<_, _>>()?,
                    expires_at: opt_ts("expires_at")?,
                    product_ids: Vec::new(),
                },
                status: $crate::content::Status::parse(&status).ok_or_else(|| corrupt(format!("content status {status}")))?,
                author: dom::StaffId::new(get(r, "author")?),
                created_at: ts(get(r, "created_at")?),
                changed_at: ts(get(r, "changed_at")?),
                submitted_at: opt_ts("submitted_at")?,
                reviewer: get::<Option<i64>>(r, "reviewer")?.map(dom::StaffId::new),
                reviewed_at: opt_ts("reviewed_at")?,
                reject_reason: get(r, "reject_reason")?,
                override_reason: get(r, "override_reason")?,
                override_findings: get::<String>(r, "override_findings")?
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect(),
                published_at: opt_ts("published_at")?,
                retired_at: opt_ts("retired_at")?,
                revision: get(r, "revision")?,
            })
        }

        fn channel_codes(channels: &[$crate::content::Channel]) -> String {
            channels.iter().map(|c| c.code()).collect::<Vec<_>>().join(",")
        }

        /// Fills in each version's linked products, in one query per 500 versions.
        async fn content_products(
            conn: &mut DbConn,
            versions: &mut [$crate::ContentVersionRecord],
        ) -> $crate::error::StoreResult<()> {
            for chunk in versions.chunks_mut(500) {
                if chunk.is_empty() {
                    continue;
                }
                let mut qb = Qb::new("SELECT version_id, product_id FROM content_version_products WHERE version_id IN (");
                let mut sep = qb.separated(", ");
                for v in chunk.iter() {
                    sep.push_bind(v.id.get());
                }
                qb.push(") ORDER BY version_id, product_id");
                for r in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
                    let vid: i64 = get(&r, "version_id")?;
                    let pid: i64 = get(&r, "product_id")?;
                    if let Some(v) = chunk.iter_mut().find(|v| v.id.get() == vid) {
                        v.draft.product_ids.push(dom::ProductId::new(pid));
                    }
                }
            }
            Ok(())
        }

        async fn content_version_in(
            conn: &mut DbConn,
            id: dom::ContentVersionId,
        ) -> $crate::error::StoreResult<$crate::ContentVersionRecord> {
            let row = ::sqlx::query(&format!("SELECT {VERSION_COLS} FROM content_versions WHERE id = $1"))
                .bind(id.get())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db_err)?
                .ok_or($crate::StoreError::NotFound)?;
            let mut v = [content_version_from_row(&row)?];
            content_products(conn, &mut v).await?;
            let [v] = v;
            Ok(v)
        }

        async fn set_content_products(
            conn: &mut DbConn,
            version: i64,
            products: &[dom::ProductId],
        ) -> $crate::error::StoreResult<()> {
            ::sqlx::query("DELETE FROM content_version_products WHERE version_id = $1")
                .bind(version)
                .execute(&mut *conn)
                .await
                .map_err(db_err)?;
            let mut seen = ::std::collections::HashSet::new();
            for p in products.iter().filter(|p| seen.insert(p.get())) {
                ::sqlx::query("INSERT INTO content_version_products (version_id, product_id) VALUES ($1, $2)")
                    .bind(version)
                    .bind(p.get())
                    .execute(&mut *conn)
                    .await
                    .map_err(db_err)?;
            }
            Ok(())
        }

        /// Inserts version `number` of `item`, a draft, with its products.
        async fn insert_content_version(
            conn: &mut DbConn,
            item: i64,
            number: i64,
            d: &$crate::ContentDraft,
            author: dom::StaffId,
            now: dom::Timestamp,
        ) -> $crate::error::StoreResult<$crate::ContentVersionRecord> {
            let id: i64 = ::sqlx::query_scalar(
                "INSERT INTO content_versions (item_id, number, title, body, link_url, link_desc, mini_appid, mini_page, \
                 media_id, stage, channels, expires_at, status, author, created_at, changed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'draft', $13, $14, $14) RETURNING id",
            )
            .bind(item)
            .bind(number)
            .bind(&d.title)
            .bind(&d.body)
            .bind(&d.link_url)
            .bind(&d.link_desc)
            .bind(&d.mini_appid)
            .bind(&d.mini_page)
            .bind(d.media_id)
            .bind(d.stage.map(|s| s.code()))
            .bind(channel_codes(&d.channels))
            .bind(d.expires_at.map(|t| t.millis()))
            .bind(author.get())
            .bind(now.millis())
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
            set_content_products(conn, id, &d.product_ids).await?;
            content_version_in(conn, dom::ContentVersionId::new(id)).await
        }

        /// `NotFound` when the version does not exist, else `Stale`: it exists but moved on.
        async fn content_lost_race(
            conn: &mut DbConn,
            id: dom::ContentVersionId,
            wanted: &str,
        ) -> $crate::StoreError {
            match content_version_in(conn, id).await {
                Ok(v) => $crate::StoreError::Stale(format!("version {id} is {} now, not {wanted}", v.status.code())),
                Err(e) => e,
            }
        }

        #[$crate::async_trait]
        impl $crate::ContentStore for $store {
            async fn create_content_item(
                &self,
                item: &$crate::NewContentItem,
                draft: &$crate::ContentDraft,
                author: dom::StaffId,
                now: dom::Timestamp,
                audit: &dom::audit::NewAuditEntry,
            ) -> $crate::error::StoreResult<($crate::ContentItemRecord, $crate::ContentVersionRecord)> {
                let mut tx = begin_write(&self.pool).await?;
                let row = ::sqlx::query(&format!(
                    "INSERT INTO content_items (kind, category, owner_unit, variant_of, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING {ITEM_COLS}"
                ))
                .bind(item.kind.code())
                .bind(item.category.code())
                .bind(item.owner_unit.map(|u| u.get()))
                .bind(item.variant_of.map(|i| i.get()))
                .bind(item.created_by.map(|s| s.get()))
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                let record = content_item_from_row(&row)?;
                let version = insert_content_version(&mut *tx, record.id.get(), 1, draft, author, now).await?;
                insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db_err)?;
                Ok((record, version))
            }

            async fn add_content_version(
                &self,
                item: dom::ContentItemId,
                draft: &$crate::ContentDraft,
                author: dom::StaffId,
                now: dom::Timestamp,
                audit: &dom::audit::NewAuditEntry,
            ) -> $crate::error::StoreResult<$crate::ContentVersionRecord> {
                let mut tx = begin_write(&self.pool).await?;
                let exists: Option<i64> = ::sqlx::query_scalar("SELECT id FROM content_items WHERE id = $1")
                    .bind(item.get())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                if exists.is_none() {
                    return Err($crate::StoreError::NotFound);
                }
                let newest: Option<i64> =
                    ::sqlx::query_scalar("SELECT MAX(number) FROM content_versions WHERE item_id = $1")
                        .bind(item.get())
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db_err)?;
                // The UNIQUE (item_id, number) makes a racing second insert fail rather than share a number.
                let v = insert_content_version(&mut *tx, item.get(), newest.unwrap_or(0) + 1, draft, author, now)
                    .await
                    .map_err(|e| match e {
                        $crate::StoreError::Conflict(m) => $crate::StoreError::Stale(m),
                        e => e,
                    })?;
                insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(v)
            }

            async fn edit_content_draft(
                &self,
                version: dom::ContentVersionId,
                d: &$crate::ContentDraft,
                now: dom::Timestamp,
                audit: &dom::audit::NewAuditEntry,
            ) -> $crate::error::StoreResult<$crate::ContentVersionRecord> {
                let mut tx = begin_write(&self.pool).await?;
                let done = ::sqlx::query(
                    "UPDATE content_versions SET title = $1, body = $2, link_url = $3, link_desc = $4, mini_appid = $5, \
                     mini_page = $6, media_id = $7, stage = $8, channels = $9, expires_at = $10, changed_at = $11, \
                     revision = revision + 1 WHERE id = $12 AND status = 'draft'",
                )
                .bind(&d.title)
                .bind(&d.body)
                .bind(&d.link_url)
                .bind(&d.link_desc)
                .bind(&d.mini_appid)
                .bind(&d.mini_page)
                .bind(d.media_id)
                .bind(d.stage.map(|s| s.code()))
                .bind(channel_codes(&d.channels))
                .bind(d.expires_at.map(|t| t.millis()))
                .bind(now.millis())
                .bind(version.get())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                if done.rows_affected() == 0 {
                    return Err(content_lost_race(&mut *tx, version, "draft").await);
                }
                set_content_products(&mut *tx, version.get(), &d.product_ids).await?;
                let v = content_version_in(&mut *tx, version).await?;
                insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(v)
            }

            async fn step_content_version(
                &self,
                version: dom::ContentVersionId,
                step: &$crate::ReviewStep,
                audit: &dom::audit::NewAuditEntry,
            ) -> $crate::error::StoreResult<$crate::ContentVersionRecord> {
                use $crate::content::Status;
                let mut tx = begin_write(&self.pool).await?;
                let at = step.at.millis();
                let mut qb = Qb::new("UPDATE content_versions SET status = ");
                qb.push_bind(step.to.code()).push(", changed_at = ").push_bind(at).push(", revision = revision + 1");
                match step.to {
                    Status::Submitted => {
                        qb.push(", submitted_at = ").push_bind(at);
                    }
                    Status::Draft => {
                        qb.push(", submitted_at = NULL");
                    }
                    Status::Approved | Status::Rejected => {
                        qb.push(", reviewer = ").push_bind(step.by.get());
                        qb.push(", reviewed_at = ").push_bind(at);
                        qb.push(", reject_reason = ").push_bind(step.reject_reason.clone());
                        qb.push(", override_reason = ").push_bind(step.override_reason.clone());
                        qb.push(", override_findings = ").push_bind(step.override_findings.join("\n"));
                    }
                    Status::Published => {
                        qb.push(", published_at = ").push_bind(at);
                    }
                    Status::Retired => {
                        qb.push(", retired_at = ").push_bind(at);
                    }
                }
                qb.push(" WHERE id = ").push_bind(version.get());
                qb.push(" AND status = ").push_bind(step.from.code());
                if let Some(seen) = step.seen {
                    qb.push(" AND revision = ").push_bind(seen);
                }
                let done = qb.build().execute(&mut *tx).await.map_err(db_err)?;
                if done.rows_affected() == 0 {
                    return Err(content_lost_race(&mut *tx, version, step.from.code()).await);
                }
                let v = content_version_in(&mut *tx, version).await?;
                if step.to == Status::Published {
                    // One published version per item: the one before it goes out of use now.
                    ::sqlx::query(
                        "UPDATE content_versions SET status = 'retired', retired_at = $1, changed_at = $1, revision = revision + 1 \
                         WHERE item_id = $2 AND status = 'published' AND id <> $3",
                    )
                    .bind(at)
                    .bind(v.item_id.get())
                    .bind(version.get())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(v)
            }

            async fn content_item(&self, id: dom::ContentItemId) -> $crate::error::StoreResult<$crate::ContentItemRecord> {
                let row = ::sqlx::query(&format!("SELECT {ITEM_COLS} FROM content_items WHERE id = $1"))
                    .bind(id.get())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?
                    .ok_or($crate::StoreError::NotFound)?;
                content_item_from_row(&row)
            }

            async fn content_version(
                &self,
                id: dom::ContentVersionId,
            ) -> $crate::error::StoreResult<$crate::ContentVersionRecord> {
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                content_version_in(&mut conn, id).await
            }

            async fn content_versions(
                &self,
                item: dom::ContentItemId,
            ) -> $crate::error::StoreResult<Vec<$crate::ContentVersionRecord>> {
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                let rows = ::sqlx::query(&format!(
                    "SELECT {VERSION_COLS} FROM content_versions WHERE item_id = $1 ORDER BY number"
                ))
                .bind(item.get())
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?;
                let mut out: Vec<_> = rows.iter().map(content_version_from_row).collect::<Result<_, _>>()?;
                content_products(&mut conn, &mut out).await?;
                Ok(out)
            }

            async fn content_items(
                &self,
                f: &$crate::ContentFilter,
                page: $crate::Page,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::ContentItemRow>> {
                fn filters(qb: &mut Qb<'_>, f: &$crate::ContentFilter) {
                    if let Some(k) = f.kind {
                        qb.push(" AND i.kind = ").push_bind(k.code());
                    }
                    if let Some(c) = f.category {
                        qb.push(" AND i.category = ").push_bind(c.code());
                    }
                    if let Some(s) = f.stage {
                        qb.push(" AND v.stage = ").push_bind(s.code());
                    }
                    if let Some(c) = f.channel {
                        qb.push(" AND (',' || v.channels || ',') LIKE ").push_bind(format!("%,{},%", c.code()));
                    }
                    if let Some(s) = f.status {
                        qb.push(" AND v.status = ").push_bind(s.code());
                    }
                    if let Some(t) = f.sendable_at {
                        // `v` is the published version here (see `FROM` below): unexpired at `t`.
                        qb.push(" AND v.status = 'published' AND (v.expires_at IS NULL OR v.expires_at > ")
                            .push_bind(t.millis())
                            .push(")");
                    }
                    if let Some(p) = f.product {
                        qb.push(" AND EXISTS (SELECT 1 FROM content_version_products vp WHERE vp.version_id = v.id AND vp.product_id = ")
                            .push_bind(p.get())
                            .push(")");
                    }
                    if let Some(q) = f.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                        let like = format!("%{}%", q.to_lowercase());
                        qb.push(" AND (LOWER(v.title) LIKE ").push_bind(like.clone());
                        qb.push(" OR LOWER(v.body) LIKE ").push_bind(like).push(")");
                    }
                }
                // Each item with its newest version — or, asked for what may be sent, its published one
                // (one per item), so the words searched and shown are the ones a send uses.
                const NEWEST: &str = " FROM content_items i JOIN content_versions v ON v.item_id = i.id \
                     AND v.number = (SELECT MAX(number) FROM content_versions w WHERE w.item_id = i.id) WHERE 1=1";
                const LIVE: &str =
                    " FROM content_items i JOIN content_versions v ON v.item_id = i.id AND v.status = 'published' WHERE 1=1";
                let from = if f.sendable_at.is_some() { LIVE } else { NEWEST };
                let mut qb = Qb::new(format!("SELECT COUNT(*){from}"));
                filters(&mut qb, f);
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(format!(
                    "SELECT i.id AS i_id, i.kind, i.category, i.owner_unit, i.variant_of, i.created_by, \
                     i.created_at AS i_created_at, v.id AS v_id{from}"
                ));
                filters(&mut qb, f);
                qb.push(" ORDER BY v.changed_at DESC, i.id DESC LIMIT ").push_bind(page.limit);
                qb.push(" OFFSET ").push_bind(page.offset);
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                let rows = qb.build().fetch_all(&mut *conn).await.map_err(db_err)?;
                let mut items = Vec::with_capacity(rows.len());
                for r in &rows {
                    let kind: String = get(r, "kind")?;
                    let category: String = get(r, "category")?;
                    let item = $crate::ContentItemRecord {
                        id: dom::ContentItemId::new(get(r, "i_id")?),
                        item: $crate::NewContentItem {
                            kind: $crate::content::ItemKind::parse(&kind)
                                .ok_or_else(|| corrupt(format!("content kind {kind}")))?,
                            category: $crate::content::Category::parse(&category)
                                .ok_or_else(|| corrupt(format!("content category {category}")))?,
                            owner_unit: get::<Option<i64>>(r, "owner_unit")?.map(dom::OrgUnitId::new),
                            variant_of: get::<Option<i64>>(r, "variant_of")?.map(dom::ContentItemId::new),
                            created_by: get::<Option<i64>>(r, "created_by")?.map(dom::StaffId::new),
                        },
                        created_at: ts(get(r, "i_created_at")?),
                    };
                    let latest = content_version_in(&mut conn, dom::ContentVersionId::new(get(r, "v_id")?)).await?;
                    items.push($crate::ContentItemRow { item, latest });
                }
                Ok($crate::Paged { items, total })
            }

            async fn content_review_queue(
                &self,
                page: $crate::Page,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::ContentVersionRecord>> {
                let mut qb = Qb::new("SELECT COUNT(*) FROM content_versions WHERE status = 'submitted'");
                let total = count(&mut qb, &self.pool).await?;
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                let rows = ::sqlx::query(&format!(
                    "SELECT {VERSION_COLS} FROM content_versions WHERE status = 'submitted' \
                     ORDER BY submitted_at, id LIMIT $1 OFFSET $2"
                ))
                .bind(page.limit)
                .bind(page.offset)
                .fetch_all(&mut *conn)
                .await
                .map_err(db_err)?;
                let mut items: Vec<_> = rows.iter().map(content_version_from_row).collect::<Result<_, _>>()?;
                content_products(&mut conn, &mut items).await?;
                Ok($crate::Paged { items, total })
            }
        }
    };
}
