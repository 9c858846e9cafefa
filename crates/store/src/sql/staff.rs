//! Staff members and their credentials.

#[macro_export]
macro_rules! sql_staff {
    ($store:ty) => {
        const STAFF_COLS: &str = "s.id, s.username, s.display_name, s.role, s.org_unit_id, s.wecom_userid, s.active";

        fn staff_from_row(r: &DbRow) -> $crate::error::StoreResult<dom::org::Staff> {
            let role: String = get(r, "role")?;
            Ok(dom::org::Staff {
                id: dom::StaffId::new(get(r, "id")?),
                username: get(r, "username")?,
                display_name: get(r, "display_name")?,
                role: dom::org::Role::parse(&role).ok_or_else(|| corrupt(format!("role {role}")))?,
                org_unit_id: dom::OrgUnitId::new(get(r, "org_unit_id")?),
                wecom_userid: get(r, "wecom_userid")?,
                active: get(r, "active")?,
            })
        }

        #[$crate::async_trait]
        impl $crate::StaffStore for $store {
            async fn create_staff(&self, s: &$crate::NewStaff, now: dom::Timestamp) -> $crate::error::StoreResult<dom::org::Staff> {
                let id: i64 = ::sqlx::query_scalar(
                    "INSERT INTO staff (username, display_name, role, org_unit_id, wecom_userid, password_hash, active, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, TRUE, $7, $7) RETURNING id",
                )
                .bind(&s.username)
                .bind(&s.display_name)
                .bind(s.role.as_str())
                .bind(s.org_unit_id.get())
                .bind(&s.wecom_userid)
                .bind(&s.password_hash)
                .bind(now.millis())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                self.staff(dom::StaffId::new(id)).await
            }

            async fn update_staff(&self, id: dom::StaffId, u: &$crate::StaffUpdate, now: dom::Timestamp) -> $crate::error::StoreResult<dom::org::Staff> {
                let n = ::sqlx::query(
                    "UPDATE staff SET display_name = $2, role = $3, org_unit_id = $4, wecom_userid = $5, active = $6, updated_at = $7 WHERE id = $1",
                )
                .bind(id.get())
                .bind(&u.display_name)
                .bind(u.role.as_str())
                .bind(u.org_unit_id.get())
                .bind(&u.wecom_userid)
                .bind(u.active)
                .bind(now.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                self.staff(id).await
            }

            async fn set_password(&self, id: dom::StaffId, hash: &str, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query("UPDATE staff SET password_hash = $2, must_change_password = FALSE, updated_at = $3 WHERE id = $1")
                    .bind(id.get())
                    .bind(hash)
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                one_row(n)
            }

            async fn reset_password(&self, id: dom::StaffId, hash: &str, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let mut tx = begin_write(&self.pool).await?;
                let n = ::sqlx::query("UPDATE staff SET password_hash = $2, must_change_password = TRUE, updated_at = $3 WHERE id = $1")
                    .bind(id.get())
                    .bind(hash)
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                one_row(n)?;
                ::sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(id.get()).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(())
            }

            async fn staff(&self, id: dom::StaffId) -> $crate::error::StoreResult<dom::org::Staff> {
                let row = ::sqlx::query(&format!("SELECT {STAFF_COLS} FROM staff s WHERE s.id = $1"))
                    .bind(id.get())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                staff_from_row(&row)
            }

            async fn staff_by_ids(&self, ids: &[dom::StaffId], wecom_userids: &[String]) -> $crate::error::StoreResult<Vec<dom::org::Staff>> {
                let mut out = Vec::new();
                if !ids.is_empty() {
                    // The ids go as one parameter, however many there are.
                    let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
                    let mut qb = Qb::new(format!("SELECT {STAFF_COLS} FROM staff s WHERE "));
                    push_one_of(&mut qb, "s.id", &ids);
                    qb.push(" ORDER BY s.id");
                    for r in qb.build().fetch_all(&self.pool).await.map_err(db_err)? {
                        out.push(staff_from_row(&r)?);
                    }
                }
                // User ids are text, bound one by one: a few hundred at a time keeps each statement's
                // parameters far inside both backends' caps.
                for chunk in wecom_userids.chunks(500) {
                    let mut qb = Qb::new(format!("SELECT {STAFF_COLS} FROM staff s WHERE s.wecom_userid IN ("));
                    let mut sep = qb.separated(", ");
                    for u in chunk {
                        sep.push_bind(u.clone());
                    }
                    qb.push(") ORDER BY s.id");
                    for r in qb.build().fetch_all(&self.pool).await.map_err(db_err)? {
                        out.push(staff_from_row(&r)?);
                    }
                }
                Ok(out)
            }

            async fn staff_credentials(&self, username: &str) -> $crate::error::StoreResult<$crate::StaffCredentials> {
                let row = ::sqlx::query(&format!("SELECT {STAFF_COLS}, s.password_hash FROM staff s WHERE s.username = $1"))
                    .bind(username)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok($crate::StaffCredentials { staff: staff_from_row(&row)?, password_hash: get(&row, "password_hash")? })
            }

            async fn list_staff(&self, f: &$crate::StaffFilter, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<dom::org::Staff>> {
                fn filters(qb: &mut Qb<'_>, f: &$crate::StaffFilter, units: Option<&[i64]>) {
                    if let Some(role) = f.role {
                        qb.push(" AND s.role = ").push_bind(role.as_str());
                    }
                    if let Some(units) = units {
                        qb.push(" AND ");
                        push_one_of(qb, "s.org_unit_id", units);
                    }
                    if let Some(q) = f.query.as_deref().filter(|q| !q.is_empty()) {
                        let like = format!("%{}%", q.to_lowercase());
                        qb.push(" AND (LOWER(s.username) LIKE ").push_bind(like.clone());
                        qb.push(" OR LOWER(s.display_name) LIKE ").push_bind(like).push(")");
                    }
                }
                // The unit's subtree, walked as the customers' data scope is.
                let units = match f.org_unit_id {
                    Some(u) => Some(units_under(&self.pool, u).await?),
                    None => None,
                };
                let mut qb = Qb::new("SELECT COUNT(*) FROM staff s WHERE 1=1");
                filters(&mut qb, f, units.as_deref());
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(format!("SELECT {STAFF_COLS} FROM staff s WHERE 1=1"));
                filters(&mut qb, f, units.as_deref());
                qb.push(" ORDER BY s.id LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(staff_from_row).collect::<Result<_, _>>()?, total })
            }
        }
    };
}
