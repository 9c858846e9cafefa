//! The content library's images and files: stored once per SHA-256 with the upload's audit entry,
//! read with or without their bytes, listed by kind; and their current copies on WeCom, found by
//! how soon they expire.

#[macro_export]
macro_rules! sql_media {
    ($store:ty) => {
        const MEDIA_COLS: &str = "id, sha256, content_type, kind, size, file_name, uploaded_by, uploaded_at";

        fn media_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::MediaRecord> {
            let kind: String = get(r, "kind")?;
            Ok($crate::MediaRecord {
                id: dom::MediaId::new(get(r, "id")?),
                sha256: get(r, "sha256")?,
                content_type: get(r, "content_type")?,
                kind: dom::media::MediaKind::from_code(&kind).ok_or_else(|| corrupt(format!("media kind {kind}")))?,
                size: get(r, "size")?,
                file_name: get(r, "file_name")?,
                uploaded_by: get::<Option<i64>>(r, "uploaded_by")?.map(dom::StaffId::new),
                uploaded_at: ts(get(r, "uploaded_at")?),
            })
        }

        fn wecom_media_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::WecomMedia> {
            Ok($crate::WecomMedia {
                media: dom::MediaId::new(get(r, "media_id")?),
                wecom_media_id: get(r, "wecom_media_id")?,
                uploaded_at: ts(get(r, "uploaded_at")?),
                expires_at: ts(get(r, "expires_at")?),
            })
        }

        #[$crate::async_trait]
        impl $crate::MediaStore for $store {
            async fn store_media(
                &self,
                m: &$crate::NewMedia,
                by: Option<dom::StaffId>,
                now: dom::Timestamp,
                audit: &dom::audit::NewAuditEntry,
            ) -> $crate::error::StoreResult<($crate::MediaRecord, bool)> {
                let mut tx = begin_write(&self.pool).await?;
                // The same bytes twice keep the first upload's row (and its name and uploader).
                let added = ::sqlx::query(
                    "INSERT INTO media (sha256, content_type, kind, size, bytes, file_name, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (sha256) DO NOTHING",
                )
                .bind(&m.sha256)
                .bind(&m.content_type)
                .bind(m.kind.code())
                .bind(i64::try_from(m.bytes.len()).unwrap_or(i64::MAX))
                .bind(&m.bytes)
                .bind(&m.file_name)
                .bind(by.map(|s| s.get()))
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected()
                    == 1;
                let row = ::sqlx::query(&format!("SELECT {MEDIA_COLS} FROM media WHERE sha256 = $1"))
                    .bind(&m.sha256)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let rec = media_from_row(&row)?;
                let mut audit = audit.clone();
                audit.target = rec.id.to_string();
                insert_audit(&mut *tx, &audit).await?;
                tx.commit().await.map_err(db_err)?;
                Ok((rec, added))
            }

            async fn media(&self, id: dom::MediaId) -> $crate::error::StoreResult<Option<$crate::MediaRecord>> {
                ::sqlx::query(&format!("SELECT {MEDIA_COLS} FROM media WHERE id = $1"))
                    .bind(id.get())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?
                    .as_ref()
                    .map(media_from_row)
                    .transpose()
            }

            async fn media_bytes(
                &self,
                id: dom::MediaId,
            ) -> $crate::error::StoreResult<Option<($crate::MediaRecord, Vec<u8>)>> {
                let Some(r) = ::sqlx::query(&format!("SELECT {MEDIA_COLS}, bytes FROM media WHERE id = $1"))
                    .bind(id.get())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?
                else {
                    return Ok(None);
                };
                Ok(Some((media_from_row(&r)?, get(&r, "bytes")?)))
            }

            async fn media_list(
                &self,
                kind: Option<dom::media::MediaKind>,
                page: $crate::Page,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::MediaRecord>> {
                let mut qb = Qb::new("SELECT COUNT(*) FROM media WHERE 1=1");
                if let Some(k) = kind {
                    qb.push(" AND kind = ").push_bind(k.code());
                }
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(format!("SELECT {MEDIA_COLS} FROM media WHERE 1=1"));
                if let Some(k) = kind {
                    qb.push(" AND kind = ").push_bind(k.code());
                }
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(media_from_row).collect::<Result<_, _>>()?, total })
            }

            async fn set_wecom_media(&self, c: &$crate::WecomMedia) -> $crate::error::StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO wecom_media (media_id, wecom_media_id, uploaded_at, expires_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (media_id) DO UPDATE SET wecom_media_id = excluded.wecom_media_id, \
                     uploaded_at = excluded.uploaded_at, expires_at = excluded.expires_at",
                )
                .bind(c.media.get())
                .bind(&c.wecom_media_id)
                .bind(c.uploaded_at.millis())
                .bind(c.expires_at.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }

            async fn wecom_media(&self, id: dom::MediaId) -> $crate::error::StoreResult<Option<$crate::WecomMedia>> {
                ::sqlx::query(
                    "SELECT media_id, wecom_media_id, uploaded_at, expires_at FROM wecom_media WHERE media_id = $1",
                )
                .bind(id.get())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?
                .as_ref()
                .map(wecom_media_from_row)
                .transpose()
            }

            async fn wecom_media_expiring(
                &self,
                before: dom::Timestamp,
                limit: i64,
            ) -> $crate::error::StoreResult<Vec<$crate::WecomMedia>> {
                let rows = ::sqlx::query(
                    "SELECT media_id, wecom_media_id, uploaded_at, expires_at FROM wecom_media \
                     WHERE expires_at < $1 ORDER BY expires_at, media_id LIMIT $2",
                )
                .bind(before.millis())
                .bind(limit.clamp(1, $crate::Page::MAX_LIMIT))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(wecom_media_from_row).collect()
            }
        }
    };
}
