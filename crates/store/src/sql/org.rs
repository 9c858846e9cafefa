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

        const ORG_COLS: &str = "id, kind, parent_id, code, name, lat, lng";

        #[$crate::async_trait]
        impl $crate::OrgStore for $store {
            async fn create_org_unit(&self, u: &$crate::NewOrgUnit, now: dom::Timestamp) -> $crate::error::StoreResult<dom::org::OrgUnit> {
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
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                org_unit_from_row(&row)
            }

            async fn update_org_unit(&self, id: dom::OrgUnitId, u: &$crate::NewOrgUnit, now: dom::Timestamp) -> $crate::error::StoreResult<dom::org::OrgUnit> {
                let row = ::sqlx::query(&format!(
                    "UPDATE org_units SET code = $2, name = $3, lat = $4, lng = $5, updated_at = $6 WHERE id = $1 RETURNING {ORG_COLS}"
                ))
                .bind(id.get())
                .bind(&u.code)
                .bind(&u.name)
                .bind(u.location.map(|l| l.lat))
                .bind(u.location.map(|l| l.lng))
                .bind(now.millis())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                org_unit_from_row(&row)
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
                // Parents before children: by level, then by code.
                let rows = ::sqlx::query(&format!(
                    "SELECT {ORG_COLS} FROM org_units ORDER BY CASE kind WHEN 'head_office' THEN 0 WHEN 'branch' THEN 1 ELSE 2 END, code"
                ))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(org_unit_from_row).collect()
            }
        }
    };
}
