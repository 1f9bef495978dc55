//! Product instances (an ECS-like server or a storefront) and the service numbers (备案服务号)
//! they issue. A service number moves unbound 未绑定 → bound 已绑定 → filing 备案中 →
//! filed 已备案, or to expired 已失效; every move is a guarded update.

use serde_json::json;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceNumberStatus {
    /// 未绑定
    Unbound,
    /// 已绑定
    Bound,
    /// 备案中
    Filing,
    /// 已备案
    Filed,
    /// 已失效
    Expired,
}

impl ServiceNumberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceNumberStatus::Unbound => "unbound",
            ServiceNumberStatus::Bound => "bound",
            ServiceNumberStatus::Filing => "filing",
            ServiceNumberStatus::Filed => "filed",
            ServiceNumberStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<ServiceNumberStatus> {
        use ServiceNumberStatus::*;
        [Unbound, Bound, Filing, Filed, Expired]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInstance<'a> {
    pub account_id: Option<&'a str>,
    /// e.g. `ecs`, `storefront`.
    pub product: &'a str,
    pub public_ip: Option<&'a str>,
    pub term_start: i64,
    pub term_end: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNumber {
    pub number: String,
    pub instance_id: String,
    pub status: ServiceNumberStatus,
    pub order_id: Option<String>,
}

impl Tx {
    pub async fn insert_instance(&mut self, actor: &str, i: &NewInstance<'_>) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO product_instances (id, account_id, product, public_ip, term_start, \
             term_end, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(i.account_id)
        .bind(i.product)
        .bind(i.public_ip)
        .bind(i.term_start)
        .bind(i.term_end)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "instance.create", format!("instance:{id}"))
                .after(json!({"product": i.product, "public_ip": i.public_ip})),
        );
        Ok(id)
    }

    /// Issues a service number (unbound). `Unique { constraint: "service_numbers_pkey" }`
    /// if the number exists.
    pub async fn insert_service_number(
        &mut self,
        actor: &str,
        instance_id: &str,
        number: &str,
    ) -> Result<()> {
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO service_numbers (number, instance_id, status, created_at, updated_at) \
             VALUES ($1, $2, 'unbound', $3, $3)",
        )
        .bind(number)
        .bind(instance_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(
                actor,
                "service_number.issue",
                format!("service_number:{number}"),
            )
            .after(json!({"instance": instance_id, "status": "unbound"})),
        );
        Ok(())
    }

    /// Moves a service number from `from` to `to` (and sets its order when given).
    /// `InvalidState` if it was not in `from`.
    pub async fn set_service_number_status(
        &mut self,
        actor: &str,
        number: &str,
        from: ServiceNumberStatus,
        to: ServiceNumberStatus,
        order_id: Option<&str>,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE service_numbers SET status = $1, order_id = COALESCE($2, order_id), \
             updated_at = $3 WHERE number = $4 AND status = $5",
        )
        .bind(to.as_str())
        .bind(order_id)
        .bind(now)
        .bind(number)
        .bind(from.as_str())
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::InvalidState {
                what: "service number",
                expected: from.as_str(),
            });
        }
        self.append_audit(
            AuditEntry::new(
                actor,
                "service_number.status",
                format!("service_number:{number}"),
            )
            .before(json!({"status": from.as_str()}))
            .after(json!({"status": to.as_str(), "order": order_id})),
        );
        Ok(())
    }
}

impl Store {
    pub async fn service_number(&self, number: &str) -> Result<ServiceNumber> {
        let r = sqlx::query(
            "SELECT number, instance_id, status, order_id FROM service_numbers WHERE number = $1",
        )
        .bind(number)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound {
            what: "service number",
        })?;
        let status: String = r.try_get("status")?;
        Ok(ServiceNumber {
            number: r.try_get("number")?,
            instance_id: r.try_get("instance_id")?,
            status: ServiceNumberStatus::parse(&status)
                .ok_or(StoreError::Corrupt("service_numbers.status"))?,
            order_id: r.try_get("order_id")?,
        })
    }
}
