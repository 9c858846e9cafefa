//! Organisation units: head office, branches and sub-branches.

#[macro_export]
macro_rules! sql_org {
    ($store:ty) => {
        fn org_unit_from_row(r: &DbRow) -> $crate::error::StoreResult<dom::org::OrgUnit> {
            let kind: String = get(r, "kind")?;
            let lat: Option<f64> = get(r, "lat")?;
            let lng: Option<f64> = get(r, "lng")?;
            Ok(dom::org::OrgUnit {
                id: dom::OrgUnitId::new(get(r, "id")?),
                kind: dom::org::OrgUnitKind::parse(&kind).ok_or_else(|| corrupt(format!("org unit kind {kind}")))?,
                parent_id: get::<Option<i64>>(r, "parent_id")?.map(dom::OrgUnitId::new),
                code: get(r, "code")?,
                name: get(r, "name")?,
                location: lat.zip(lng).map(|(lat, lng)| dom::org::GeoPoint { lat, lng }),
            })
        }

        /// Saved audiences (`audiences` rows) and rule tags (`tags` rows), each read as `id, name, expr`.
        fn saved_expressions(audiences: &[DbRow], tags: &[DbRow]) -> $crate::error::StoreResult<Vec<$crate::expressions::SavedExpression>> {
            let one = |r: &DbRow, audience: bool| -> $crate::error::StoreResult<$crate::expressions::SavedExpression> {
                Ok($crate::expressions::SavedExpression { audience, id: get(r, "id")?, name: get(r, "name")?, text: get(r, "expr")? })
            };
            audiences.iter().map(|r| one(r, true)).chain(tags.iter().map(|r| one(r, false))).collect()
        }

        const ORG_COLS: &str = "id, kind, parent_id, code, name, lat, lng";

        #[$crate::async_trait]
        impl $crate::OrgStore for $store {
            async fn create_org_unit(&self, u: &$crate::NewOrgUnit, now: dom::Timestamp) -> $crate::error::StoreResult<dom::org::OrgUnit> {
                let mut tx = begin_write(&self.pool).await?;
                if u.kind == dom::org::OrgUnitKind::SubBranch {
                    let audiences = ::sqlx::query("SELECT id, name, expr FROM audiences").fetch_all(&mut *tx).await.map_err(db_err)?;
                    let tags = ::sqlx::query("SELECT id, name, rule_text AS expr FROM tags WHERE rule_text IS NOT NULL")
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    if let Some(e) = $crate::expressions::code_in_use(&saved_expressions(&audiences, &tags)?, &u.code) {
                        return Err(e);
                    }
                }
                let row = ::sqlx::query(&format!(
                    "INSERT INTO org_units (kind, parent_id, code, name, lat, lng, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING {ORG_COLS}"
                ))
                .bind(u.kind.as_str())
                .bind(u.parent_id.map(|p| p.get()))
                .bind(&u.code)
                .bind(&u.name)
                .bind(u.location.map(|l| l.lat))
                .bind(u.location.map(|l| l.lng))
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                let unit = org_unit_from_row(&row)?;
                tx.commit().await.map_err(db_err)?;
                Ok(unit)
            }

            /// A sub-branch's new code is written into every saved audience and rule tag that named
            /// the old one, in the same transaction, so each keeps meaning the same unit; a new code
            /// that saved expressions already name (about no unit) is refused.
            async fn update_org_unit(&self, id: dom::OrgUnitId, u: &$crate::NewOrgUnit, now: dom::Timestamp) -> $crate::error::StoreResult<dom::org::OrgUnit> {
                let mut tx = begin_write(&self.pool).await?;
                // Locks the unit first (PostgreSQL), so the code read next is the one being replaced.
                let n = ::sqlx::query("UPDATE org_units SET updated_at = $2 WHERE id = $1")
                    .bind(id.get())
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound);
                }
                let before = ::sqlx::query(&format!("SELECT {ORG_COLS} FROM org_units WHERE id = $1"))
                    .bind(id.get())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let before = org_unit_from_row(&before)?;
                if before.kind == dom::org::OrgUnitKind::SubBranch && before.code != u.code {
                    let audiences = ::sqlx::query("SELECT id, name, expr FROM audiences").fetch_all(&mut *tx).await.map_err(db_err)?;
                    let tags = ::sqlx::query("SELECT id, name, rule_text AS expr FROM tags WHERE rule_text IS NOT NULL")
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?;
                    let saved = saved_expressions(&audiences, &tags)?;
                    if let Some(e) = $crate::expressions::code_in_use(&saved, &u.code) {
                        return Err(e);
                    }
                    for s in &saved {
                        let Some(text) = $crate::expressions::rename_sub_branch(&s.text, &before.code, &u.code) else { continue };
                        let sql = if s.audience {
                            "UPDATE audiences SET expr = $1, updated_at = $2 WHERE id = $3"
                        } else {
                            "UPDATE tags SET rule_text = $1, updated_at = $2 WHERE id = $3"
                        };
                        ::sqlx::query(sql).bind(&text).bind(now.millis()).bind(s.id).execute(&mut *tx).await.map_err(db_err)?;
                    }
                }
                let row = ::sqlx::query(&format!(
                    "UPDATE org_units SET code = $2, name = $3, lat = $4, lng = $5, updated_at = $6 WHERE id = $1 RETURNING {ORG_COLS}"
                ))
                .bind(id.get())
                .bind(&u.code)
                .bind(&u.name)
                .bind(u.location.map(|l| l.lat))
                .bind(u.location.map(|l| l.lng))
                .bind(now.millis())
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
                let unit = org_unit_from_row(&row)?;
                tx.commit().await.map_err(db_err)?;
                Ok(unit)
            }

            async fn org_unit(&self, id: dom::OrgUnitId) -> $crate::error::StoreResult<dom::org::OrgUnit> {
                let row = ::sqlx::query(&format!("SELECT {ORG_COLS} FROM org_units WHERE id = $1"))
                    .bind(id.get())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                org_unit_from_row(&row)
            }

            async fn org_units(&self) -> $crate::error::StoreResult<Vec<dom::org::OrgUnit>> {
                // Parents before children: by level in the tree (however deep it goes), then by code.
                let rows = ::sqlx::query(&format!("SELECT {ORG_COLS} FROM org_units ORDER BY code"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                let mut units: Vec<dom::org::OrgUnit> = rows.iter().map(org_unit_from_row).collect::<Result<_, _>>()?;
                let depth: std::collections::HashMap<dom::OrgUnitId, usize> =
                    dom::org_tree::OrgTree::new(&units).tree_order().into_iter().collect();
                units.sort_by_key(|u| depth.get(&u.id).copied().unwrap_or(usize::MAX));
                Ok(units)
            }
        }
    };
}
