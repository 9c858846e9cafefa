//! Inserting a batch of new customers through SQLite's own API: the one module of siyu with `unsafe`.
//!
//! sqlx runs each statement on its connection's worker thread and hands every statement's result back
//! across a channel, so a batch costs at least one thread hand-off per statement; SQLite, in turn, runs
//! a prepared single-row INSERT faster than any multi-row form (see `upsert.rs`). Together they capped a
//! 1,000,000-row import near 60,000 rows/s. Here one statement is prepared and stepped once per customer
//! on the caller's thread, inside the transaction sqlx opened on the same connection.

#![allow(unsafe_code)]

use std::ptr::NonNull;

use rusqlite::{ffi, params};
use siyu_store::domain::CustomerId;
use siyu_store::{NewCustomer, StoreError, WrittenRow};

use crate::iso_date;

/// The columns of `CUSTOMER_INSERT_COLS`, with the id first (ids are handed out here). A customer number
/// already stored inserts nothing, and the row is given back to be upserted.
const INSERT: &str = "INSERT INTO customers (id, customer_no, name, phone_cipher, phone_index, phone_masked, id_cipher, \
    id_index, id_masked, id_type, gender, birthday, sub_branch_id, owner_id, aum_tier, payroll_day, credit_card, wealth, \
    loan, risk_grade, risk_assessed_on, consent_1v1, consent_moments, consent_group, consent_personalised, \
    wecom_external_userid, wechat_unionid, created_at, updated_at) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, \
    ?24, ?25, ?26, ?27, ?28, ?28) ON CONFLICT (customer_no) DO NOTHING";

/// Inserts the `rows` whose customer numbers are not stored yet, with ids `first_id`, `first_id + 1`, …
/// in order, on the connection behind `db`; returns the rows it inserted and those it did not (already
/// stored, or repeated within `rows`).
///
/// The caller must hold sqlx's lock on that connection (`LockedSqliteHandle`) for the whole call and
/// must be inside a write transaction on it: a failure leaves earlier rows to that transaction's rollback.
pub(crate) fn insert_new_customers(
    db: NonNull<ffi::sqlite3>,
    rows: &[NewCustomer],
    first_id: i64,
    now_ms: i64,
) -> Result<(Vec<WrittenRow>, Vec<&NewCustomer>), StoreError> {
    // SAFETY: `db` is a live connection handle that sqlx opened and that nothing else uses while the
    // caller holds sqlx's handle lock, which outlives this function. `from_handle` does not take
    // ownership (it never closes the handle), and `conn` with every statement prepared on it is
    // finalized when this function returns, before the handle goes back to sqlx.
    let conn = unsafe { rusqlite::Connection::from_handle(db.as_ptr()) }.map_err(bulk_err)?;
    let mut insert = conn.prepare(INSERT).map_err(bulk_err)?;
    let mut next_id = first_id;
    let mut inserted = Vec::with_capacity(rows.len());
    let mut stored = Vec::new();
    for c in rows {
        let changes = insert
            .execute(params![
                next_id,
                c.customer_no,
                c.name,
                c.phone.as_ref().map(|p| &p.cipher),
                c.phone.as_ref().map(|p| &p.index),
                c.phone.as_ref().map(|p| &p.masked),
                c.id_number.as_ref().map(|p| &p.cipher),
                c.id_number.as_ref().map(|p| &p.index),
                c.id_number.as_ref().map(|p| &p.masked),
                c.id_type.map(|t| t.as_str()),
                c.gender.as_str(),
                c.birthday.map(iso_date),
                c.sub_branch_id.get(),
                c.owner_id.map(|o| o.get()),
                i64::from(c.aum_tier.get()),
                c.segments.payroll_day.map(i64::from),
                c.segments.credit_card,
                c.segments.wealth,
                c.segments.loan,
                c.risk.map(|r| i64::from(r.grade.get())),
                c.risk.map(|r| iso_date(r.assessed_on)),
                c.consent.one_to_one,
                c.consent.moments,
                c.consent.group,
                c.consent.personalised,
                c.wecom_external_userid,
                c.wechat_unionid,
                now_ms,
            ])
            .map_err(bulk_err)?;
        if changes == 1 {
            inserted.push(WrittenRow {
                id: CustomerId::new(next_id),
                customer_no: c.customer_no.clone(),
                inserted: true,
            });
            next_id += 1;
        } else {
            stored.push(c);
        }
    }
    Ok((inserted, stored))
}

/// Unique (and primary-key) violations become `Conflict`, as from sqlx (`db_err`).
fn bulk_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg)
            if matches!(f.extended_code, ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) =>
        {
            StoreError::Conflict(msg.clone().unwrap_or_else(|| e.to_string()))
        }
        _ => StoreError::Database(e.to_string()),
    }
}
