//! What the workflow service needs beyond the core tables: an order's working data
//! (`order_workflow`: product, flow, password check, the registry's answer, the sealed
//! forms), product instances with their run status, storefront subscriptions, linking a
//! sponsor to an account, and the lookups the filing check makes (orders of a sponsor or a
//! website).
//!
//! The forms hold certificate and mobile numbers, so they are sealed whole (with the
//! `Outbox` crypto domain, the one for sealed whole payloads); the registry answer holds
//! only filing numbers.

use serde_json::{Value, json};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::crypto::Field;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};
use crate::orders::{ORDER_COLS_O, Order};

/// An order's working data.
#[derive(Clone, PartialEq)]
pub struct OrderWorkflow {
    pub order_id: String,
    /// `server` or `storefront`, once a product is verified.
    pub product_line: Option<String>,
    /// The flow (JSON of `beian_core::order::Flow`), once known.
    pub flow: Option<Value>,
    /// The bound service number (备案服务号), if any.
    pub service_number: Option<String>,
    pub password_verified_at: Option<i64>,
    pub identity_verified_at: Option<i64>,
    /// The registry's answer at the filing check (filing numbers only).
    pub registry: Value,
    /// The forms (opened), if any were saved.
    pub forms: Option<Value>,
}

impl std::fmt::Debug for OrderWorkflow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderWorkflow")
            .field("order_id", &self.order_id)
            .field("product_line", &self.product_line)
            .field("service_number", &self.service_number)
            .field("forms", &self.forms.as_ref().map(|_| "<sealed>"))
            .finish_non_exhaustive()
    }
}

/// Which record a filing number is set on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FiledTable {
    Sponsor,
    Website,
    /// An APP (its `-NA` number).
    App,
}

/// A product instance (ECS-like server or storefront).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    pub id: String,
    pub account_id: Option<String>,
    pub product: String,
    pub public_ip: Option<String>,
    pub term_start: i64,
    pub term_end: i64,
    /// `running`, `stopped`, `released`.
    pub status: String,
}

/// A storefront subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorefrontSubscription {
    pub id: String,
    pub account_id: String,
    /// `active`, `suspended`, `expired`.
    pub status: String,
    pub term_end: i64,
}

const ORDER_COLS: &str = "id, account_id, sponsor_id, website_id, kind, state, province, \
    version, deadlines, return_reasons, created_at, updated_at";

impl Tx {
    /// Creates the working data of a new order, with the registry's answer.
    pub async fn insert_order_workflow(&mut self, order_id: &str, registry: &Value) -> Result<()> {
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO order_workflow (order_id, registry, updated_at) VALUES ($1, $2, $3)",
        )
        .bind(order_id)
        .bind(registry.to_string())
        .bind(now)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Replaces the order's forms (sealed). The audit record names the changed paths only.
    pub async fn set_order_forms(
        &mut self,
        actor: &str,
        order_id: &str,
        forms: &Value,
        changed: &[String],
    ) -> Result<()> {
        let now = self.store.now_ms();
        let sealed = self
            .store
            .crypto()
            .seal_str(Field::Outbox, &forms.to_string());
        let res = sqlx::query(
            "UPDATE order_workflow SET forms_ct = $1, updated_at = $2 WHERE order_id = $3",
        )
        .bind(sealed)
        .bind(now)
        .bind(order_id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "order" });
        }
        self.append_audit(
            AuditEntry::new(actor, "order.forms", format!("order:{order_id}"))
                .after(json!({ "changed": changed })),
        );
        Ok(())
    }

    /// Records the verified product (and the service number, for a server product).
    pub async fn set_order_product(
        &mut self,
        actor: &str,
        order_id: &str,
        product_line: &str,
        service_number: Option<&str>,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE order_workflow SET product_line = $1, service_number = $2, updated_at = $3 \
             WHERE order_id = $4",
        )
        .bind(product_line)
        .bind(service_number)
        .bind(now)
        .bind(order_id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "order" });
        }
        self.append_audit(
            AuditEntry::new(actor, "order.product", format!("order:{order_id}"))
                .after(json!({ "product_line": product_line, "service_number": service_number })),
        );
        Ok(())
    }

    /// Clears the order's service number (after it went back to unbound).
    pub async fn clear_order_service_number(&mut self, order_id: &str) -> Result<()> {
        let now = self.store.now_ms();
        sqlx::query(
            "UPDATE order_workflow SET service_number = NULL, updated_at = $1 WHERE order_id = $2",
        )
        .bind(now)
        .bind(order_id)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Records that the filing password was checked with the registry.
    pub async fn set_password_verified(&mut self, actor: &str, order_id: &str) -> Result<()> {
        self.stamp_check(actor, order_id, Check::Password).await
    }

    /// Records that the storefront app's identity check (真实性核验) passed.
    pub async fn set_identity_verified(&mut self, actor: &str, order_id: &str) -> Result<()> {
        self.stamp_check(actor, order_id, Check::Identity).await
    }

    /// Stamps the time of a passed check on the order, with its audit record.
    async fn stamp_check(&mut self, actor: &str, order_id: &str, check: Check) -> Result<()> {
        let (column, action) = match check {
            Check::Password => ("password_verified_at", "order.password_verified"),
            Check::Identity => ("identity_verified_at", "order.identity_verified"),
        };
        let now = self.store.now_ms();
        sqlx::query(sql!(
            "UPDATE order_workflow SET {column} = $1, updated_at = $1 WHERE order_id = $2"
        ))
        .bind(now)
        .bind(order_id)
        .execute(self.conn())
        .await?;
        self.append_audit(AuditEntry::new(actor, action, format!("order:{order_id}")));
        Ok(())
    }

    /// Stores the flow the order was submitted under.
    pub async fn set_order_flow(&mut self, order_id: &str, flow: &Value) -> Result<()> {
        let now = self.store.now_ms();
        sqlx::query("UPDATE order_workflow SET flow = $1, updated_at = $2 WHERE order_id = $3")
            .bind(flow.to_string())
            .bind(now)
            .bind(order_id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Links an unheld sponsor to an account. `Conflict` if another account holds it.
    pub async fn link_sponsor_account(
        &mut self,
        actor: &str,
        sponsor_id: &str,
        account_id: &str,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let res = sqlx::query(
            "UPDATE sponsors SET account_id = $1, updated_at = $2 \
             WHERE id = $3 AND (account_id IS NULL OR account_id = $1)",
        )
        .bind(account_id)
        .bind(now)
        .bind(sponsor_id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::Conflict { what: "sponsor" });
        }
        self.append_audit(
            AuditEntry::new(actor, "sponsor.link", format!("sponsor:{sponsor_id}"))
                .after(json!({ "account": account_id })),
        );
        Ok(())
    }

    /// Records the filing number of a sponsor (`table` = sponsors) or a website (`websites`)
    /// once the bureau approved it (the sync step), which makes it "filed here".
    pub async fn set_icp_number(
        &mut self,
        actor: &str,
        table: FiledTable,
        id: &str,
        icp_number: &str,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let (sql, what) = match table {
            FiledTable::Sponsor => (
                "UPDATE sponsors SET icp_number = $1, updated_at = $2 WHERE id = $3",
                "sponsor",
            ),
            FiledTable::Website => (
                "UPDATE websites SET icp_number = $1, updated_at = $2 WHERE id = $3",
                "website",
            ),
            FiledTable::App => (
                "UPDATE apps SET icp_number = $1, updated_at = $2 WHERE id = $3",
                "app",
            ),
        };
        let res = sqlx::query(sql)
            .bind(icp_number)
            .bind(now)
            .bind(id)
            .execute(self.conn())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what });
        }
        self.append_audit(
            AuditEntry::new(actor, "filing.number", format!("{what}:{id}"))
                .after(json!({ "icp_number": icp_number })),
        );
        Ok(())
    }

    /// Ends the filing of a sponsor or a website here once the bureau approved its 注销: its
    /// number is cleared (the ministry keeps the record of the cancellation).
    pub async fn clear_icp_number(
        &mut self,
        actor: &str,
        table: FiledTable,
        id: &str,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let (sql, what) = match table {
            FiledTable::Sponsor => (
                "UPDATE sponsors SET icp_number = NULL, updated_at = $1 WHERE id = $2",
                "sponsor",
            ),
            FiledTable::Website => (
                "UPDATE websites SET icp_number = NULL, updated_at = $1 WHERE id = $2",
                "website",
            ),
            FiledTable::App => (
                "UPDATE apps SET icp_number = NULL, updated_at = $1 WHERE id = $2",
                "app",
            ),
        };
        let res = sqlx::query(sql)
            .bind(now)
            .bind(id)
            .execute(self.conn())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what });
        }
        self.append_audit(
            AuditEntry::new(actor, "filing.cancelled", format!("{what}:{id}"))
                .after(json!({ "icp_number": null })),
        );
        Ok(())
    }

    /// The ids of the sponsor's orders whose state is not in `closed`, read inside this
    /// transaction (after [`Tx::link_sponsor_account`] locked the sponsor row).
    pub async fn open_orders_of_sponsor(
        &mut self,
        sponsor_id: &str,
        closed: &[&str],
    ) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT id, state FROM orders WHERE sponsor_id = $1 ORDER BY created_at")
                .bind(sponsor_id)
                .fetch_all(self.conn())
                .await?;
        let mut open = Vec::new();
        for r in rows {
            let state: String = r.try_get("state")?;
            if !closed.contains(&state.as_str()) {
                open.push(r.try_get("id")?);
            }
        }
        Ok(open)
    }

    /// Sets a product instance's run status (`running`, `stopped`, `released`).
    pub async fn set_instance_status(
        &mut self,
        actor: &str,
        instance_id: &str,
        status: &str,
    ) -> Result<()> {
        let res = sqlx::query("UPDATE product_instances SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(instance_id)
            .execute(self.conn())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "instance" });
        }
        self.append_audit(
            AuditEntry::new(actor, "instance.status", format!("instance:{instance_id}"))
                .after(json!({ "status": status })),
        );
        Ok(())
    }

    /// Records a storefront subscription of an account.
    pub async fn insert_storefront_subscription(
        &mut self,
        actor: &str,
        account_id: &str,
        status: &str,
        term_end: i64,
    ) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        sqlx::query(
            "INSERT INTO storefront_subscriptions (id, account_id, status, term_end, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(account_id)
        .bind(status)
        .bind(term_end)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(
                actor,
                "storefront.subscribe",
                format!("account:{account_id}"),
            )
            .after(json!({ "subscription": id, "status": status })),
        );
        Ok(id)
    }
}

fn order_from_row(row: &sqlx::any::AnyRow) -> Result<Order> {
    let json = |col: &'static str| -> Result<Value> {
        let s: String = row.try_get(col)?;
        serde_json::from_str(&s).map_err(|_| StoreError::Corrupt(col))
    };
    Ok(Order {
        id: row.try_get("id")?,
        account_id: row.try_get("account_id")?,
        sponsor_id: row.try_get("sponsor_id")?,
        website_id: row.try_get("website_id")?,
        kind: row.try_get("kind")?,
        state: row.try_get("state")?,
        province: row.try_get("province")?,
        version: row.try_get("version")?,
        deadlines: json("deadlines")?,
        return_reasons: json("return_reasons")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// The order's working data.
    pub async fn order_workflow(&self, order_id: &str) -> Result<OrderWorkflow> {
        let r = sqlx::query(
            "SELECT order_id, product_line, flow, service_number, password_verified_at, \
             identity_verified_at, registry, forms_ct FROM order_workflow WHERE order_id = $1",
        )
        .bind(order_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound { what: "order" })?;
        workflow_from_row(self, &r)
    }

    /// An order and its working data in one statement (what a form save and the order's
    /// view read first; two statements before, issue 14).
    pub async fn order_with_workflow(&self, order_id: &str) -> Result<(Order, OrderWorkflow)> {
        let r = sqlx::query(sql!(
            "SELECT {ORDER_COLS_O}, w.order_id, w.product_line, w.flow, w.service_number, \
             w.password_verified_at, w.identity_verified_at, w.registry, w.forms_ct \
             FROM orders o JOIN order_workflow w ON w.order_id = o.id WHERE o.id = $1"
        ))
        .bind(order_id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound { what: "order" })?;
        Ok((order_from_row(&r)?, workflow_from_row(self, &r)?))
    }

    /// A product instance.
    pub async fn instance(&self, id: &str) -> Result<Instance> {
        let r = sqlx::query(
            "SELECT id, account_id, product, public_ip, term_start, term_end, status \
             FROM product_instances WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound { what: "instance" })?;
        Ok(Instance {
            id: r.try_get("id")?,
            account_id: r.try_get("account_id")?,
            product: r.try_get("product")?,
            public_ip: r.try_get("public_ip")?,
            term_start: r.try_get("term_start")?,
            term_end: r.try_get("term_end")?,
            status: r.try_get("status")?,
        })
    }

    /// Every storefront subscription with its account's username, newest term first, at most
    /// `limit` (the admins' storefront page).
    pub async fn storefront_subscription_list(
        &self,
        limit: i64,
    ) -> Result<Vec<(StorefrontSubscription, String)>> {
        let rows = sqlx::query(
            "SELECT s.id, s.account_id, s.status, s.term_end, a.username \
             FROM storefront_subscriptions s JOIN accounts a ON a.id = s.account_id \
             ORDER BY s.term_end DESC, s.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    StorefrontSubscription {
                        id: r.try_get("id")?,
                        account_id: r.try_get("account_id")?,
                        status: r.try_get("status")?,
                        term_end: r.try_get("term_end")?,
                    },
                    r.try_get("username")?,
                ))
            })
            .collect()
    }

    /// The account's storefront subscriptions, newest term first.
    pub async fn storefront_subscriptions(
        &self,
        account_id: &str,
    ) -> Result<Vec<StorefrontSubscription>> {
        let rows = sqlx::query(
            "SELECT id, account_id, status, term_end FROM storefront_subscriptions \
             WHERE account_id = $1 ORDER BY term_end DESC",
        )
        .bind(account_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StorefrontSubscription {
                    id: r.try_get("id")?,
                    account_id: r.try_get("account_id")?,
                    status: r.try_get("status")?,
                    term_end: r.try_get("term_end")?,
                })
            })
            .collect()
    }

    /// The orders of a sponsor, oldest first.
    pub async fn orders_of_sponsor(&self, sponsor_id: &str) -> Result<Vec<Order>> {
        let rows = sqlx::query(sql!(
            "SELECT {ORDER_COLS} FROM orders WHERE sponsor_id = $1 ORDER BY created_at"
        ))
        .bind(sponsor_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(order_from_row).collect()
    }

    /// The orders of a website, oldest first.
    pub async fn orders_of_website(&self, website_id: &str) -> Result<Vec<Order>> {
        let rows = sqlx::query(sql!(
            "SELECT {ORDER_COLS} FROM orders WHERE website_id = $1 ORDER BY created_at"
        ))
        .bind(website_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(order_from_row).collect()
    }
}

/// The checks an order records the time of.
#[derive(Debug, Clone, Copy)]
enum Check {
    Password,
    Identity,
}

/// An [`OrderWorkflow`] from a row holding `order_workflow`'s columns by their names.
fn workflow_from_row(store: &Store, r: &sqlx::any::AnyRow) -> Result<OrderWorkflow> {
    let flow: Option<String> = r.try_get("flow")?;
    let registry: String = r.try_get("registry")?;
    let forms_ct: Option<Vec<u8>> = r.try_get("forms_ct")?;
    let forms = match forms_ct {
        Some(ct) => {
            let text = store.crypto().open_str(Field::Outbox, &ct)?;
            Some(
                serde_json::from_str(&text)
                    .map_err(|_| StoreError::Corrupt("order_workflow.forms"))?,
            )
        }
        None => None,
    };
    Ok(OrderWorkflow {
        order_id: r.try_get("order_id")?,
        product_line: r.try_get("product_line")?,
        flow: flow
            .map(|f| serde_json::from_str(&f))
            .transpose()
            .map_err(|_| StoreError::Corrupt("order_workflow.flow"))?,
        service_number: r.try_get("service_number")?,
        password_verified_at: r.try_get("password_verified_at")?,
        identity_verified_at: r.try_get("identity_verified_at")?,
        registry: serde_json::from_str(&registry)
            .map_err(|_| StoreError::Corrupt("order_workflow.registry"))?,
        forms,
    })
}
