//! Channel codes, and their daily figures counted from the relationships they produced.

#[macro_export]
macro_rules! sql_channels {
    ($store:ty) => {
        const CHANNEL_COLS: &str = "id, name, kind, sub_branch_id, assignment_json, welcome_json, tags_json, config_id, qr_code, \
            current_staff_id, active, created_at, controls_json, skip_verify";

        /// Milliseconds east of UTC of the bank's days (UTC+8).
        const BANK_OFFSET_MS: i64 = 8 * 3_600_000;

        fn channel_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::ChannelCode> {
            let kind: String = get(r, "kind")?;
            let json = |col: &str| -> $crate::error::StoreResult<String> { get(r, col) };
            Ok($crate::ChannelCode {
                id: dom::ChannelCodeId::new(get(r, "id")?),
                name: get(r, "name")?,
                kind: dom::channel::ChannelKind::parse(&kind).ok_or_else(|| corrupt(format!("channel kind {kind}")))?,
                sub_branch_id: get::<Option<i64>>(r, "sub_branch_id")?.map(dom::OrgUnitId::new),
                assignment: $crate::serde_json::from_str(&json("assignment_json")?).map_err(corrupt)?,
                welcome: $crate::serde_json::from_str(&json("welcome_json")?).map_err(corrupt)?,
                tags: $crate::serde_json::from_str(&json("tags_json")?).map_err(corrupt)?,
                config_id: get(r, "config_id")?,
                qr_code: get(r, "qr_code")?,
                current_staff_id: get::<Option<i64>>(r, "current_staff_id")?.map(dom::StaffId::new),
                active: get(r, "active")?,
                created_at: ts(get(r, "created_at")?),
                controls: $crate::serde_json::from_str(&json("controls_json")?).map_err(corrupt)?,
                skip_verify: get(r, "skip_verify")?,
            })
        }

        fn day_of(n: i64) -> ::chrono::NaiveDate {
            ::chrono::DateTime::from_timestamp(n * 86_400, 0).map(|d| d.date_naive()).unwrap_or_default()
        }

        #[$crate::async_trait]
        impl $crate::ChannelStore for $store {
            async fn create_channel_code(&self, c: &$crate::NewChannelCode) -> $crate::error::StoreResult<$crate::ChannelCode> {
                let enc = |v: $crate::serde_json::Result<String>| v.map_err(corrupt);
                let row = ::sqlx::query(&format!(
                    "INSERT INTO channel_codes (name, kind, sub_branch_id, assignment_json, welcome_json, tags_json, active, created_by, created_at, updated_at, controls_json) \
                     VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $8, $8, $9) RETURNING {CHANNEL_COLS}"
                ))
                .bind(&c.name)
                .bind(c.kind.as_str())
                .bind(c.sub_branch_id.map(|u| u.get()))
                .bind(enc($crate::serde_json::to_string(&c.assignment))?)
                .bind(enc($crate::serde_json::to_string(&c.welcome))?)
                .bind(enc($crate::serde_json::to_string(&c.tags))?)
                .bind(c.created_by.map(|s| s.get()))
                .bind(c.created_at.millis())
                .bind(enc($crate::serde_json::to_string(&c.controls))?)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                channel_from_row(&row)
            }

            async fn channel_code(&self, id: dom::ChannelCodeId) -> $crate::error::StoreResult<$crate::ChannelCode> {
                let row = ::sqlx::query(&format!("SELECT {CHANNEL_COLS} FROM channel_codes WHERE id = $1"))
                    .bind(id.get())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                channel_from_row(&row)
            }

            async fn list_channel_codes(&self, subs: Option<&[dom::OrgUnitId]>, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<$crate::ChannelCode>> {
                fn filters(qb: &mut Qb<'_>, subs: Option<&[dom::OrgUnitId]>) {
                    if let Some(subs) = subs {
                        qb.push(" AND (sub_branch_id IS NULL OR sub_branch_id IN (");
                        let mut sep = qb.separated(", ");
                        sep.push_bind(-1i64);
                        for s in subs {
                            sep.push_bind(s.get());
                        }
                        qb.push("))");
                    }
                }
                let mut qb = Qb::new("SELECT COUNT(*) FROM channel_codes WHERE 1=1");
                filters(&mut qb, subs);
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(format!("SELECT {CHANNEL_COLS} FROM channel_codes WHERE 1=1"));
                filters(&mut qb, subs);
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(channel_from_row).collect::<Result<_, _>>()?, total })
            }

            async fn set_channel_wecom(&self, id: dom::ChannelCodeId, config_id: &str, qr_code: &str, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query("UPDATE channel_codes SET config_id = $2, qr_code = $3, updated_at = $4 WHERE id = $1")
                    .bind(id.get())
                    .bind(config_id)
                    .bind(qr_code)
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                one_row(n)
            }

            async fn set_channel_staff(&self, id: dom::ChannelCodeId, staff_id: dom::StaffId, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query("UPDATE channel_codes SET current_staff_id = $2, updated_at = $3 WHERE id = $1")
                    .bind(id.get())
                    .bind(staff_id.get())
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                one_row(n)
            }

            async fn set_channel_active(&self, id: dom::ChannelCodeId, active: bool, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query("UPDATE channel_codes SET active = $2, updated_at = $3 WHERE id = $1")
                    .bind(id.get())
                    .bind(active)
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                one_row(n)
            }

            async fn channel_stats(&self, state: &str) -> $crate::error::StoreResult<Vec<$crate::DayStat>> {
                let added: Vec<(i64, i64)> = ::sqlx::query_as(
                    "SELECT (added_at + $2) / 86400000 AS d, COUNT(*) FROM wecom_relationships WHERE state = $1 AND added_at IS NOT NULL GROUP BY d",
                )
                .bind(state)
                .bind(BANK_OFFSET_MS)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let deleted: Vec<(i64, i64)> = ::sqlx::query_as(
                    "SELECT (ended_at + $2) / 86400000 AS d, COUNT(*) FROM wecom_relationships \
                     WHERE state = $1 AND ended_at IS NOT NULL AND status IN ('deleted_by_customer', 'deleted_by_staff') GROUP BY d",
                )
                .bind(state)
                .bind(BANK_OFFSET_MS)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let mut days: ::std::collections::BTreeMap<i64, (i64, i64)> = ::std::collections::BTreeMap::new();
                for (d, n) in added {
                    days.entry(d).or_default().0 += n;
                }
                for (d, n) in deleted {
                    days.entry(d).or_default().1 += n;
                }
                Ok(days.into_iter().map(|(d, (added, deleted))| $crate::DayStat { day: day_of(d), added, deleted }).collect())
            }

            async fn active_customers(&self, userids: &[String]) -> $crate::error::StoreResult<Vec<(String, i64)>> {
                if userids.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = Qb::new("SELECT staff_userid, COUNT(*) FROM wecom_relationships WHERE status = 'active' AND staff_userid IN (");
                let mut sep = qb.separated(", ");
                for u in userids {
                    sep.push_bind(u.clone());
                }
                qb.push(") GROUP BY staff_userid");
                qb.build_query_as::<(String, i64)>().fetch_all(&self.pool).await.map_err(db_err)
            }

            async fn channel_rotated(&self, id: dom::ChannelCodeId, add_key: &str) -> $crate::error::StoreResult<bool> {
                let n: i64 = ::sqlx::query_scalar("SELECT COUNT(*) FROM channel_rotations WHERE code_id = $1 AND add_key = $2")
                    .bind(id.get())
                    .bind(add_key)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(n > 0)
            }

            async fn record_rotation(&self, id: dom::ChannelCodeId, add_key: &str, from: Option<dom::StaffId>, to: dom::StaffId, now: dom::Timestamp) -> $crate::error::StoreResult<bool> {
                let mut tx = begin_write(&self.pool).await?;
                let fresh: Option<i64> = ::sqlx::query_scalar(
                    "INSERT INTO channel_rotations (code_id, add_key, staff_id, rotated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (code_id, add_key) DO NOTHING RETURNING code_id",
                )
                .bind(id.get())
                .bind(add_key)
                .bind(to.get())
                .bind(now.millis())
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                if fresh.is_none() {
                    return Ok(false);
                }
                let n = ::sqlx::query(
                    "UPDATE channel_codes SET current_staff_id = $2, updated_at = $4 WHERE id = $1 AND current_staff_id IS NOT DISTINCT FROM $3",
                )
                .bind(id.get())
                .bind(to.get())
                .bind(from.map(|s| s.get()))
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Ok(false);
                }
                tx.commit().await.map_err(db_err)?;
                Ok(true)
            }
            async fn set_channel_controls(&self, id: dom::ChannelCodeId, controls: &dom::channel_controls::ChannelControls, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let json = $crate::serde_json::to_string(controls).map_err(corrupt)?;
                let n = ::sqlx::query("UPDATE channel_codes SET controls_json = $2, updated_at = $3 WHERE id = $1")
                    .bind(id.get())
                    .bind(json)
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                one_row(n)
            }

            async fn set_channel_turn(&self, id: dom::ChannelCodeId, from: Option<dom::StaffId>, to: dom::StaffId, skip_verify: bool, now: dom::Timestamp) -> $crate::error::StoreResult<bool> {
                let n = ::sqlx::query(
                    "UPDATE channel_codes SET current_staff_id = $2, skip_verify = $4, updated_at = $5 WHERE id = $1 AND current_staff_id IS NOT DISTINCT FROM $3",
                )
                .bind(id.get())
                .bind(to.get())
                .bind(from.map(|s| s.get()))
                .bind(skip_verify)
                .bind(now.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                Ok(n > 0)
            }

            async fn channel_codes_with_controls(&self) -> $crate::error::StoreResult<Vec<$crate::ChannelCode>> {
                let rows = ::sqlx::query(&format!(
                    "SELECT {CHANNEL_COLS} FROM channel_codes WHERE active = TRUE AND controls_json <> '{{}}' AND config_id IS NOT NULL ORDER BY id"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(channel_from_row).collect()
            }

            async fn channel_adds_since(&self, state: &str, since: dom::Timestamp) -> $crate::error::StoreResult<Vec<(String, i64)>> {
                ::sqlx::query_as(
                    "SELECT staff_userid, COUNT(*) FROM wecom_relationships WHERE state = $1 AND added_at >= $2 GROUP BY staff_userid",
                )
                .bind(state)
                .bind(since.millis())
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)
            }

            async fn channel_figures(&self, states: &[String], since: dom::Timestamp) -> $crate::error::StoreResult<Vec<$crate::ChannelFigures>> {
                if states.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = Qb::new("SELECT state, SUM(CASE WHEN added_at >= ");
                qb.push_bind(since.millis());
                qb.push(" THEN 1 ELSE 0 END) AS today, COUNT(*) AS total FROM wecom_relationships WHERE added_at IS NOT NULL AND state IN (");
                let mut sep = qb.separated(", ");
                for s in states {
                    sep.push_bind(s.clone());
                }
                qb.push(") GROUP BY state");
                let rows: Vec<(String, i64, i64)> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok(rows.into_iter().map(|(state, today, total)| $crate::ChannelFigures { state, today, total }).collect())
            }

            async fn channel_contacts(&self, state: &str, staff: Option<&[String]>, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<$crate::ChannelContact>> {
                fn filters<'a>(qb: &mut Qb<'a>, state: &'a str, staff: Option<&'a [String]>) {
                    qb.push(" WHERE r.added_at IS NOT NULL AND r.state = ").push_bind(state);
                    if let Some(staff) = staff {
                        qb.push(" AND r.staff_userid IN (");
                        let mut sep = qb.separated(", ");
                        sep.push_bind("");
                        for s in staff {
                            sep.push_bind(s.as_str());
                        }
                        qb.push(")");
                    }
                }
                let mut qb = Qb::new("SELECT COUNT(*) FROM wecom_relationships r");
                filters(&mut qb, state, staff);
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(
                    "SELECT r.external_userid, r.staff_userid, r.status, r.added_at, c.id AS customer_id FROM wecom_relationships r \
                     LEFT JOIN customers c ON c.wecom_external_userid = r.external_userid",
                );
                filters(&mut qb, state, staff);
                qb.push(" ORDER BY r.added_at DESC, r.external_userid LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                let items = rows
                    .iter()
                    .map(|r| {
                        let status: String = get(r, "status")?;
                        Ok($crate::ChannelContact {
                            external_userid: get(r, "external_userid")?,
                            staff_userid: get(r, "staff_userid")?,
                            status: $crate::RelationshipStatus::parse(&status).ok_or_else(|| corrupt(format!("relationship status {status}")))?,
                            added_at: get::<Option<i64>>(r, "added_at")?.map(ts),
                            customer_id: get::<Option<i64>>(r, "customer_id")?.map(dom::CustomerId::new),
                        })
                    })
                    .collect::<$crate::error::StoreResult<_>>()?;
                Ok($crate::Paged { items, total })
            }

            async fn channel_qr_image(&self, id: dom::ChannelCodeId) -> $crate::error::StoreResult<Option<$crate::QrImage>> {
                let row: Option<(String, String, Vec<u8>, i64)> = ::sqlx::query_as(
                    "SELECT qr_code, content_type, image, fetched_at FROM channel_qr_images WHERE code_id = $1",
                )
                .bind(id.get())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(row.map(|(qr_code, content_type, bytes, at)| $crate::QrImage { qr_code, content_type, bytes, fetched_at: ts(at) }))
            }

            async fn save_channel_qr_image(&self, id: dom::ChannelCodeId, image: &$crate::QrImage) -> $crate::error::StoreResult<()> {
                ::sqlx::query(
                    "INSERT INTO channel_qr_images (code_id, qr_code, content_type, image, fetched_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (code_id) DO UPDATE SET qr_code = excluded.qr_code, content_type = excluded.content_type, \
                     image = excluded.image, fetched_at = excluded.fetched_at",
                )
                .bind(id.get())
                .bind(&image.qr_code)
                .bind(&image.content_type)
                .bind(&image.bytes)
                .bind(image.fetched_at.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
                Ok(())
            }
        }
    };
}
