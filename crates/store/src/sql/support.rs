//! Helpers every backend needs: error mapping, row decoding, the migration runner, the data-scope clause.

/// Expands the shared helpers for backend `$db` (`sqlx::Sqlite` or `sqlx::Postgres`). The backend crate
/// itself defines `begin_write(&pool)`, which opens a transaction that will write, and
/// `push_one_of(qb, column, ids)`, which tests a column against a list of ids bound as one parameter
/// (the list's length changes neither the statement's text nor its number of parameters).
#[macro_export]
macro_rules! sql_support {
    ($db:ty) => {
        use ::sqlx::Row as _;
        use $crate::domain as dom;

        type DbRow = <$db as ::sqlx::Database>::Row;
        type Qb<'a> = ::sqlx::QueryBuilder<'a, $db>;
        type DbConn = <$db as ::sqlx::Database>::Connection;

        /// Maps a driver error to a store error; unique violations become `Conflict`.
        fn db_err(e: ::sqlx::Error) -> $crate::StoreError {
            match &e {
                ::sqlx::Error::RowNotFound => $crate::StoreError::NotFound,
                ::sqlx::Error::Database(d) if d.is_unique_violation() => $crate::StoreError::Conflict(d.message().to_owned()),
                _ => $crate::StoreError::Database(e.to_string()),
            }
        }

        /// `Ok` when a statement touched a row, `NotFound` when it touched none.
        fn one_row(rows_affected: u64) -> $crate::error::StoreResult<()> {
            if rows_affected == 0 { Err($crate::StoreError::NotFound) } else { Ok(()) }
        }

        fn corrupt(what: impl ::std::fmt::Display) -> $crate::StoreError {
            $crate::StoreError::Corrupt(what.to_string())
        }

        fn get<'r, T>(r: &'r DbRow, col: &str) -> $crate::error::StoreResult<T>
        where
            T: ::sqlx::Decode<'r, $db> + ::sqlx::Type<$db>,
        {
            r.try_get(col).map_err(|e| corrupt(format!("{col}: {e}")))
        }

        fn ts(ms: i64) -> dom::Timestamp {
            dom::Timestamp::from_millis(ms)
        }

        /// A date as every date column holds it, `YYYY-MM-DD` (read back by `parse_date`).
        fn iso_date(d: ::chrono::NaiveDate) -> String {
            use ::chrono::Datelike;
            format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
        }

        fn parse_date(col: &str, s: Option<String>) -> $crate::error::StoreResult<Option<::chrono::NaiveDate>> {
            s.map(|s| ::chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_err(|_| corrupt(format!("{col}: {s}"))))
                .transpose()
        }

        /// What a data scope lets a query see, its subtree already walked.
        enum Visible {
            All,
            /// Rows filed at one of these units.
            Units(Vec<i64>),
            OwnedBy(i64),
        }

        /// The ids of `root` and every unit below it, walked by the domain's `OrgTree` (the one walk every
        /// scope uses) over the units as they are now: a few thousand at most, read afresh each time so a
        /// unit just added by another instance is in scope at once.
        async fn units_under(pool: &::sqlx::Pool<$db>, root: dom::OrgUnitId) -> $crate::error::StoreResult<Vec<i64>> {
            let links: Vec<(i64, Option<i64>)> =
                ::sqlx::query_as("SELECT id, parent_id FROM org_units").fetch_all(pool).await.map_err(db_err)?;
            let tree = dom::org_tree::OrgTree::from_links(
                links.into_iter().map(|(id, parent)| (dom::OrgUnitId::new(id), parent.map(dom::OrgUnitId::new))),
            );
            Ok(tree.subtree(root).into_iter().map(|u| u.get()).collect())
        }

        async fn visible(pool: &::sqlx::Pool<$db>, scope: dom::scope::DataScope) -> $crate::error::StoreResult<Visible> {
            use dom::scope::DataScope;
            Ok(match scope {
                DataScope::All => Visible::All,
                DataScope::Subtree(root) => Visible::Units(units_under(pool, root).await?),
                DataScope::OwnedBy(s) => Visible::OwnedBy(s.get()),
            })
        }

        /// Narrows a query on `customers c` to what `v` may see.
        fn push_scope(qb: &mut Qb<'_>, v: &Visible) {
            match v {
                Visible::All => {}
                Visible::Units(units) => {
                    qb.push(" AND ");
                    push_one_of(qb, "c.sub_branch_id", units);
                }
                Visible::OwnedBy(s) => {
                    qb.push(" AND c.owner_id = ").push_bind(*s);
                }
            }
        }

        /// Applies `migrations` in order, each in its own transaction, recording name and checksum;
        /// refuses to start if an applied file was edited or is missing from the list.
        async fn run_migrations(pool: &::sqlx::Pool<$db>, migrations: &[$crate::migrate::Migration]) -> $crate::error::StoreResult<usize> {
            let merr = |e: ::sqlx::Error| $crate::StoreError::Migration(e.to_string());
            ::sqlx::raw_sql(
                "CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)",
            )
            .execute(pool)
            .await
            .map_err(merr)?;
            let applied: Vec<(String, String)> =
                ::sqlx::query_as("SELECT name, checksum FROM schema_migrations ORDER BY name").fetch_all(pool).await.map_err(merr)?;
            for (name, sum) in &applied {
                match migrations.iter().find(|m| m.name == name) {
                    None => return Err($crate::StoreError::Migration(format!("database has migration {name} this build does not know: is the binary older than the database?"))),
                    Some(m) if &$crate::migrate::checksum(m.sql) != sum => {
                        return Err($crate::StoreError::Migration(format!("migration {name} was edited after it was applied; migrations are append-only")))
                    }
                    Some(_) => {}
                }
            }
            let mut ran = 0;
            for m in migrations {
                if applied.iter().any(|(n, _)| n == m.name) {
                    continue;
                }
                let mut tx = pool.begin().await.map_err(merr)?;
                ::sqlx::raw_sql(m.sql).execute(&mut *tx).await.map_err(|e| $crate::StoreError::Migration(format!("{}: {e}", m.name)))?;
                ::sqlx::query("INSERT INTO schema_migrations (name, checksum, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.name)
                    .bind($crate::migrate::checksum(m.sql))
                    .bind(::chrono::Utc::now().timestamp_millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(merr)?;
                tx.commit().await.map_err(merr)?;
                ran += 1;
            }
            Ok(ran)
        }

        /// Runs a `SELECT COUNT(*)` built with the same filters as its page query.
        async fn count(qb: &mut Qb<'_>, pool: &::sqlx::Pool<$db>) -> $crate::error::StoreResult<i64> {
            qb.build_query_scalar::<i64>().fetch_one(pool).await.map_err(db_err)
        }
    };
}
