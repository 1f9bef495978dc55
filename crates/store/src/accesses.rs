//! Access records (接入信息): a website hosted at this provider under its filing. Made when the
//! bureau approves an order (or by a legacy import), moved to `cancelling` when 取消接入 is
//! sent to the bureau and to `cancelled` when it is done. The number stays with the ministry.
//! Every change in or out of `active` is also recorded for the edge gate (crate::gate), in the
//! same transaction.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::AuditEntry;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessStatus {
    /// 已接入
    Active,
    /// 取消接入中: sent to the bureau
    Cancelling,
    /// 已取消
    Cancelled,
}

impl AccessStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessStatus::Active => "active",
            AccessStatus::Cancelling => "cancelling",
            AccessStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<AccessStatus> {
        use AccessStatus::*;
        [Active, Cancelling, Cancelled]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// A new access record (always `active`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAccess<'a> {
    pub website_id: &'a str,
    pub sponsor_id: &'a str,
    pub order_id: Option<&'a str>,
    pub service_number: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Access {
    pub id: String,
    pub website_id: String,
    pub sponsor_id: String,
    pub order_id: Option<String>,
    pub service_number: Option<String>,
    pub status: AccessStatus,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// `SELECT <every column> FROM accesses <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, website_id, sponsor_id, order_id, service_number, status, created_at, ",
            "updated_at FROM accesses ",
            $rest
        )
    };
}

fn access_of(r: &AnyRow) -> Result<Access> {
    let status: String = r.try_get("status")?;
    Ok(Access {
        id: r.try_get("id")?,
        website_id: r.try_get("website_id")?,
        sponsor_id: r.try_get("sponsor_id")?,
        order_id: r.try_get("order_id")?,
        service_number: r.try_get("service_number")?,
        status: AccessStatus::parse(&status).ok_or(StoreError::Corrupt("accesses.status"))?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Tx {
    /// Records an active access, with its audit record.
    pub async fn insert_access(&mut self, actor: &str, a: &NewAccess<'_>) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO accesses (id, website_id, sponsor_id, order_id, service_number, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)",
        )
        .bind(&id)
        .bind(a.website_id)
        .bind(a.sponsor_id)
        .bind(a.order_id)
        .bind(a.service_number)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.record_access_change(&id, true).await?;
        self.append_audit(
            AuditEntry::new(actor, "access.create", format!("access:{id}")).after(json!({
                "website": a.website_id, "sponsor": a.sponsor_id, "order": a.order_id,
                "service_number": a.service_number, "status": "active",
            })),
        );
        Ok(id)
    }

    /// Moves an access from `from` to `to`; `InvalidState` if it was not in `from`.
    pub async fn set_access_status(
        &mut self,
        actor: &str,
        id: &str,
        from: AccessStatus,
        to: AccessStatus,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE accesses SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::InvalidState {
                what: "access",
                expected: from.as_str(),
            });
        }
        // The gate serves `active` only (see crate::gate).
        if (from == AccessStatus::Active) != (to == AccessStatus::Active) {
            self.record_access_change(id, to == AccessStatus::Active)
                .await?;
        }
        self.append_audit(
            AuditEntry::new(actor, "access.status", format!("access:{id}"))
                .before(json!({"status": from.as_str()}))
                .after(json!({"status": to.as_str()})),
        );
        Ok(())
    }
}

impl Tx {
    /// 变更接入 approved: the access is now on the server of `service_number`.
    pub async fn set_access_service_number(
        &mut self,
        actor: &str,
        id: &str,
        service_number: &str,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res =
            sqlx::query("UPDATE accesses SET service_number = $1, updated_at = $2 WHERE id = $3")
                .bind(service_number)
                .bind(now)
                .bind(id)
                .execute(self.conn())
                .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "access" });
        }
        self.append_audit(
            AuditEntry::new(actor, "access.service_number", format!("access:{id}"))
                .after(json!({"service_number": service_number})),
        );
        Ok(())
    }
}

impl Store {
    pub async fn access(&self, id: &str) -> Result<Access> {
        let r = sqlx::query(select!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "access" })?;
        access_of(&r)
    }

    /// The sponsor's access records, oldest first (cancelled ones included).
    pub async fn accesses_of_sponsor(&self, sponsor_id: &str) -> Result<Vec<Access>> {
        sqlx::query(select!("WHERE sponsor_id = $1 ORDER BY created_at, id"))
            .bind(sponsor_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(access_of)
            .collect()
    }

    /// The website's access records, oldest first (cancelled ones included).
    pub async fn accesses_of_website(&self, website_id: &str) -> Result<Vec<Access>> {
        sqlx::query(select!("WHERE website_id = $1 ORDER BY created_at, id"))
            .bind(website_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(access_of)
            .collect()
    }

    /// The website's access that is not cancelled, if any.
    pub async fn open_access_of_website(&self, website_id: &str) -> Result<Option<Access>> {
        sqlx::query(select!(
            "WHERE website_id = $1 AND status <> 'cancelled' ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(website_id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(access_of)
        .transpose()
    }
}
