//! The job queue: enqueue with de-duplication, claim with a lease, complete, fail with retry.

/// `$claim_lock` is appended to the claim's inner SELECT: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so
/// concurrent workers pass over each other's rows; empty on SQLite, whose single writer already
/// serialises the UPDATE.
#[macro_export]
macro_rules! sql_jobs {
    ($store:ty, $claim_lock:literal) => {
        const JOB_COLS: &str =
            "id, kind, payload, status, run_at, attempts, max_attempts, lease_until, worker, last_error, created_at, finished_at";

        fn job_from_row(r: &DbRow) -> $crate::error::StoreResult<dom::job::Job> {
            let status: String = get(r, "status")?;
            let attempts: i64 = get(r, "attempts")?;
            let max_attempts: i64 = get(r, "max_attempts")?;
            Ok(dom::job::Job {
                id: dom::JobId::new(get(r, "id")?),
                kind: get(r, "kind")?,
                payload: get(r, "payload")?,
                status: dom::job::JobStatus::parse(&status).ok_or_else(|| corrupt(format!("job status {status}")))?,
                run_at: ts(get(r, "run_at")?),
                attempts: i32::try_from(attempts).map_err(corrupt)?,
                max_attempts: i32::try_from(max_attempts).map_err(corrupt)?,
                lease_until: get::<Option<i64>>(r, "lease_until")?.map(ts),
                worker: get(r, "worker")?,
                last_error: get(r, "last_error")?,
                created_at: ts(get(r, "created_at")?),
                finished_at: get::<Option<i64>>(r, "finished_at")?.map(ts),
            })
        }

        /// Queues a job on `conn` (so callers can do it inside their own transaction). The partial unique
        /// index on dedupe_key (queued jobs only) turns a duplicate into "no row inserted" rather than an
        /// error; a twin of a running job is queued, and waits for it (see `claim`).
        async fn insert_job(conn: &mut DbConn, j: &dom::job::NewJob) -> $crate::error::StoreResult<Option<dom::JobId>> {
            let id: Option<i64> = ::sqlx::query_scalar(
                "INSERT INTO jobs (kind, payload, status, run_at, attempts, max_attempts, dedupe_key, created_at) \
                 VALUES ($1, $2, 'queued', $3, 0, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(&j.kind)
            .bind(&j.payload)
            .bind(j.run_at.millis())
            .bind(i64::from(j.max_attempts))
            .bind(&j.dedupe_key)
            .bind(::chrono::Utc::now().timestamp_millis())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db_err)?;
            Ok(id.map(dom::JobId::new))
        }

        #[$crate::async_trait]
        impl $crate::JobQueue for $store {
            async fn enqueue(&self, j: &dom::job::NewJob) -> $crate::error::StoreResult<Option<dom::JobId>> {
                let mut conn = self.pool.acquire().await.map_err(db_err)?;
                insert_job(&mut conn, j).await
            }

            async fn claim(&self, worker: &str, now: dom::Timestamp, lease_secs: i64) -> $crate::error::StoreResult<Option<dom::job::Job>> {
                // A job whose twin (same dedupe key) is running waits for it: the twin was queued by a
                // change made during that run, and the two must not run side by side. A lapsed twin is
                // itself claimable, so a waiting job never waits on a dead worker for longer than a lease.
                let sql = format!(
                    "UPDATE jobs SET status = 'running', worker = $1, lease_until = $2, attempts = attempts + 1 \
                     WHERE id = (SELECT id FROM jobs q \
                                 WHERE ((q.status = 'queued' AND q.run_at <= $3) OR (q.status = 'running' AND q.lease_until < $3)) \
                                   AND (q.dedupe_key IS NULL OR NOT EXISTS ( \
                                        SELECT 1 FROM jobs r WHERE r.dedupe_key = q.dedupe_key AND r.status = 'running' AND r.id <> q.id)) \
                                 ORDER BY q.run_at, q.id LIMIT 1 {}) \
                     RETURNING {JOB_COLS}",
                    $claim_lock
                );
                let row = ::sqlx::query(&sql)
                    .bind(worker)
                    .bind(now.plus_secs(lease_secs).millis())
                    .bind(now.millis())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(job_from_row).transpose()
            }

            async fn extend_lease(&self, id: dom::JobId, worker: &str, until: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query("UPDATE jobs SET lease_until = $3 WHERE id = $1 AND worker = $2 AND status = 'running'")
                    .bind(id.get())
                    .bind(worker)
                    .bind(until.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n == 0 { Err($crate::StoreError::Stale(format!("{worker} no longer holds {id}"))) } else { Ok(()) }
            }

            async fn complete(&self, id: dom::JobId, worker: &str, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query(
                    "UPDATE jobs SET status = 'succeeded', lease_until = NULL, finished_at = $3, last_error = NULL \
                     WHERE id = $1 AND worker = $2 AND status = 'running'",
                )
                .bind(id.get())
                .bind(worker)
                .bind(now.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 { Err($crate::StoreError::Stale(format!("{worker} no longer holds {id}"))) } else { Ok(()) }
            }

            async fn fail(&self, id: dom::JobId, worker: &str, error: &str, retry_at: Option<dom::Timestamp>, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let stale = || $crate::StoreError::Stale(format!("{worker} no longer holds {id}"));
                if let Some(at) = retry_at {
                    let retried = ::sqlx::query(
                        "UPDATE jobs SET status = 'queued', run_at = $4, lease_until = NULL, worker = NULL, last_error = $3 \
                         WHERE id = $1 AND worker = $2 AND status = 'running'",
                    )
                    .bind(id.get())
                    .bind(worker)
                    .bind(error)
                    .bind(at.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err);
                    match retried {
                        Ok(r) if r.rows_affected() == 0 => return Err(stale()),
                        Ok(_) => return Ok(()),
                        // A twin is queued already (the unique index on queued dedupe keys): it runs the
                        // same work after this attempt, so this one ends failed instead of being retried.
                        Err($crate::StoreError::Conflict(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                let n = ::sqlx::query(
                    "UPDATE jobs SET status = 'failed', lease_until = NULL, finished_at = $4, last_error = $3 \
                     WHERE id = $1 AND worker = $2 AND status = 'running'",
                )
                .bind(id.get())
                .bind(worker)
                .bind(error)
                .bind(now.millis())
                .execute(&self.pool)
                .await
                .map_err(db_err)?
                .rows_affected();
                if n == 0 { Err(stale()) } else { Ok(()) }
            }

            async fn job(&self, id: dom::JobId) -> $crate::error::StoreResult<dom::job::Job> {
                let row = ::sqlx::query(&format!("SELECT {JOB_COLS} FROM jobs WHERE id = $1"))
                    .bind(id.get())
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                job_from_row(&row)
            }

            async fn list_jobs(&self, f: &$crate::JobFilter, page: $crate::Page) -> $crate::error::StoreResult<$crate::Paged<dom::job::Job>> {
                fn filters(qb: &mut Qb<'_>, f: &$crate::JobFilter) {
                    if let Some(s) = f.status {
                        qb.push(" AND status = ").push_bind(s.as_str());
                    }
                    if let Some(k) = f.kind.as_deref().filter(|k| !k.is_empty()) {
                        qb.push(" AND kind = ").push_bind(k.to_owned());
                    }
                }
                let mut qb = Qb::new("SELECT COUNT(*) FROM jobs WHERE 1=1");
                filters(&mut qb, f);
                let total = count(&mut qb, &self.pool).await?;
                let mut qb = Qb::new(format!("SELECT {JOB_COLS} FROM jobs WHERE 1=1"));
                filters(&mut qb, f);
                qb.push(" ORDER BY id DESC LIMIT ").push_bind(page.limit).push(" OFFSET ").push_bind(page.offset);
                let rows = qb.build().fetch_all(&self.pool).await.map_err(db_err)?;
                Ok($crate::Paged { items: rows.iter().map(job_from_row).collect::<Result<_, _>>()?, total })
            }

            async fn latest_job_with_key(&self, key: &str) -> $crate::error::StoreResult<Option<dom::job::Job>> {
                let row = ::sqlx::query(&format!("SELECT {JOB_COLS} FROM jobs WHERE dedupe_key = $1 ORDER BY id DESC LIMIT 1"))
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db_err)?;
                row.as_ref().map(job_from_row).transpose()
            }
        }
    };
}
