//! The batched customer upsert on SQLite: new customers by one prepared single-row INSERT stepped per
//! row (`bulk.rs`); customers already there through the shared `ON CONFLICT … DO UPDATE` statement.
//!
//! PostgreSQL takes a batch as one `INSERT … SELECT FROM UNNEST(…) ON CONFLICT … RETURNING` (its own
//! `upsert.rs`).
//! SQLite does not: measured on this schema with SQLite's C API, a prepared single-row INSERT ran at
//! ~146,000 rows/s, the same rows as 1,000-row VALUES lists at ~108,000 rows/s, and RETURNING cut a
//! single-row INSERT to ~48,000 rows/s. So every row is first offered to a single-row
//! `INSERT … ON CONFLICT (customer_no) DO NOTHING` with an id handed out here (the write lock is held,
//! so `MAX(id) + 1 …` is free), which needs no RETURNING; only the rows it leaves, customers already
//! stored, take the slower statement that compares and updates.

use siyu_store::domain as dom;
use siyu_store::error::StoreResult;
use siyu_store::{NewCustomer, UpsertCounts, UpsertFields, WrittenRow};

use crate::{CUSTOMER_INSERT_COLS, DbConn, Qb, db_err, iso_date, upsert_tail};

/// Rows per `ON CONFLICT … DO UPDATE` statement (28 parameters a row stay under SQLite's 32,766).
const CHUNK: usize = 1000;

/// Upserts `rows` inside an open write transaction; see `CustomerStore::upsert_customers`. Also returns
/// the ids of the rows inserted or changed.
pub(crate) async fn upsert_in_tx(
    conn: &mut DbConn,
    rows: &[NewCustomer],
    fields: &UpsertFields,
    now: dom::Timestamp,
) -> StoreResult<(UpsertCounts, Vec<WrittenRow>)> {
    // A WeCom id the bank's file gives is the file's: a manager's remark claim on the same contact
    // gives way, before the rows are written and would fail on the unique index. Done here for the
    // batch rather than by a row trigger on every insert, which cost a fifth of the import's speed.
    let files_links: Vec<&str> = rows.iter().filter_map(|r| r.wecom_external_userid.as_deref()).collect();
    for chunk in files_links.chunks(500) {
        let mut qb = Qb::new(
            "UPDATE customers SET wecom_external_userid = NULL, wecom_link_method = NULL \
             WHERE wecom_link_method = 'remark_mobile' AND wecom_external_userid IN (",
        );
        let mut sep = qb.separated(", ");
        for ext in chunk {
            sep.push_bind(*ext);
        }
        qb.push(")");
        qb.build().execute(&mut *conn).await.map_err(db_err)?;
    }
    let first_id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM customers")
        .fetch_one(&mut *conn)
        .await
        .map_err(db_err)?;
    let (mut written, existing) = {
        let mut handle = conn.lock_handle().await.map_err(db_err)?;
        let db = handle.as_raw_handle();
        off_the_reactor(|| crate::bulk::insert_new_customers(db, rows, first_id, now.millis()))?
    };

    let mut counts = UpsertCounts { inserted: written.len() as i64, ..UpsertCounts::default() };
    let tail = upsert_tail(fields);
    for chunk in existing.chunks(CHUNK) {
        let mut qb = Qb::new(format!("INSERT INTO customers ({CUSTOMER_INSERT_COLS}) "));
        qb.push_values(chunk, |mut b, c| push_customer(&mut b, c, now));
        qb.push(&tail);
        // Only changed rows come back (the update's WHERE), and none of these is an insert.
        let back: Vec<(i64, i64, String)> = qb.build_query_as().fetch_all(&mut *conn).await.map_err(db_err)?;
        counts.updated += back.len() as i64;
        counts.unchanged += (chunk.len() - back.len()) as i64;
        written.extend(back.into_iter().map(|(id, _, customer_no)| WrittenRow {
            id: dom::CustomerId::new(id),
            customer_no,
            inserted: false,
        }));
    }
    Ok((counts, written))
}

/// Binds one customer's values in `CUSTOMER_INSERT_COLS` order (for the rows `bulk.rs` did not insert).
fn push_customer<'a>(
    b: &mut sqlx::query_builder::Separated<'_, 'a, sqlx::Sqlite, &'static str>,
    c: &'a NewCustomer,
    now: dom::Timestamp,
) {
    b.push_bind(&c.customer_no)
        .push_bind(&c.name)
        .push_bind(c.phone.as_ref().map(|p| &p.cipher))
        .push_bind(c.phone.as_ref().map(|p| &p.index))
        .push_bind(c.phone.as_ref().map(|p| &p.masked))
        .push_bind(c.id_number.as_ref().map(|p| &p.cipher))
        .push_bind(c.id_number.as_ref().map(|p| &p.index))
        .push_bind(c.id_number.as_ref().map(|p| &p.masked))
        .push_bind(c.id_type.map(|t| t.as_str()))
        .push_bind(c.gender.as_str())
        .push_bind(c.birthday.map(iso_date))
        .push_bind(c.sub_branch_id.get())
        .push_bind(c.owner_id.map(|o| o.get()))
        .push_bind(i64::from(c.aum_tier.get()))
        .push_bind(c.segments.payroll_day.map(i64::from))
        .push_bind(c.segments.credit_card)
        .push_bind(c.segments.wealth)
        .push_bind(c.segments.loan)
        .push_bind(c.risk.map(|r| i64::from(r.grade.get())))
        .push_bind(c.risk.map(|r| iso_date(r.assessed_on)))
        .push_bind(c.consent.one_to_one)
        .push_bind(c.consent.moments)
        .push_bind(c.consent.group)
        .push_bind(c.consent.personalised)
        .push_bind(&c.wecom_external_userid)
        .push_bind(&c.wechat_unionid)
        .push_bind(now.millis())
        .push_bind(now.millis());
}

/// Runs blocking work from async code without stalling other tasks: on a multi-threaded runtime the
/// worker hands its tasks to others first; elsewhere (a test's single thread) it just runs.
fn off_the_reactor<T>(work: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(work),
        _ => work(),
    }
}
