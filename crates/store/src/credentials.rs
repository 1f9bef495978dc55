//! The life of credentials (issue 15): a password change (which may end the account's other
//! sessions and revoke its API keys), one-time passwords that must be changed at first login,
//! and an admin disabling an account (which ends its sessions and revokes its keys). Each
//! change is made in the caller's transaction with its audit record.

use serde_json::json;

use crate::audit::AuditEntry;
use crate::db::Tx;
use crate::error::{Result, StoreError};

impl Tx {
    /// Sets an account's password hash; `must_change` marks it a one-time password.
    pub async fn set_password(
        &mut self,
        actor: &str,
        account_id: &str,
        password_hash: &str,
        must_change: bool,
    ) -> Result<()> {
        let res = sqlx::query(
            "UPDATE accounts SET password_hash = $1, must_change_password = $2 WHERE id = $3",
        )
        .bind(password_hash)
        .bind(i64::from(must_change))
        .bind(account_id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "account" });
        }
        self.append_audit(
            AuditEntry::new(actor, "account.password", format!("account:{account_id}"))
                .after(json!({ "must_change": must_change })),
        );
        Ok(())
    }

    /// Marks the password of an account created in this transaction as a one-time one, to
    /// change at the next login (part of the creation: its `account.create` record covers it).
    pub async fn require_password_change(&mut self, account_id: &str) -> Result<()> {
        sqlx::query("UPDATE accounts SET must_change_password = 1 WHERE id = $1")
            .bind(account_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Ends every session of the account but the one whose id hashes to `keep`; how many.
    pub async fn end_sessions(&mut self, account_id: &str, keep: Option<&[u8]>) -> Result<u64> {
        let res = match keep {
            Some(keep) => {
                sqlx::query("DELETE FROM sessions WHERE account_id = $1 AND id_hash <> $2")
                    .bind(account_id)
                    .bind(keep.to_vec())
                    .execute(self.conn())
                    .await?
            }
            None => {
                sqlx::query("DELETE FROM sessions WHERE account_id = $1")
                    .bind(account_id)
                    .execute(self.conn())
                    .await?
            }
        };
        Ok(res.rows_affected())
    }

    /// Revokes every live API key of the account, with one audit record; how many.
    pub async fn revoke_api_keys_of(&mut self, actor: &str, account_id: &str) -> Result<u64> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE api_keys SET revoked_at = $1 WHERE account_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(account_id)
        .execute(self.conn())
        .await?;
        let revoked = res.rows_affected();
        if revoked > 0 {
            self.append_audit(
                AuditEntry::new(actor, "api_key.revoke_all", format!("account:{account_id}"))
                    .after(json!({ "revoked": revoked })),
            );
        }
        Ok(revoked)
    }

    /// Disables or enables an account. Disabling also ends its sessions and revokes its API
    /// keys (re-enabling brings neither back). Returns (sessions ended, keys revoked).
    pub async fn set_account_disabled(
        &mut self,
        actor: &str,
        account_id: &str,
        disabled: bool,
    ) -> Result<(u64, u64)> {
        let res = sqlx::query("UPDATE accounts SET disabled = $1 WHERE id = $2")
            .bind(i64::from(disabled))
            .bind(account_id)
            .execute(self.conn())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "account" });
        }
        let action = if disabled {
            "account.disable"
        } else {
            "account.enable"
        };
        self.append_audit(AuditEntry::new(
            actor,
            action,
            format!("account:{account_id}"),
        ));
        if !disabled {
            return Ok((0, 0));
        }
        let sessions = self.end_sessions(account_id, None).await?;
        let keys = self.revoke_api_keys_of(actor, account_id).await?;
        Ok((sessions, keys))
    }
}

#[cfg(test)]
mod tests {
    use crate::accounts::{NewAccount, Role};
    use crate::testing;

    #[tokio::test]
    async fn password_changes_sessions_keys_and_disabling() {
        testing::each_backend(async |t| {
            let store = &t.store;
            let mut tx = store.begin().await.unwrap();
            let id = tx
                .insert_account(
                    "test",
                    &NewAccount {
                        username: "alice",
                        password_hash: "h1",
                        email: "a@example.com",
                        mobile: None,
                        role: Role::Applicant,
                    },
                )
                .await
                .unwrap();
            tx.require_password_change(&id).await.unwrap();
            let far = store.now().timestamp_millis() + 3_600_000;
            for s in [b"s1", b"s2", b"s3"] {
                tx.insert_session(s, &id, far).await.unwrap();
            }
            tx.insert_api_key("test", &id, b"k1", "one").await.unwrap();
            tx.insert_api_key("test", &id, b"k2", "two").await.unwrap();
            tx.commit().await.unwrap();
            let a = store.account(&id).await.unwrap();
            assert!(a.must_change_password);

            let mut tx = store.begin().await.unwrap();
            tx.set_password("test", &id, "h2", false).await.unwrap();
            assert_eq!(tx.end_sessions(&id, Some(b"s2")).await.unwrap(), 2);
            assert_eq!(tx.revoke_api_keys_of("test", &id).await.unwrap(), 2);
            tx.commit().await.unwrap();
            let a = store.account(&id).await.unwrap();
            assert_eq!(
                (a.password_hash.as_str(), a.must_change_password),
                ("h2", false)
            );
            assert!(store.session_account(b"s2").await.unwrap().is_some());
            assert!(store.session_account(b"s1").await.unwrap().is_none());
            assert!(store.api_key_account(b"k1").await.unwrap().is_none());

            let mut tx = store.begin().await.unwrap();
            assert_eq!(
                tx.set_account_disabled("admin", &id, true).await.unwrap(),
                (1, 0)
            );
            tx.commit().await.unwrap();
            assert!(store.account(&id).await.unwrap().disabled);
            assert!(store.session_account(b"s2").await.unwrap().is_none());
        })
        .await;
    }
}
