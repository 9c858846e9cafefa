//! Append-only schema migrations: each backend lists its files in order, and a file once applied may
//! never change (its checksum is recorded and compared on every start).

/// One migration file, embedded in the binary with `include_str!`.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// File name, e.g. `0001_foundation.sql`; the same names exist in every backend's tree.
    pub name: &'static str,
    pub sql: &'static str,
}

/// FNV-1a over the file text: enough to notice an edited migration, which is all it is for.
pub fn checksum(sql: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in sql.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}
