//! The product catalogue: upserted by the bank's product code in one transaction with its audit entry,
//! previewed without writing, listed with filters and looked up by id.

#[macro_export]
macro_rules! sql_products {
    ($store:ty) => {
        const PRODUCT_COLS: &str = "id, code, name, kind, risk_grade, issuer, on_sale, updated_by, updated_at";

        fn product_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::ProductRecord> {
            use dom::product::{ProductRiskGrade, ProductType};
            let kind: String = get(r, "kind")?;
            let grade: Option<i64> = get(r, "risk_grade")?;
            Ok($crate::ProductRecord {
                id: dom::ProductId::new(get(r, "id")?),
                product: $crate::NewProduct {
                    code: get(r, "code")?,
                    name: get(r, "name")?,
                    // The stored code only: a word a file may use is read by the import, not here.
                    kind: ProductType::ALL
                        .into_iter()
                        .find(|t| t.code() == kind)
                        .ok_or_else(|| corrupt(format!("product kind {kind}")))?,
                    risk_grade: match grade {
                        None => None,
                        Some(g) => Some(
                            u8::try_from(g)
                                .ok()
                                .and_then(ProductRiskGrade::new)
                                .ok_or_else(|| corrupt(format!("product risk grade {g}")))?,
                        ),
                    },
                    issuer: get(r, "issuer")?,
                    on_sale: get(r, "on_sale")?,
                },
                updated_by: get::<Option<i64>>(r, "updated_by")?.map(dom::StaffId::new),
                updated_at: ts(get(r, "updated_at")?),
            })
        }

        /// The stored products whose codes are among `codes`, by code.
        async fn products_by_code(
            conn: &mut DbConn,
            codes: &[&str],
        ) -> $crate::error::StoreResult<::std::collections::HashMap<String, $crate::ProductRecord>> {
            let mut found = ::std::collections::HashMap::new();
            if codes.is_empty() {
                return Ok(found);
            }
            let mut qb = Qb::new(format!("SELECT {PRODUCT_COLS} FROM products WHERE code IN ("));
            let mut sep = qb.separated(", ");
            for c in codes {
                sep.push_bind(c.to_string());
            }
            qb.push(")");
            for r in qb.build().fetch_all(&mut *conn).await.map_err(db_err)? {
                let p = product_from_row(&r)?;
                found.insert(p.product.code.clone(), p);
            }
            Ok(found)
        }

        /// The counts of an upsert of `rows` against what is stored, and the rows that would change.
        fn product_changes<'a>(
            rows: &'a [$crate::NewProduct],
            stored: &::std::collections::HashMap<String, $crate::ProductRecord>,
        ) -> ($crate::ProductCounts, Vec<&'a $crate::NewProduct>) {
            let mut counts = $crate::ProductCounts::default();
            let mut changed = Vec::new();
            for row in rows {
                match stored.get(&row.code) {
                    None => {
                        counts.added += 1;
                        changed.push(row);
                    }
                    Some(old) if old.product != *row => {
                        counts.updated += 1;
                        changed.push(row);
                    }
                    Some(_) => counts.unchanged += 1,
                }
            }
            (counts, changed)
        }

        #[$crate::async_trait]
        impl $crate::ProductStore for $store {
            async fn upsert_products(
                &self,
                rows: &[$crate::NewProduct],
                by: Option<dom::StaffId>,
                now: dom::Timestamp,
                audit: &dom::audit::NewAuditEntry,
            ) -> $crate::error::StoreResult<$crate::ProductCounts> {
                let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
                // Two rows with one code would each be upserted, the second silently winning: refused.
                let mut seen = ::std::collections::HashSet::new();
                if let Some(twice) = codes.iter().find(|c| !seen.insert(**c)) {
                    return Err($crate::StoreError::Conflict(format!("product code {twice} is given twice")));
                }
                let mut tx = begin_write(&self.pool).await?;
                let mut stored = ::std::collections::HashMap::new();
                // Bound the IN list: the catalogue import allows a few thousand rows.
                for chunk in codes.chunks(500) {
                    stored.extend(products_by_code(&mut *tx, chunk).await?);
                }
                let (counts, changed) = product_changes(rows, &stored);
                for p in changed {
                    ::sqlx::query(
                        "INSERT INTO products (code, name, kind, risk_grade, issuer, on_sale, updated_by, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                         ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                         risk_grade = excluded.risk_grade, issuer = excluded.issuer, on_sale = excluded.on_sale, \
                         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                    )
                    .bind(&p.code)
                    .bind(&p.name)
                    .bind(p.kind.code())
                    .bind(p.risk_grade.map(|g| i64::from(g.get())))
                    .bind(&p.issuer)
                    .bind(p.on_sale)
                    .bind(by.map(|s| s.get()))
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                insert_audit(&mut *tx, audit).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(counts)
            }

            async fn preview_products(
                &self,
                rows: &[$crate::NewProduct],
            ) -> $crate::error::StoreResult<$crate::ProductCounts> {
                let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                let mut stored = ::std::collections::HashMap::new();
                for chunk in codes.chunks(500) {
                    stored.extend(products_by_code(&mut conn, chunk).await?);
                }
                Ok(product_changes(rows, &stored).0)
            }

            async fn products(
                &self,
                f: &$crate::ProductFilter,
                page: $crate::Page,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::ProductRecord>> {
                fn filters(qb: &mut Qb<'_>, f: &$crate::ProductFilter) {
                    if let Some(k) = f.kind {
                        qb.push(" AND kind = ").push_bind(k.code());
                    }
                    if let Some(g) = f.risk_grade {
                        qb.push(" AND risk_grade = ").push_bind(i64::from(g.get()));
                    }
                    if let Some(on) = f.on_sale {
                        qb.push(" AND on_sale = ").push_bind(on);
                    }
                    if let Some(q) = f.query.as_deref().filter(|q| !q.is_empty()) {
                        let like = format!("%{}%", q.to_lowercase());
                        qb.push(" AND (LOWER(code) LIKE ").push_bind(like.clone());
                        qb.push(" OR LOWER(name) LIKE ").push_bind(like).push(")");
                    }
                }
                let mut qb = Qb::new("SELECT COUNT(*) FROM products WHERE 1=1");
                filters(&mut qb, f);
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(format!("SELECT {PRODUCT_COLS} FROM products WHERE 1=1"));
                filters(&mut qb, f);
                qb.push(" ORDER BY code LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(product_from_row).collect::<Result<_, _>>()?, total })
            }

            async fn products_by_ids(
                &self,
                ids: &[dom::ProductId],
            ) -> $crate::error::StoreResult<Vec<$crate::ProductRecord>> {
                let mut out = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut qb = Qb::new(format!("SELECT {PRODUCT_COLS} FROM products WHERE id IN ("));
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.get());
                    }
                    qb.push(")");
                    for r in qb.build().fetch_all(&self.pool).await.map_err(db_err)? {
                        out.push(product_from_row(&r)?);
                    }
                }
                Ok(out)
            }
        }
    };
}
