//! Customer groups and their members, present and past.

#[macro_export]
macro_rules! sql_groups {
    ($store:ty) => {
        fn group_from_row(r: &DbRow) -> $crate::error::StoreResult<$crate::GroupChatRecord> {
            Ok($crate::GroupChatRecord {
                chat_id: get(r, "chat_id")?,
                name: get(r, "name")?,
                owner_userid: get(r, "owner_userid")?,
                member_version: get(r, "member_version")?,
                dismissed: get(r, "dismissed")?,
            })
        }

        #[$crate::async_trait]
        impl $crate::GroupStore for $store {
            async fn save_group(&self, g: &$crate::GroupChatRecord, members: &[$crate::GroupMemberRecord], now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let mut tx = begin_write(&self.pool).await?;
                ::sqlx::query(
                    "INSERT INTO group_chats (chat_id, name, owner_userid, member_version, dismissed, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (chat_id) DO UPDATE SET name = excluded.name, \
                     owner_userid = excluded.owner_userid, member_version = excluded.member_version, dismissed = excluded.dismissed, \
                     updated_at = excluded.updated_at",
                )
                .bind(&g.chat_id)
                .bind(&g.name)
                .bind(&g.owner_userid)
                .bind(&g.member_version)
                .bind(g.dismissed)
                .bind(now.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                let current: Vec<String> = ::sqlx::query_scalar("SELECT member_userid FROM group_members WHERE chat_id = $1 AND left_at IS NULL")
                    .bind(&g.chat_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db_err)?;
                for gone in current.iter().filter(|u| !members.iter().any(|m| &m.member_userid == *u)) {
                    ::sqlx::query("UPDATE group_members SET left_at = $3 WHERE chat_id = $1 AND member_userid = $2")
                        .bind(&g.chat_id)
                        .bind(gone)
                        .bind(now.millis())
                        .execute(&mut *tx)
                        .await
                        .map_err(db_err)?;
                }
                for m in members {
                    ::sqlx::query(
                        "INSERT INTO group_members (chat_id, member_userid, member_type, joined_at, left_at) VALUES ($1, $2, $3, $4, NULL) \
                         ON CONFLICT (chat_id, member_userid) DO UPDATE SET member_type = excluded.member_type, \
                         joined_at = excluded.joined_at, left_at = NULL",
                    )
                    .bind(&g.chat_id)
                    .bind(&m.member_userid)
                    .bind(i64::from(m.member_type))
                    .bind(m.joined_at.millis())
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                }
                tx.commit().await.map_err(db_err)
            }

            async fn record_group_member(&self, chat_id: &str, member: &str, member_type: i32, joined: bool, at: dom::Timestamp) -> $crate::error::StoreResult<()> {
                let mut tx = begin_write(&self.pool).await?;
                ::sqlx::query(
                    "INSERT INTO group_chats (chat_id, name, owner_userid, member_version, dismissed, created_at, updated_at) \
                     VALUES ($1, '', '', '', FALSE, $2, $2) ON CONFLICT (chat_id) DO NOTHING",
                )
                .bind(chat_id)
                .bind(at.millis())
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
                let q = if joined {
                    "INSERT INTO group_members (chat_id, member_userid, member_type, joined_at, left_at) VALUES ($1, $2, $3, $4, NULL) \
                     ON CONFLICT (chat_id, member_userid) DO UPDATE SET joined_at = excluded.joined_at, left_at = NULL \
                     WHERE group_members.joined_at <= excluded.joined_at"
                } else {
                    "INSERT INTO group_members (chat_id, member_userid, member_type, joined_at, left_at) VALUES ($1, $2, $3, $4, $4) \
                     ON CONFLICT (chat_id, member_userid) DO UPDATE SET left_at = excluded.left_at \
                     WHERE group_members.joined_at <= excluded.left_at"
                };
                ::sqlx::query(q).bind(chat_id).bind(member).bind(i64::from(member_type)).bind(at.millis()).execute(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)
            }

            async fn dismiss_group(&self, chat_id: &str, now: dom::Timestamp) -> $crate::error::StoreResult<()> {
                ::sqlx::query("UPDATE group_chats SET dismissed = TRUE, updated_at = $2 WHERE chat_id = $1")
                    .bind(chat_id)
                    .bind(now.millis())
                    .execute(&self.pool)
                    .await
                    .map_err(db_err)?;
                Ok(())
            }

            async fn group(&self, chat_id: &str) -> $crate::error::StoreResult<($crate::GroupChatRecord, Vec<$crate::GroupMemberRecord>)> {
                let row = ::sqlx::query("SELECT chat_id, name, owner_userid, member_version, dismissed FROM group_chats WHERE chat_id = $1")
                    .bind(chat_id)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db_err)?;
                let rows = ::sqlx::query(
                    "SELECT member_userid, member_type, joined_at, left_at FROM group_members WHERE chat_id = $1 ORDER BY joined_at, member_userid",
                )
                .bind(chat_id)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                let members = rows
                    .iter()
                    .map(|r| {
                        let t: i64 = get(r, "member_type")?;
                        Ok($crate::GroupMemberRecord {
                            member_userid: get(r, "member_userid")?,
                            member_type: i32::try_from(t).map_err(corrupt)?,
                            joined_at: ts(get(r, "joined_at")?),
                            left_at: get::<Option<i64>>(r, "left_at")?.map(ts),
                        })
                    })
                    .collect::<$crate::error::StoreResult<_>>()?;
                Ok((group_from_row(&row)?, members))
            }

            async fn groups_of(&self, member: &str) -> $crate::error::StoreResult<Vec<$crate::GroupChatRecord>> {
                let rows = ::sqlx::query(
                    "SELECT g.chat_id, g.name, g.owner_userid, g.member_version, g.dismissed FROM group_chats g \
                     JOIN group_members m ON m.chat_id = g.chat_id WHERE m.member_userid = $1 AND m.left_at IS NULL AND NOT g.dismissed \
                     ORDER BY g.chat_id",
                )
                .bind(member)
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
                rows.iter().map(group_from_row).collect()
            }
        }
    };
}
