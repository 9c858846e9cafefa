//! Browser sessions and API tokens: both stored only as hashes of their secrets.

#[macro_export]
macro_rules! sql_sessions {
    ($store:ty) => {
        fn api_token_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::ApiToken> {
            let scopes: String = get(r, "scopes")?;
            Ok($crate::ApiToken {
                id: dom::ApiTokenId::new(get(r, "id")?),
                name: get(r, "name")?,
                scopes: scopes
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(|s| dom::scope::ApiScope::parse(s).ok_or_else(|| corrupt(format!("api scope {s}"))))
                    .collect::<Result<_, _>>()?,
                created_by: get::<Option<i64>>(r, "created_by")?.map(dom::StaffId::new),
                created_at: ts(get(r, "created_at")?),
                revoked_at: get::<Option<i64>>(r, "revoked_at")?.map(ts),
                last_used_at: get::<Option<i64>>(r, "last_used_at")?.map(ts),
            })
        }

        const TOKEN_COLS: &str = "id, name, scopes, created_by, created_at, revoked_at, last_used_at";

        #[$crate::async_trait]
        impl $crate::SessionStore for $store {
            async fn create_session(&self, hash: &[u8], staff_id: dom::StaffId, csrf: &str, expires_at: dom::Timestamp) -> $crate::error::StoreResult<()> {
                ::sqlx::query("INSERT INTO sessions (token_hash, staff_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(hash.to_vec())
                    .bind(staff_id.get())
                    .bind(csrf)
                    .bind(expires_at.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn session(&self, hash: &[u8], now: dom::Timestamp) -> $crate::error::StoreResult<$crate::SessionRecord> {
                let row = ::sqlx::query(&format!(
                    "SELECT {STAFF_COLS}, s.must_change_password, x.csrf_token, x.expires_at FROM sessions x JOIN staff s ON s.id = x.staff_id \
                     WHERE x.token_hash = $1 AND x.expires_at > $2 AND s.active"
                ))
                .bind(hash.to_vec())
                .bind(now.millis())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                Ok($crate::SessionRecord {
                    staff: staff_from_row(&row)?,
                    csrf_token: get(&row, "csrf_token")?,
                    expires_at: ts(get(&row, "expires_at")?),
                    must_change_password: get(&row, "must_change_password")?,
                })
            }

            async fn delete_session(&self, hash: &[u8]) -> $crate::error::StoreResult<()> {
                ::sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash.to_vec()).execute(&self.pool).await.map_err(db_err)?;
                Ok(())
            }

            async fn purge_expired_sessions(&self, now: dom::Timestamp) -> $crate::error::StoreResult<u64> {
                let r = ::sqlx::query("DELETE FROM sessions WHERE expires_at <= $1").bind(now.millis()).execute(&self.pool).await.map_err(db_err)?;
                Ok(r.rows_affected())
            }

            async fn delete_sessions_of(&self, staff_id: dom::StaffId) -> $crate::error::StoreResult<()> {
                ::sqlx::query("DELETE FROM sessions WHERE staff_id = $1").bind(staff_id.get()).execute(&self.pool).await.map_err(db_err)?;
                Ok(())
            }
        }

        #[$crate::async_trait]
        impl $crate::ApiTokenStore for $store {
            async fn create_api_token(&self, t: &$crate::NewApiToken) -> $crate::error::StoreResult<$crate::ApiToken> {
                let scopes: Vec<&str> = t.scopes.iter().map(|s| s.as_str()).collect();
                let row = ::sqlx::query(&format!(
                    "INSERT INTO api_tokens (name, token_hash, scopes, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING {TOKEN_COLS}"
                ))
                .bind(&t.name)
                .bind(&t.token_hash)
                .bind(scopes.join(","))
                .bind(t.created_by.map(|s| s.get()))
                .bind(t.created_at.millis())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                api_token_from_row(&row)
            }

            async fn use_api_token(&self, hash: &[u8], now: dom::Timestamp) -> $crate::error::StoreResult<$crate::ApiToken> {
                let row = ::sqlx::query(&format!(
                    "UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL RETURNING {TOKEN_COLS}"
                ))
                .bind(hash.to_vec())
                .bind(now.millis())
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
                api_token_from_row(&row)
            }

            async fn list_api_tokens(&self) -> $crate::error::StoreResult<Vec<$crate::ApiToken>> {
                let rows = ::sqlx::query(&format!("SELECT {TOKEN_COLS} FROM api_tokens ORDER BY id DESC"))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db_err)?;
                rows.iter().map(api_token_from_row).collect()
            }

            async fn revoke_api_token(&self, id: dom::ApiTokenId, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let n = ::sqlx::query("UPDATE api_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                    .bind(id.get())
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                one_row(n)
            }
        }
    };
}
