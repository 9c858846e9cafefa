//! Customers: scoped reads, and the batched upsert that imports and the demo use.

#[macro_export]
macro_rules! sql_customers {
    ($store:ty) => {
        const CUSTOMER_COLS: &str = "c.id, c.customer_no, c.name, c.phone_masked, c.id_masked, c.id_type, c.gender, c.birthday, \
            c.sub_branch_id, c.owner_id, c.aum_tier, c.payroll_day, c.credit_card, c.wealth, c.loan, c.risk_grade, \
            c.risk_assessed_on, c.consent_1v1, c.consent_moments, c.consent_group, c.consent_personalised, \
            c.wecom_external_userid, c.created_at, c.updated_at";

        /// Columns written on insert, in `push_values` order.
        const CUSTOMER_INSERT_COLS: &str = "customer_no, name, phone_cipher, phone_index, phone_masked, id_cipher, id_index, \
            id_masked, id_type, gender, birthday, sub_branch_id, owner_id, aum_tier, payroll_day, credit_card, wealth, loan, \
            risk_grade, risk_assessed_on, consent_1v1, consent_moments, consent_group, consent_personalised, \
            wecom_external_userid, wechat_unionid, created_at, updated_at";

        fn customer_from_row(r: &DbRow) -> $crate::error::StoreResult<dom::customer::Customer> {
            use dom::customer::*;
            let tier: i64 = get(r, "aum_tier")?;
            let grade: Option<i64> = get(r, "risk_grade")?;
            let assessed = parse_date("risk_assessed_on", get(r, "risk_assessed_on")?)?;
            let risk = match (grade, assessed) {
                (Some(g), Some(assessed_on)) => Some(RiskAssessment {
                    grade: u8::try_from(g).ok().and_then(RiskGrade::new).ok_or_else(|| corrupt(format!("risk grade {g}")))?,
                    assessed_on,
                }),
                _ => None,
            };
            let payroll_day: Option<i64> = get(r, "payroll_day")?;
            let gender: String = get(r, "gender")?;
            let id_type = match get::<Option<String>>(r, "id_type")? {
                Some(t) => Some(IdType::parse(&t).ok_or_else(|| corrupt(format!("id type {t}")))?),
                None => None,
            };
            Ok(Customer {
                id: dom::CustomerId::new(get(r, "id")?),
                customer_no: get(r, "customer_no")?,
                name: get(r, "name")?,
                phone_masked: get(r, "phone_masked")?,
                id_number_masked: get(r, "id_masked")?,
                id_type,
                gender: Gender::parse_lenient(&gender),
                birthday: parse_date("birthday", get(r, "birthday")?)?,
                sub_branch_id: dom::OrgUnitId::new(get(r, "sub_branch_id")?),
                owner_id: get::<Option<i64>>(r, "owner_id")?.map(dom::StaffId::new),
                aum_tier: u8::try_from(tier).ok().and_then(AumTier::new).ok_or_else(|| corrupt(format!("aum tier {tier}")))?,
                segments: Segments {
                    payroll_day: payroll_day.and_then(|d| u8::try_from(d).ok()),
                    credit_card: get(r, "credit_card")?,
                    wealth: get(r, "wealth")?,
                    loan: get(r, "loan")?,
                },
                risk,
                consent: Consent {
                    one_to_one: get(r, "consent_1v1")?,
                    moments: get(r, "consent_moments")?,
                    group: get(r, "consent_group")?,
                    personalised: get(r, "consent_personalised")?,
                },
                wecom_external_userid: get(r, "wecom_external_userid")?,
                created_at: ts(get(r, "created_at")?),
                updated_at: ts(get(r, "updated_at")?),
            })
        }

        /// The columns an import field writes, and the one that tells whether its value changed (a
        /// re-sealed phone has new ciphertext but the same blind index).
        fn field_columns(f: dom::import::Field) -> (&'static [&'static str], &'static str) {
            use dom::import::Field::*;
            match f {
                Name => (&["name"], "name"),
                Phone => (&["phone_cipher", "phone_index", "phone_masked"], "phone_index"),
                // The type travels with the number (see `Field::IdType`).
                IdNumber => (&["id_cipher", "id_index", "id_masked", "id_type"], "id_index"),
                Gender => (&["gender"], "gender"),
                Birthday => (&["birthday"], "birthday"),
                SubBranchCode => (&["sub_branch_id"], "sub_branch_id"),
                OwnerUsername => (&["owner_id"], "owner_id"),
                AumTier | AumYuan => (&["aum_tier"], "aum_tier"),
                PayrollDay | PayrollFlag => (&["payroll_day"], "payroll_day"),
                CreditCard => (&["credit_card"], "credit_card"),
                Wealth => (&["wealth"], "wealth"),
                Loan => (&["loan"], "loan"),
                RiskGrade | RiskAssessedOn => (&["risk_grade", "risk_assessed_on"], "risk_grade"),
                ConsentOneToOne => (&["consent_1v1"], "consent_1v1"),
                ConsentMoments => (&["consent_moments"], "consent_moments"),
                ConsentGroup => (&["consent_group"], "consent_group"),
                ConsentPersonalised => (&["consent_personalised"], "consent_personalised"),
                WecomExternalUserid => (&["wecom_external_userid"], "wecom_external_userid"),
                WechatUnionid => (&["wechat_unionid"], "wechat_unionid"),
                CustomerNo | IdType | Ignore => (&[], ""),
            }
        }

        /// The columns [`stored_differs`] reads, the same ones [`upsert_tail`] compares.
        const COMPARED_COLS: &str = "customer_no, name, phone_index, id_index, id_type, gender, birthday, sub_branch_id, owner_id, \
            aum_tier, payroll_day, credit_card, wealth, loan, risk_grade, risk_assessed_on, consent_1v1, consent_moments, \
            consent_group, consent_personalised, wecom_external_userid, wechat_unionid";

        /// Whether a stored customer differs from `n` in a column `fields` writes: what the upsert's
        /// `WHERE <something differs>` asks, in Rust, for a preview that writes nothing (the conformance
        /// suite checks that a preview and the upsert that follows count alike).
        fn stored_differs(r: &DbRow, n: &$crate::NewCustomer, fields: &$crate::UpsertFields) -> $crate::error::StoreResult<bool> {
            use dom::import::Field::*;
            let text = |c: &str| get::<Option<String>>(r, c);
            let int = |c: &str| get::<Option<i64>>(r, c);
            let flag = |c: &str| get::<bool>(r, c);
            let index = |c: &str| get::<Option<Vec<u8>>>(r, c);
            for f in &fields.0 {
                let differs = match f {
                    Name => text("name")?.as_deref() != Some(n.name.as_str()),
                    Phone => index("phone_index")?.as_deref() != n.phone.as_ref().map(|p| p.index.as_slice()),
                    IdNumber => {
                        index("id_index")?.as_deref() != n.id_number.as_ref().map(|p| p.index.as_slice())
                            || text("id_type")?.as_deref() != n.id_type.map(|t| t.as_str())
                    }
                    Gender => text("gender")?.as_deref() != Some(n.gender.as_str()),
                    Birthday => text("birthday")? != n.birthday.map(iso_date),
                    SubBranchCode => int("sub_branch_id")? != Some(n.sub_branch_id.get()),
                    OwnerUsername => int("owner_id")? != n.owner_id.map(|o| o.get()),
                    AumTier | AumYuan => int("aum_tier")? != Some(i64::from(n.aum_tier.get())),
                    PayrollDay | PayrollFlag => int("payroll_day")? != n.segments.payroll_day.map(i64::from),
                    CreditCard => flag("credit_card")? != n.segments.credit_card,
                    Wealth => flag("wealth")? != n.segments.wealth,
                    Loan => flag("loan")? != n.segments.loan,
                    RiskGrade | RiskAssessedOn => {
                        int("risk_grade")? != n.risk.map(|x| i64::from(x.grade.get()))
                            || text("risk_assessed_on")? != n.risk.map(|x| iso_date(x.assessed_on))
                    }
                    ConsentOneToOne => flag("consent_1v1")? != n.consent.one_to_one,
                    ConsentMoments => flag("consent_moments")? != n.consent.moments,
                    ConsentGroup => flag("consent_group")? != n.consent.group,
                    ConsentPersonalised => flag("consent_personalised")? != n.consent.personalised,
                    WecomExternalUserid => text("wecom_external_userid")? != n.wecom_external_userid,
                    WechatUnionid => text("wechat_unionid")? != n.wechat_unionid,
                    CustomerNo | IdType | Ignore => false,
                };
                if differs {
                    return Ok(true);
                }
            }
            Ok(false)
        }

        /// `ON CONFLICT … DO UPDATE SET … WHERE <something differs>` for the given fields.
        fn upsert_tail(fields: &$crate::UpsertFields) -> String {
            let mut set: Vec<String> = Vec::new();
            let mut differs: Vec<String> = Vec::new();
            for f in &fields.0 {
                let (cols, key) = field_columns(*f);
                for c in cols {
                    let s = format!("{c} = excluded.{c}");
                    if !set.contains(&s) {
                        set.push(s);
                    }
                }
                if !key.is_empty() {
                    let d = format!("customers.{key} IS DISTINCT FROM excluded.{key}");
                    if !differs.contains(&d) {
                        differs.push(d);
                    }
                    if key == "risk_grade" && !differs.iter().any(|d| d.contains("risk_assessed_on")) {
                        differs.push("customers.risk_assessed_on IS DISTINCT FROM excluded.risk_assessed_on".into());
                    }
                    // The same number may be recorded again under another type.
                    if key == "id_index" && !differs.iter().any(|d| d.contains("id_type")) {
                        differs.push("customers.id_type IS DISTINCT FROM excluded.id_type".into());
                    }
                }
            }
            // A WeCom id from the bank's file is the file's link, whatever made the one before it.
            if fields.0.contains(&dom::import::Field::WecomExternalUserid) {
                set.push("wecom_link_method = NULL".into());
            }
            set.push("updated_at = excluded.updated_at".into());
            let cond = if differs.is_empty() { "FALSE".to_owned() } else { differs.join(" OR ") };
            format!(" ON CONFLICT (customer_no) DO UPDATE SET {} WHERE {cond} RETURNING id, created_at, customer_no", set.join(", "))
        }

        /// The list's filters, data scope first, on a query over `customers c`.
        fn customer_filters(qb: &mut Qb<'_>, scope: &Visible, f: &$crate::CustomerFilter) {
            push_scope(qb, scope);
            // Lists are bound as one parameter each, whatever their length.
            if !f.sub_branch_ids.is_empty() {
                let ids: Vec<i64> = f.sub_branch_ids.iter().map(|u| u.get()).collect();
                qb.push(" AND ");
                push_one_of(qb, "c.sub_branch_id", &ids);
            }
            if let Some(o) = f.owner_id {
                qb.push(" AND c.owner_id = ").push_bind(o.get());
            }
            if !f.risk_grades.is_empty() {
                let grades: Vec<i64> = f.risk_grades.iter().map(|g| i64::from(*g)).collect();
                qb.push(" AND ");
                push_one_of(qb, "c.risk_grade", &grades);
            }
            if let Some(t) = f.aum_tier_min {
                qb.push(" AND c.aum_tier >= ").push_bind(i64::from(t));
            }
            if let Some(t) = f.aum_tier_max {
                qb.push(" AND c.aum_tier <= ").push_bind(i64::from(t));
            }
            match f.segment {
                None => {}
                Some($crate::SegmentFilter::Payroll) => {
                    qb.push(" AND c.payroll_day IS NOT NULL");
                }
                Some($crate::SegmentFilter::CreditCard) => {
                    qb.push(" AND c.credit_card");
                }
                Some($crate::SegmentFilter::Wealth) => {
                    qb.push(" AND c.wealth");
                }
                Some($crate::SegmentFilter::Loan) => {
                    qb.push(" AND c.loan");
                }
            }
            if let Some(q) = f.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
                qb.push(" AND (c.customer_no = ").push_bind(q.to_owned());
                qb.push(" OR c.name LIKE ").push_bind(format!("%{q}%")).push(")");
            }
        }

        #[$crate::async_trait]
        impl $crate::CustomerStore for $store {
            async fn upsert_customers(&self, rows: &[$crate::NewCustomer], fields: &$crate::UpsertFields, now: dom::Timestamp) -> $crate::error::StoreResult<$crate::UpsertCounts> {
                let mut tx = begin_write(&self.pool).await?;
                let (counts, _) = upsert_in_tx(&mut *tx, rows, fields, now).await?;
                tx.commit().await.map_err(db_err)?;
                Ok(counts)
            }

            async fn customer(&self, scope: dom::scope::DataScope, id: dom::CustomerId) -> $crate::error::StoreResult<dom::customer::Customer> {
                let scope = visible(&self.pool, scope).await?;
                let mut qb = Qb::new(format!("SELECT {CUSTOMER_COLS} FROM customers c WHERE c.id = "));
                qb.push_bind(id.get());
                push_scope(&mut qb, &scope);
                let row = qb.build().fetch_one(&self.pool).await.map_err(db_err)?;
                customer_from_row(&row)
            }

            async fn customer_by_no(&self, scope: dom::scope::DataScope, no: &str) -> $crate::error::StoreResult<dom::customer::Customer> {
                let scope = visible(&self.pool, scope).await?;
                let mut qb = Qb::new(format!("SELECT {CUSTOMER_COLS} FROM customers c WHERE c.customer_no = "));
                qb.push_bind(no.to_owned());
                push_scope(&mut qb, &scope);
                let row = qb.build().fetch_one(&self.pool).await.map_err(db_err)?;
                customer_from_row(&row)
            }

            async fn list_customers(
                &self,
                scope: dom::scope::DataScope,
                f: &$crate::CustomerFilter,
                page: $crate::Page,
            ) -> $crate::error::StoreResult<$crate::Paged<dom::customer::Customer>> {
                let scope = visible(&self.pool, scope).await?;
                let mut qb = Qb::new("SELECT COUNT(*) FROM customers c WHERE 1=1");
                customer_filters(&mut qb, &scope, f);
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(format!("SELECT {CUSTOMER_COLS} FROM customers c WHERE 1=1"));
                customer_filters(&mut qb, &scope, f);
                qb.push(" ORDER BY c.id LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(customer_from_row).collect::<Result<_, _>>()?, total })
            }

            async fn customer_breakdown(
                &self,
                scope: dom::scope::DataScope,
                f: &$crate::CustomerFilter,
            ) -> $crate::error::StoreResult<$crate::CustomerBreakdown> {
                let scope = visible(&self.pool, scope).await?;
                let mut out = $crate::CustomerBreakdown::default();
                for (col, target) in [("c.aum_tier", 0), ("c.risk_grade", 1)] {
                    let mut qb = Qb::new(format!("SELECT {col} AS k, COUNT(*) AS n FROM customers c WHERE 1=1"));
                    customer_filters(&mut qb, &scope, f);
                    qb.push(format!(" GROUP BY {col} ORDER BY {col}"));
                    let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                    for r in &rows {
                        let k: Option<i64> = get(r, "k")?;
                        let n: i64 = get(r, "n")?;
                        let k = k.and_then(|k| u8::try_from(k).ok());
                        if target == 0 {
                            out.by_aum_tier.push((k.unwrap_or(0), n));
                        } else {
                            out.by_risk_grade.push((k, n));
                        }
                    }
                }
                Ok(out)
            }

            async fn customer_pii(&self, scope: dom::scope::DataScope, id: dom::CustomerId, field: dom::customer::PiiField) -> $crate::error::StoreResult<Vec<u8>> {
                let col = match field {
                    dom::customer::PiiField::Phone => "phone_cipher",
                    dom::customer::PiiField::IdNumber => "id_cipher",
                };
                let scope = visible(&self.pool, scope).await?;
                let mut qb = Qb::new(format!("SELECT c.{col} FROM customers c WHERE c.id = "));
                qb.push_bind(id.get());
                push_scope(&mut qb, &scope);
                let v: Option<Vec<u8>> = qb.build_query_scalar().fetch_one(&self.pool).await.map_err(db_err)?;
                v.ok_or($crate::StoreError::NotFound)
            }

            async fn link_wecom(
                &self,
                id: dom::CustomerId,
                external_userid: &str,
                method: dom::customer::WecomLinkMethod,
                now: dom::Timestamp,
            ) -> $crate::error::StoreResult<bool> {
                use dom::customer::WecomLinkMethod;
                let mut tx = begin_write(&self.pool).await?;
                let mut changed = false;
                if method == WecomLinkMethod::Unionid {
                    // Another customer's remark-mobile claim on this contact gives way.
                    let r = ::sqlx::query(
                        "UPDATE customers SET wecom_external_userid = NULL, wecom_link_method = NULL, updated_at = $3 \
                         WHERE wecom_external_userid = $2 AND id <> $1 AND wecom_link_method = 'remark_mobile'",
                    )
                    .bind(id.get())
                    .bind(external_userid)
                    .bind(now.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    changed = r.rows_affected() > 0;
                }
                // What the customer's present link may be for this method to replace it.
                let replaceable = match method {
                    WecomLinkMethod::Unionid => "(wecom_external_userid IS NULL OR wecom_link_method = 'remark_mobile')",
                    WecomLinkMethod::RemarkMobile => "wecom_external_userid IS NULL",
                };
                let r = ::sqlx::query(&format!(
                    "UPDATE customers SET wecom_external_userid = $2, wecom_link_method = $4, updated_at = $3 \
                     WHERE id = $1 AND {replaceable} \
                     AND NOT EXISTS (SELECT 1 FROM customers o WHERE o.wecom_external_userid = $2 AND o.id <> $1)"
                ))
                .bind(id.get())
                .bind(external_userid)
                .bind(now.millis())
                .bind(method.as_str())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(changed || r.rows_affected() > 0)
            }

            async fn customers_by_phone_index(&self, scope: dom::scope::DataScope, index: &[u8]) -> $crate::error::StoreResult<Vec<dom::customer::Customer>> {
                let scope = visible(&self.pool, scope).await?;
                let mut qb = Qb::new(format!("SELECT {CUSTOMER_COLS} FROM customers c WHERE c.phone_index = "));
                qb.push_bind(index.to_vec());
                push_scope(&mut qb, &scope);
                qb.push(" ORDER BY c.id LIMIT 100");
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                rows.iter().map(customer_from_row).collect()
            }

            async fn customers_by_unionid(&self, unionid: &str) -> $crate::error::StoreResult<Vec<dom::CustomerId>> {
                let ids: Vec<i64> = ::sqlx::query_scalar("SELECT id FROM customers WHERE wechat_unionid = $1 ORDER BY id LIMIT 10")
                    .bind(unionid)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(ids.into_iter().map(dom::CustomerId::new).collect())
            }

            async fn customer_ids_by_numbers(&self, numbers: &[String]) -> $crate::error::StoreResult<std::collections::HashMap<String, dom::CustomerId>> {
                let mut out = std::collections::HashMap::with_capacity(numbers.len());
                for chunk in numbers.chunks(1000) {
                    let mut qb = Qb::new("SELECT id, customer_no FROM customers WHERE customer_no IN (");
                    let mut sep = qb.separated(", ");
                    for n in chunk {
                        sep.push_bind(n.clone());
                    }
                    qb.push(")");
                    for r in qb.build().fetch_all(&self.pool).await.map_err(db_err)? {
                        out.insert(get(&r, "customer_no")?, dom::CustomerId::new(get(&r, "id")?));
                    }
                }
                Ok(out)
            }

            async fn customers_by_ids(&self, scope: dom::scope::DataScope, ids: &[dom::CustomerId]) -> $crate::error::StoreResult<Vec<dom::customer::Customer>> {
                let scope = visible(&self.pool, scope).await?;
                let mut found = std::collections::HashMap::with_capacity(ids.len());
                for chunk in ids.chunks(1000) {
                    let mut qb = Qb::new(format!("SELECT {CUSTOMER_COLS} FROM customers c WHERE c.id IN ("));
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind(id.get());
                    }
                    qb.push(")");
                    push_scope(&mut qb, &scope);
                    for r in qb.build().fetch_all(&self.pool).await.map_err(db_err)? {
                        let c = customer_from_row(&r)?;
                        found.insert(c.id, c);
                    }
                }
                Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
            }

            async fn preview_upsert(&self, rows: &[$crate::NewCustomer], fields: &$crate::UpsertFields) -> $crate::error::StoreResult<$crate::UpsertCounts> {
                let mut counts = $crate::UpsertCounts::default();
                for chunk in rows.chunks(1000) {
                    let mut qb = Qb::new(format!("SELECT {COMPARED_COLS} FROM customers WHERE customer_no IN ("));
                    let mut sep = qb.separated(", ");
                    for r in chunk {
                        sep.push_bind(r.customer_no.clone());
                    }
                    qb.push(")");
                    let stored = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                    let by_no: std::collections::HashMap<String, &DbRow> =
                        stored.iter().map(|r| Ok((get::<String>(r, "customer_no")?, r))).collect::<$crate::error::StoreResult<_>>()?;
                    for n in chunk {
                        match by_no.get(&n.customer_no) {
                            None => counts.inserted += 1,
                            Some(r) if stored_differs(r, n, fields)? => counts.updated += 1,
                            Some(_) => counts.unchanged += 1,
                        }
                    }
                }
                Ok(counts)
            }
        }
    };
}
