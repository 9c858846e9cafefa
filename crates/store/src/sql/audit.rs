//! The append-only audit log.

#[macro_export]
macro_rules! sql_audit {
    ($store:ty) => {
        const AUDIT_COLS: &str = "id, at, staff_id, actor, action, target, detail, ip";

        fn audit_from_row(r: &DbRow) -> $crate::error::StoreResult<dom::audit::AuditEntry> {
            let action: String = get(r, "action")?;
            Ok(dom::audit::AuditEntry {
                id: dom::AuditId::new(get(r, "id")?),
                at: ts(get(r, "at")?),
                staff_id: get::<Option<i64>>(r, "staff_id")?.map(dom::StaffId::new),
                actor: get(r, "actor")?,
                action: dom::audit::AuditAction::parse(&action).ok_or_else(|| corrupt(format!("audit action {action}")))?,
                target: get(r, "target")?,
                detail: get(r, "detail")?,
                ip: get(r, "ip")?,
            })
        }

        /// Appends one audit entry on `conn`, which may be inside a transaction that writes the entry
        /// together with what it records (an import's committed mark).
        async fn insert_audit(conn: &mut DbConn, e: &dom::audit::NewAuditEntry) -> $crate::error::StoreResult<dom::AuditId> {
            let id: i64 = ::sqlx::query_scalar(
                "INSERT INTO audit_log (at, staff_id, actor, action, target, detail, ip) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(e.at.millis())
            .bind(e.staff_id.map(|s| s.get()))
            .bind(&e.actor)
            .bind(e.action.as_str())
            .bind(&e.target)
            .bind(&e.detail)
            .bind(&e.ip)
            .fetch_one(&mut *conn)
            .await
            .map_err(db_err)?;
            Ok(dom::AuditId::new(id))
        }

        #[$crate::async_trait]
        impl $crate::AuditLog for $store {
            async fn append_audit(&self, e: &dom::audit::NewAuditEntry) -> $crate::error::StoreResult<dom::AuditId> {
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                insert_audit(&mut conn, e).await
            }

            async fn search_audit(&self, f: &$crate::AuditFilter, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<dom::audit::AuditEntry>> {
                fn filters(qb: &mut Qb<'_>, f: &$crate::AuditFilter) {
                    if let Some(a) = f.action {
                        qb.push(" AND action = ").push_bind(a.as_str());
                    }
                    if let Some(a) = f.actor.as_deref().filter(|a| !a.is_empty()) {
                        qb.push(" AND LOWER(actor) LIKE ").push_bind(format!("%{}%", a.to_lowercase()));
                    }
                    if let Some(t) = f.target.as_deref().filter(|t| !t.is_empty()) {
                        qb.push(" AND target = ").push_bind(t.to_owned());
                    }
                    if let Some(from) = f.from {
                        qb.push(" AND at >= ").push_bind(from.millis());
                    }
                    if let Some(to) = f.to {
                        qb.push(" AND at < ").push_bind(to.millis());
                    }
                }
                let mut qb = Qb::new("SELECT COUNT(*) FROM audit_log WHERE 1=1");
                filters(&mut qb, f);
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(format!("SELECT {AUDIT_COLS} FROM audit_log WHERE 1=1"));
                filters(&mut qb, f);
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(audit_from_row).collect::<Result<_, _>>()?, total })
            }
        }
    };
}
