//! Storefront top-level domains (second seed): which registrable domain is bound to which
//! account's storefront. The platform checks the filing and the access before binding.

use serde_json::json;
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::db::{Store, Tx};
use crate::error::{Result, StoreError};

/// A bound domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorefrontDomain {
    pub domain: String,
    pub account_id: String,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl Tx {
    /// Binds `domain` to the account's storefront; `Unique { storefront_domains_pkey }` if
    /// it is bound already.
    pub async fn bind_storefront_domain(
        &mut self,
        actor: &str,
        account_id: &str,
        domain: &str,
    ) -> Result<StorefrontDomain> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "INSERT INTO storefront_domains (domain, account_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (domain) DO NOTHING",
        )
        .bind(domain)
        .bind(account_id)
        .bind(now)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict {
                what: "storefront domain",
            });
        }
        self.append_audit(
            AuditEntry::new(actor, "storefront.bind", format!("account:{account_id}"))
                .after(json!({ "domain": domain })),
        );
        Ok(StorefrontDomain {
            domain: domain.to_owned(),
            account_id: account_id.to_owned(),
            created_at: now,
        })
    }
}

impl Store {
    /// The account's bound domains, oldest first.
    pub async fn storefront_domains(&self, account_id: &str) -> Result<Vec<StorefrontDomain>> {
        sqlx::query(
            "SELECT domain, account_id, created_at FROM storefront_domains \
             WHERE account_id = $1 ORDER BY created_at, domain",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(StorefrontDomain {
                domain: r.try_get("domain")?,
                account_id: r.try_get("account_id")?,
                created_at: r.try_get("created_at")?,
            })
        })
        .collect()
    }
}
