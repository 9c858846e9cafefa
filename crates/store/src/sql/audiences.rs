//! What the audience engine loads (customer facts, recent events) and saved audiences with their
//! membership.

#[macro_export]
macro_rules! sql_audiences {
    ($store:ty) => {
        const AUDIENCE_COLS: &str = "id, name, expr, description, created_by, created_at, updated_at, refreshed_at, member_count";

        fn audience_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::Audience> {
            Ok($crate::Audience {
                id: dom::AudienceId::new(get(r, "id")?),
                name: get(r, "name")?,
                expr: get(r, "expr")?,
                description: get(r, "description")?,
                created_by: get::<Option<i64>>(r, "created_by")?.map(dom::StaffId::new),
                created_at: ts(get(r, "created_at")?),
                updated_at: ts(get(r, "updated_at")?),
                refreshed_at: get::<Option<i64>>(r, "refreshed_at")?.map(ts),
                member_count: get(r, "member_count")?,
            })
        }

        const FACT_COLS: &str = "c.id, c.owner_id, c.sub_branch_id, c.gender, c.birthday, c.aum_tier, c.risk_grade, c.payroll_day, \
            c.credit_card, c.wealth, c.loan";

        fn facts_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::CustomerFacts> {
            Ok($crate::CustomerFacts {
                id: dom::CustomerId::new(get(r, "id")?),
                owner_id: get::<Option<i64>>(r, "owner_id")?.map(dom::StaffId::new),
                sub_branch_id: dom::OrgUnitId::new(get(r, "sub_branch_id")?),
                gender: get(r, "gender")?,
                birthday: parse_date("birthday", get(r, "birthday")?)?,
                aum_tier: small(r, "aum_tier")?.unwrap_or(1),
                risk_grade: small(r, "risk_grade")?,
                payroll_day: small(r, "payroll_day")?,
                credit_card: get(r, "credit_card")?,
                wealth: get(r, "wealth")?,
                loan: get(r, "loan")?,
            })
        }

        fn small(r: &DbRow, col: &str) -> $crate::error::StoreResult<Option<u8>> {
            let v: Option<i64> = get(r, col)?;
            v.map(|v| u8::try_from(v).map_err(|_| corrupt(format!("{col} {v}")))).transpose()
        }

        #[$crate::async_trait]
        impl $crate::AudienceStore for $store {
            async fn customer_facts(&self, after: i64, limit: i64, changed_since: Option<dom::Timestamp>) -> $crate::error::StoreResult<Vec<$crate::CustomerFacts>> {
                let rows = ::sqlx::query(&format!(
                    "SELECT {FACT_COLS} FROM customers c \
                     WHERE c.id > $1 AND c.updated_at >= $2 ORDER BY c.id LIMIT $3"
                ))
                .bind(after)
                .bind(changed_since.map_or(i64::MIN, |t| t.millis()))
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(facts_from_row).collect()
            }

            async fn customer_facts_of(&self, ids: &[dom::CustomerId]) -> $crate::error::StoreResult<Vec<$crate::CustomerFacts>> {
                let mut out = Vec::with_capacity(ids.len());
                for chunk in ids.chunks(1000) {
                    let mut qb = Qb::new(format!("SELECT {FACT_COLS} FROM customers c WHERE c.id IN ("));
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.get());
                    }
                    qb.push(") ORDER BY c.id");
                    for r in qb.build().fetch_all(&self.pool).await.map_err(db_err)? {
                        out.push(facts_from_row(&r)?);
                    }
                }
                Ok(out)
            }

            async fn events_since(&self, since: dom::Timestamp, after: i64, limit: i64) -> $crate::error::StoreResult<Vec<$crate::EventRow>> {
                let rows = ::sqlx::query(
                    "SELECT id, customer_id, kind, at FROM customer_events WHERE at >= $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(since.millis())
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter()
                    .map(|r| {
                        Ok($crate::EventRow {
                            id: get(r, "id")?,
                            customer_id: dom::CustomerId::new(get(r, "customer_id")?),
                            kind: get(r, "kind")?,
                            at: ts(get(r, "at")?),
                        })
                    })
                    .collect()
            }

            async fn create_audience(&self, a: &$crate::NewAudience, now: dom::Timestamp) -> $crate::error::StoreResult<$crate::Audience> {
                let row = ::sqlx::query(&format!(
                    "INSERT INTO audiences (name, expr, description, created_by, created_at, updated_at, member_count) \
                     VALUES ($1, $2, $3, $4, $5, $5, 0) RETURNING {AUDIENCE_COLS}"
                ))
                .bind(&a.name)
                .bind(&a.expr)
                .bind(&a.description)
                .bind(a.created_by.map(|s| s.get()))
                .bind(now.millis())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                audience_from_row(&row)
            }

            async fn update_audience(&self, id: dom::AudienceId, a: &$crate::NewAudience, now: dom::Timestamp) -> $crate::error::StoreResult<$crate::Audience> {
                let row = ::sqlx::query(&format!(
                    "UPDATE audiences SET name = $1, expr = $2, description = $3, updated_at = $4 WHERE id = $5 RETURNING {AUDIENCE_COLS}"
                ))
                .bind(&a.name)
                .bind(&a.expr)
                .bind(&a.description)
                .bind(now.millis())
                .bind(id.get())
                .fetch_optional(&self.pool)
                .await
                .map_err(db_err)?;
                row.as_ref().map(audience_from_row).transpose()?.ok_or($crate::StoreError::NotFound)
            }

            async fn audience(&self, id: dom::AudienceId) -> $crate::error::StoreResult<$crate::Audience> {
                let row = ::sqlx::query(&format!("SELECT {AUDIENCE_COLS} FROM audiences WHERE id = $1"))
                    .bind(id.get())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(audience_from_row).transpose()?.ok_or($crate::StoreError::NotFound)
            }

            async fn audiences(&self) -> $crate::error::StoreResult<Vec<$crate::Audience>> {
                let rows = ::sqlx::query(&format!("SELECT {AUDIENCE_COLS} FROM audiences ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(audience_from_row).collect()
            }

            async fn refresh_audience(&self, id: dom::AudienceId, members: &[dom::CustomerId], now: dom::Timestamp) -> $crate::error::StoreResult<$crate::MembershipChange> {
                let mut tx = begin_write(&self.pool).await?;
                let name: Option<String> = ::sqlx::query_scalar("SELECT name FROM audiences WHERE id = $1")
                    .bind(id.get())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                let name = name.ok_or($crate::StoreError::NotFound)?;
                let before: std::collections::HashSet<i64> =
                    ::sqlx::query_scalar("SELECT customer_id FROM audience_members WHERE audience_id = $1")
                        .bind(id.get())
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db_err)?
                        .into_iter()
                        .collect();
                let after: std::collections::HashSet<i64> = members.iter().map(|c| c.get()).collect();
                let mut entered: Vec<i64> = after.difference(&before).copied().collect();
                let mut exited: Vec<i64> = before.difference(&after).copied().collect();
                entered.sort_unstable();
                exited.sort_unstable();
                for chunk in entered.chunks(1000) {
                    let mut qb = Qb::new("INSERT INTO audience_members (audience_id, customer_id, entered_at) ");
                    qb.push_values(chunk, |mut b, c| {
                        b.push_bind(id.get()).push_bind(*c).push_bind(now.millis());
                    });
                    qb.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                for chunk in exited.chunks(1000) {
                    let mut qb = Qb::new("DELETE FROM audience_members WHERE audience_id = ");
                    qb.push_bind(id.get()).push(" AND customer_id IN (");
                    let mut sep = qb.separated(", ");
                    for c in chunk {
                        sep.push_bind(*c);
                    }
                    qb.push(")");
                    qb.build().execute(&mut *tx).await.map_err(db_err)?;
                }
                let detail = format!("{id} {name}");
                push_events(&mut tx, &entered, "audience_entered", &detail, now).await?;
                push_events(&mut tx, &exited, "audience_exited", &detail, now).await?;
                ::sqlx::query("UPDATE audiences SET refreshed_at = $1, member_count = $2 WHERE id = $3")
                    .bind(now.millis())
                    .bind(after.len() as i64)
                    .bind(id.get())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok($crate::MembershipChange { entered: entered.len() as u64, exited: exited.len() as u64 })
            }

            async fn audience_members(&self, id: dom::AudienceId) -> $crate::error::StoreResult<Vec<dom::CustomerId>> {
                let ids: Vec<i64> = ::sqlx::query_scalar("SELECT customer_id FROM audience_members WHERE audience_id = $1 ORDER BY customer_id")
                    .bind(id.get())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(ids.into_iter().map(dom::CustomerId::new).collect())
            }
        }
    };
}
