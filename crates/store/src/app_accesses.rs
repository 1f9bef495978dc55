//! An APP's access with this provider (APP备案, issue 18): the APP's counterpart of
//! [`crate::accesses`], in its own table `app_accesses`. Made when the bureau approves an
//! APP's filing or access order, moved to `cancelling` when 取消接入 is sent to the bureau and
//! to `cancelled` when it is done (or when 注销APP is approved). The number stays with the
//! ministry. An APP has no domain: nothing here is recorded for the edge gate.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::accesses::AccessStatus;
use crate::audit::AuditEntry;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

/// A new APP access (always `active`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppAccess<'a> {
    pub app_id: &'a str,
    pub sponsor_id: &'a str,
    pub order_id: Option<&'a str>,
    pub service_number: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppAccess {
    pub id: String,
    pub app_id: String,
    pub sponsor_id: String,
    pub order_id: Option<String>,
    pub service_number: Option<String>,
    pub status: AccessStatus,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// `SELECT <every column> FROM app_accesses <rest>`, as one literal.
macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT id, app_id, sponsor_id, order_id, service_number, status, created_at, ",
            "updated_at FROM app_accesses ",
            $rest
        )
    };
}

fn app_access_of(r: &AnyRow) -> Result<AppAccess> {
    let status: String = r.try_get("status")?;
    Ok(AppAccess {
        id: r.try_get("id")?,
        app_id: r.try_get("app_id")?,
        sponsor_id: r.try_get("sponsor_id")?,
        order_id: r.try_get("order_id")?,
        service_number: r.try_get("service_number")?,
        status: AccessStatus::parse(&status).ok_or(StoreError::Corrupt("app_accesses.status"))?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

impl Tx {
    /// Records an active APP access, with its audit record.
    pub async fn insert_app_access(&mut self, actor: &str, a: &NewAppAccess<'_>) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO app_accesses (id, app_id, sponsor_id, order_id, service_number, status, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $6)",
        )
        .bind(&id)
        .bind(a.app_id)
        .bind(a.sponsor_id)
        .bind(a.order_id)
        .bind(a.service_number)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "app_access.create", format!("app_access:{id}")).after(json!({
                "app": a.app_id, "sponsor": a.sponsor_id, "order": a.order_id,
                "service_number": a.service_number, "status": "active",
            })),
        );
        Ok(id)
    }

    /// Moves an APP access from `from` to `to`; `InvalidState` if it was not in `from`.
    pub async fn set_app_access_status(
        &mut self,
        actor: &str,
        id: &str,
        from: AccessStatus,
        to: AccessStatus,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE app_accesses SET status = $1, updated_at = $2 WHERE id = $3 AND status = $4",
        )
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .bind(from.as_str())
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::InvalidState {
                what: "app access",
                expected: from.as_str(),
            });
        }
        self.append_audit(
            AuditEntry::new(actor, "app_access.status", format!("app_access:{id}"))
                .before(json!({"status": from.as_str()}))
                .after(json!({"status": to.as_str()})),
        );
        Ok(())
    }
}

impl Store {
    pub async fn app_access(&self, id: &str) -> Result<AppAccess> {
        let r = sqlx::query(select!("WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "app access" })?;
        app_access_of(&r)
    }

    /// The sponsor's APP accesses, oldest first (cancelled ones included).
    pub async fn app_accesses_of_sponsor(&self, sponsor_id: &str) -> Result<Vec<AppAccess>> {
        sqlx::query(select!("WHERE sponsor_id = $1 ORDER BY created_at, id"))
            .bind(sponsor_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(app_access_of)
            .collect()
    }

    /// The APP's access that is not cancelled, if any.
    pub async fn open_access_of_app(&self, app_id: &str) -> Result<Option<AppAccess>> {
        sqlx::query(select!(
            "WHERE app_id = $1 AND status <> 'cancelled' ORDER BY created_at DESC LIMIT 1"
        ))
        .bind(app_id)
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(app_access_of)
        .transpose()
    }
}
