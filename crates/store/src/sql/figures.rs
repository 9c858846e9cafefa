//! The home pages' figures (`FiguresStore`): aggregates over relationships, customers, the timeline and
//! the audit log, each one bounded by its range, its scope or its limit.

#[macro_export]
macro_rules! sql_figures {
    ($store:ty) => {
        /// Milliseconds from UTC to the bank's day (UTC+8), for grouping instants by bank day.
        const FIGURES_OFFSET_MS: i64 = 8 * 3_600_000;

        fn figures_day(n: i64) -> ::chrono::NaiveDate {
            ::chrono::DateTime::from_timestamp(n * 86_400, 0).map(|d| d.date_naive()).unwrap_or_default()
        }

        /// Narrows a query on `wecom_relationships r` to the relationships of the staff `v` covers: those
        /// filed at its units, or the one member. Head office sees every relationship, also those of a
        /// WeCom account siyu has no staff member for.
        fn push_staff_scope(qb: &mut Qb<'_>, v: &Visible) {
            match v {
                Visible::All => {}
                Visible::Units(units) => {
                    qb.push(" AND r.staff_userid IN (SELECT s.wecom_userid FROM staff s WHERE s.wecom_userid IS NOT NULL AND ");
                    push_one_of(qb, "s.org_unit_id", units);
                    qb.push(")");
                }
                Visible::OwnedBy(id) => {
                    qb.push(" AND r.staff_userid IN (SELECT s.wecom_userid FROM staff s WHERE s.wecom_userid IS NOT NULL AND s.id = ")
                        .push_bind(*id)
                        .push(")");
                }
            }
        }

        fn mention_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::CustomerMention> {
            Ok($crate::CustomerMention {
                id: dom::CustomerId::new(get(r, "id")?),
                name: get(r, "name")?,
                sub_branch_id: dom::OrgUnitId::new(get(r, "sub_branch_id")?),
                at: get::<Option<i64>>(r, "at")?.map(ts),
                on: parse_date("on_date", get(r, "on_date")?)?,
            })
        }

        impl $store {
            /// The total and the first `limit` rows of a list of customers: `from_where` (the same for
            /// both) picks them, `select` names the columns of a mention, `order` sorts the rows as
            /// `x` (the selection, so an order may use its computed columns).
            async fn mentions(
                &self,
                select: impl Fn(&mut Qb<'_>),
                from_where: impl Fn(&mut Qb<'_>),
                order: &str,
                limit: i64,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::CustomerMention>> {
                let mut qb = Qb::new("SELECT COUNT(*) ");
                from_where(&mut qb);
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new("SELECT x.* FROM (SELECT ");
                select(&mut qb);
                qb.push(" ");
                from_where(&mut qb);
                qb.push(format!(") x {order} LIMIT ")).push_bind(limit.clamp(1, $crate::Page::MAX_LIMIT));
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(mention_from_row).collect::<Result<_, _>>()?, total })
            }

            /// Per `key` (`s.org_unit_id` or `s.id`) of the staff behind each relationship in scope:
            /// friends active now, adds and deletions in `[from, to)`.
            async fn relationship_figures(
                &self,
                v: &Visible,
                key: &str,
                from: dom::Timestamp,
                to: dom::Timestamp,
            ) -> $crate::error::StoreResult<Vec<(i64, i64, i64, i64)>> {
                let mut qb = Qb::new(format!(
                    "SELECT {key}, COALESCE(SUM(CASE WHEN r.status = 'active' THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN r.added_at >= "
                ));
                qb.push_bind(from.millis())
                    .push(" AND r.added_at < ")
                    .push_bind(to.millis())
                    .push(
                        " THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN r.status IN ('deleted_by_customer', 'deleted_by_staff') \
                         AND r.ended_at >= ",
                    )
                    .push_bind(from.millis())
                    .push(" AND r.ended_at < ")
                    .push_bind(to.millis())
                    .push(" THEN 1 ELSE 0 END), 0) FROM wecom_relationships r JOIN staff s ON s.wecom_userid = r.staff_userid WHERE 1=1");
                push_staff_scope(&mut qb, v);
                qb.push(format!(" GROUP BY {key}"));
                qb.build_query_as().fetch_all(&self.pool).await.map_err(db_err)
            }
        }

        #[$crate::async_trait]
        impl $crate::FiguresStore for $store {
            async fn friend_days(
                &self,
                scope: dom::scope::DataScope,
                from: dom::Timestamp,
                to: dom::Timestamp,
            ) -> $crate::error::StoreResult<$crate::FriendDays> {
                let v = visible(&self.pool, scope).await?;
                let mut qb = Qb::new("SELECT COUNT(*) FROM wecom_relationships r WHERE (r.added_at IS NULL OR r.added_at < ");
                qb.push_bind(from.millis()).push(") AND (r.ended_at IS NULL OR r.ended_at >= ").push_bind(from.millis()).push(")");
                push_staff_scope(&mut qb, &v);
                let active_before = count(&mut qb, &self.pool).await?;
                let mut days: ::std::collections::BTreeMap<i64, (i64, i64, i64)> = ::std::collections::BTreeMap::new();
                let mut qb = Qb::new("SELECT (r.added_at + ");
                qb.push_bind(FIGURES_OFFSET_MS)
                    .push(") / 86400000 AS d, COUNT(*) FROM wecom_relationships r WHERE r.added_at >= ")
                    .push_bind(from.millis())
                    .push(" AND r.added_at < ")
                    .push_bind(to.millis());
                push_staff_scope(&mut qb, &v);
                qb.push(" GROUP BY d");
                for (d, n) in qb.build_query_as::<(i64, i64)>().fetch_all(&self.pool).await.map_err(db_err)? {
                    days.entry(d).or_default().0 += n;
                }
                let mut qb = Qb::new("SELECT (r.ended_at + ");
                qb.push_bind(FIGURES_OFFSET_MS)
                    .push(") / 86400000 AS d, \
                           COALESCE(SUM(CASE WHEN r.status IN ('deleted_by_customer', 'deleted_by_staff') THEN 1 ELSE 0 END), 0), COUNT(*) \
                           FROM wecom_relationships r WHERE r.ended_at >= ")
                    .push_bind(from.millis())
                    .push(" AND r.ended_at < ")
                    .push_bind(to.millis());
                push_staff_scope(&mut qb, &v);
                qb.push(" GROUP BY d");
                for (d, deleted, ended) in qb.build_query_as::<(i64, i64, i64)>().fetch_all(&self.pool).await.map_err(db_err)? {
                    let e = days.entry(d).or_default();
                    e.1 += deleted;
                    e.2 += ended;
                }
                Ok($crate::FriendDays {
                    active_before,
                    days: days
                        .into_iter()
                        .map(|(d, (added, deleted, ended))| $crate::FriendDay { day: figures_day(d), added, deleted, ended })
                        .collect(),
                })
            }

            async fn reach(&self, scope: dom::scope::DataScope) -> $crate::error::StoreResult<$crate::Reach> {
                let v = visible(&self.pool, scope).await?;
                let on = "c.wecom_external_userid IS NOT NULL";
                let mut qb = Qb::new(format!(
                    "SELECT COUNT(*), \
                     COALESCE(SUM(CASE WHEN {on} THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN {on} AND c.consent_1v1 THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN {on} AND c.consent_moments THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN {on} AND c.consent_group THEN 1 ELSE 0 END), 0), \
                     COALESCE(SUM(CASE WHEN {on} AND c.consent_personalised THEN 1 ELSE 0 END), 0) \
                     FROM customers c WHERE 1=1"
                ));
                push_scope(&mut qb, &v);
                let (customers, on_wecom, one_to_one, moments, group, personalised): (i64, i64, i64, i64, i64, i64) =
                    qb.build_query_as().fetch_one(&self.pool).await.map_err(db_err)?;
                Ok($crate::Reach { customers, on_wecom, one_to_one, moments, group, personalised })
            }

            async fn unit_figures(
                &self,
                scope: dom::scope::DataScope,
                from: dom::Timestamp,
                to: dom::Timestamp,
            ) -> $crate::error::StoreResult<Vec<$crate::UnitFigures>> {
                let v = visible(&self.pool, scope).await?;
                let mut by: ::std::collections::BTreeMap<i64, $crate::UnitFigures> = ::std::collections::BTreeMap::new();
                let mut qb = Qb::new(
                    "SELECT c.sub_branch_id, COUNT(*), COALESCE(SUM(CASE WHEN c.wecom_external_userid IS NOT NULL THEN 1 ELSE 0 END), 0) \
                     FROM customers c WHERE 1=1",
                );
                push_scope(&mut qb, &v);
                qb.push(" GROUP BY c.sub_branch_id");
                for (unit, customers, on_wecom) in qb.build_query_as::<(i64, i64, i64)>().fetch_all(&self.pool).await.map_err(db_err)? {
                    let e = by.entry(unit).or_insert_with(|| $crate::UnitFigures::of(dom::OrgUnitId::new(unit)));
                    e.customers = customers;
                    e.on_wecom = on_wecom;
                }
                for (unit, friends, added, deleted) in self.relationship_figures(&v, "s.org_unit_id", from, to).await? {
                    let e = by.entry(unit).or_insert_with(|| $crate::UnitFigures::of(dom::OrgUnitId::new(unit)));
                    e.friends = friends;
                    e.added = added;
                    e.deleted = deleted;
                }
                Ok(by.into_values().collect())
            }

            async fn manager_figures(
                &self,
                scope: dom::scope::DataScope,
                from: dom::Timestamp,
                to: dom::Timestamp,
            ) -> $crate::error::StoreResult<Vec<$crate::ManagerFigures>> {
                let v = visible(&self.pool, scope).await?;
                let mut by: ::std::collections::BTreeMap<i64, $crate::ManagerFigures> = ::std::collections::BTreeMap::new();
                let mut qb = Qb::new(
                    "SELECT c.owner_id, COUNT(*), COALESCE(SUM(CASE WHEN c.wecom_external_userid IS NOT NULL THEN 1 ELSE 0 END), 0) \
                     FROM customers c WHERE c.owner_id IS NOT NULL",
                );
                push_scope(&mut qb, &v);
                qb.push(" GROUP BY c.owner_id");
                for (id, customers, on_wecom) in qb.build_query_as::<(i64, i64, i64)>().fetch_all(&self.pool).await.map_err(db_err)? {
                    let e = by.entry(id).or_insert_with(|| $crate::ManagerFigures::of(dom::StaffId::new(id)));
                    e.customers = customers;
                    e.on_wecom = on_wecom;
                }
                for (id, friends, added, deleted) in self.relationship_figures(&v, "s.id", from, to).await? {
                    let e = by.entry(id).or_insert_with(|| $crate::ManagerFigures::of(dom::StaffId::new(id)));
                    e.friends = friends;
                    e.added = added;
                    e.deleted = deleted;
                }
                Ok(by.into_values().collect())
            }

            async fn new_friends(
                &self,
                scope: dom::scope::DataScope,
                since: dom::Timestamp,
                limit: i64,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::CustomerMention>> {
                let v = visible(&self.pool, scope).await?;
                // The customer's live relationships with managers in scope that started since `since`.
                let added = |qb: &mut Qb<'_>| {
                    qb.push(
                        "FROM wecom_relationships r WHERE r.external_userid = c.wecom_external_userid AND r.status = 'active' AND r.added_at >= ",
                    )
                    .push_bind(since.millis());
                    push_staff_scope(qb, &v);
                };
                self.mentions(
                    |qb| {
                        qb.push("c.id, c.name, c.sub_branch_id, (SELECT MAX(r.added_at) ");
                        added(qb);
                        qb.push(") AS at, CAST(NULL AS TEXT) AS on_date");
                    },
                    |qb| {
                        qb.push("FROM customers c WHERE c.wecom_external_userid IS NOT NULL AND EXISTS (SELECT 1 ");
                        added(qb);
                        qb.push(")");
                        push_scope(qb, &v);
                    },
                    "ORDER BY x.at DESC, x.id",
                    limit,
                )
                .await
            }

            async fn birthdays_on(
                &self,
                scope: dom::scope::DataScope,
                days: &[(u32, u32)],
                limit: i64,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::CustomerMention>> {
                if days.is_empty() {
                    return Ok($crate::Paged { items: Vec::new(), total: 0 });
                }
                let v = visible(&self.pool, scope).await?;
                // `YYYY-MM-DD`: characters 6–10 are the month and day. A week names eight at most.
                let md: Vec<String> = days.iter().take(16).map(|(m, d)| format!("{m:02}-{d:02}")).collect();
                self.mentions(
                    |qb| {
                        qb.push("c.id, c.name, c.sub_branch_id, CAST(NULL AS BIGINT) AS at, CAST(NULL AS TEXT) AS on_date");
                    },
                    |qb| {
                        qb.push("FROM customers c WHERE c.birthday IS NOT NULL AND SUBSTR(c.birthday, 6, 5) IN (");
                        let mut sep = qb.separated(", ");
                        for m in &md {
                            sep.push_bind(m.clone());
                        }
                        qb.push(")");
                        push_scope(qb, &v);
                    },
                    // By id: an order by date would tell the day the list does not show.
                    "ORDER BY x.id",
                    limit,
                )
                .await
            }

            async fn risk_due(
                &self,
                scope: dom::scope::DataScope,
                assessed_by: ::chrono::NaiveDate,
                limit: i64,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::CustomerMention>> {
                let v = visible(&self.pool, scope).await?;
                let by = iso_date(assessed_by);
                self.mentions(
                    |qb| {
                        qb.push("c.id, c.name, c.sub_branch_id, CAST(NULL AS BIGINT) AS at, c.risk_assessed_on AS on_date");
                    },
                    |qb| {
                        qb.push("FROM customers c WHERE c.risk_assessed_on IS NOT NULL AND c.risk_assessed_on <= ").push_bind(by.clone());
                        push_scope(qb, &v);
                    },
                    "ORDER BY x.on_date, x.id",
                    limit,
                )
                .await
            }

            async fn not_contacted(
                &self,
                scope: dom::scope::DataScope,
                kinds: &[&str],
                since: dom::Timestamp,
                limit: i64,
            ) -> $crate::error::StoreResult<$crate::Paged<$crate::CustomerMention>> {
                let v = visible(&self.pool, scope).await?;
                let kinds: Vec<String> = kinds.iter().take(16).map(|k| (*k).to_owned()).collect();
                let of_kinds = |qb: &mut Qb<'_>| {
                    qb.push("FROM customer_events e WHERE e.customer_id = c.id AND e.kind IN (");
                    let mut sep = qb.separated(", ");
                    for k in &kinds {
                        sep.push_bind(k.clone());
                    }
                    qb.push(")");
                };
                self.mentions(
                    |qb| {
                        qb.push("c.id, c.name, c.sub_branch_id, (SELECT MAX(e.at) ");
                        of_kinds(qb);
                        qb.push(") AS at, CAST(NULL AS TEXT) AS on_date");
                    },
                    |qb| {
                        qb.push("FROM customers c WHERE NOT EXISTS (SELECT 1 ");
                        of_kinds(qb);
                        qb.push(" AND e.at >= ").push_bind(since.millis()).push(")");
                        push_scope(qb, &v);
                    },
                    "ORDER BY COALESCE(x.at, 0), x.id",
                    limit,
                )
                .await
            }

            async fn audit_days(
                &self,
                actions: &[dom::audit::AuditAction],
                from: dom::Timestamp,
                to: dom::Timestamp,
            ) -> $crate::error::StoreResult<Vec<$crate::AuditDay>> {
                if actions.is_empty() {
                    return Ok(Vec::new());
                }
                let mut qb = Qb::new("SELECT (at + ");
                qb.push_bind(FIGURES_OFFSET_MS)
                    .push(") / 86400000 AS d, action, COUNT(*) FROM audit_log WHERE at >= ")
                    .push_bind(from.millis())
                    .push(" AND at < ")
                    .push_bind(to.millis())
                    .push(" AND action IN (");
                let mut sep = qb.separated(", ");
                for a in actions.iter().take(32) {
                    sep.push_bind(a.as_str());
                }
                qb.push(") GROUP BY d, action ORDER BY d, action");
                let rows: Vec<(i64, String, i64)> = qb.build_query_as().fetch_all(&self.pool).await.map_err(db_err)?;
                rows.into_iter()
                    .map(|(d, action, count)| {
                        let action = dom::audit::AuditAction::parse(&action).ok_or_else(|| corrupt(format!("audit action {action}")))?;
                        Ok($crate::AuditDay { day: figures_day(d), action, count })
                    })
                    .collect()
            }
        }

    };
}
