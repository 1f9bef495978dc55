//! APPs (APP备案, issue 18): a sponsor's APP services beside its websites, and the link of an
//! order to the APP it files (`orders.app_id`). The responsible person is sealed as a
//! website's is (certificate and mobile encrypted, with blind indexes); `details` holds the
//! platforms' 特征信息 and the icon's material id, no personal data.

use serde_json::{Value, json};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::crypto::Crypto;
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};
use crate::sponsors::{Person, person_from_row, seal_person};

/// An APP's data as written and read.
#[derive(Debug, Clone, PartialEq)]
pub struct AppData {
    pub sponsor_id: String,
    pub name: String,
    /// The package name or Bundle ID the filing check identifies the APP by.
    pub package: String,
    pub service_content: String,
    /// Platforms' 特征信息 and the icon's material id (JSON; no personal data).
    pub details: Value,
    pub responsible: Person,
}

#[derive(Debug, Clone, PartialEq)]
pub struct App {
    pub id: String,
    pub data: AppData,
    /// The `-NA` number once the bureau filed it.
    pub icp_number: Option<String>,
}

const APP_COLS: &str = "a.id, a.sponsor_id, a.name, a.package, a.service_content, a.details, \
    a.responsible_name, a.responsible_cert_type, a.responsible_cert_ct, a.responsible_mobile_ct, \
    a.responsible_email, a.icp_number";

fn app_from_row(c: &Crypto, row: &sqlx::any::AnyRow) -> Result<App> {
    let details: String = row.try_get("details")?;
    Ok(App {
        id: row.try_get("id")?,
        data: AppData {
            sponsor_id: row.try_get("sponsor_id")?,
            name: row.try_get("name")?,
            package: row.try_get("package")?,
            service_content: row.try_get("service_content")?,
            details: serde_json::from_str(&details)
                .map_err(|_| StoreError::Corrupt("apps.details"))?,
            responsible: person_from_row(c, row)?,
        },
        icp_number: row.try_get("icp_number")?,
    })
}

impl Tx {
    /// Creates an APP of a sponsor.
    pub async fn insert_app(&mut self, actor: &str, a: &AppData) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        let c = self.store.crypto().clone();
        let p = seal_person(&c, &a.responsible);
        sqlx::query(
            "INSERT INTO apps (id, sponsor_id, name, package, service_content, details, \
             responsible_name, responsible_cert_type, responsible_cert_ct, \
             responsible_cert_bidx, responsible_mobile_ct, responsible_mobile_bidx, \
             responsible_email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14, $14)",
        )
        .bind(&id)
        .bind(&a.sponsor_id)
        .bind(&a.name)
        .bind(&a.package)
        .bind(&a.service_content)
        .bind(a.details.to_string())
        .bind(&a.responsible.name)
        .bind(&a.responsible.certificate_type)
        .bind(p.cert_ct)
        .bind(p.cert_bidx)
        .bind(p.mobile_ct)
        .bind(p.mobile_bidx)
        .bind(&a.responsible.email)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "app.create", format!("app:{id}")).after(json!({
                "sponsor": a.sponsor_id,
                "name": a.name,
                "package": a.package,
            })),
        );
        Ok(id)
    }

    /// Writes the filed data of an APP when the bureau approves it.
    pub async fn set_app_details(&mut self, actor: &str, id: &str, a: &AppData) -> Result<()> {
        let now = self.store.now_ms();
        let c = self.store.crypto().clone();
        let p = seal_person(&c, &a.responsible);
        let res = sqlx::query(
            "UPDATE apps SET name = $1, package = $2, service_content = $3, details = $4, \
             responsible_name = $5, responsible_cert_type = $6, responsible_cert_ct = $7, \
             responsible_cert_bidx = $8, responsible_mobile_ct = $9, \
             responsible_mobile_bidx = $10, responsible_email = $11, updated_at = $12 \
             WHERE id = $13",
        )
        .bind(&a.name)
        .bind(&a.package)
        .bind(&a.service_content)
        .bind(a.details.to_string())
        .bind(&a.responsible.name)
        .bind(&a.responsible.certificate_type)
        .bind(p.cert_ct)
        .bind(p.cert_bidx)
        .bind(p.mobile_ct)
        .bind(p.mobile_bidx)
        .bind(&a.responsible.email)
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "app" });
        }
        self.append_audit(
            AuditEntry::new(actor, "app.details", format!("app:{id}")).after(json!({
                "name": a.name,
                "package": a.package,
            })),
        );
        Ok(())
    }

    /// Links an order to the APP it files.
    pub async fn set_order_app(&mut self, order_id: &str, app_id: &str) -> Result<()> {
        let res = sqlx::query("UPDATE orders SET app_id = $1 WHERE id = $2")
            .bind(app_id)
            .bind(order_id)
            .execute(self.conn())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "order" });
        }
        Ok(())
    }
}

impl Store {
    pub async fn app(&self, id: &str) -> Result<App> {
        let row = sqlx::query(sql!("SELECT {APP_COLS} FROM apps a WHERE a.id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "app" })?;
        app_from_row(self.crypto(), &row)
    }

    /// The APP an order files, if it files one.
    pub async fn app_of_order(&self, order_id: &str) -> Result<Option<App>> {
        let row = sqlx::query(sql!(
            "SELECT {APP_COLS} FROM apps a JOIN orders o ON o.app_id = a.id WHERE o.id = $1"
        ))
        .bind(order_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| app_from_row(self.crypto(), &r)).transpose()
    }

    /// The APPs here with this package name or Bundle ID (any sponsor's).
    pub async fn apps_by_package(&self, package: &str) -> Result<Vec<App>> {
        let rows = sqlx::query(sql!(
            "SELECT {APP_COLS} FROM apps a WHERE a.package = $1 ORDER BY a.created_at, a.id"
        ))
        .bind(package)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| app_from_row(self.crypto(), r))
            .collect()
    }

    /// The ids of the orders of an APP (its filing and its changes), oldest first.
    pub async fn order_ids_of_app(&self, app_id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT id FROM orders WHERE app_id = $1 ORDER BY created_at, id")
            .bind(app_id)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("id").map_err(StoreError::from))
            .collect()
    }

    pub async fn apps_of_sponsor(&self, sponsor_id: &str) -> Result<Vec<App>> {
        let rows = sqlx::query(sql!(
            "SELECT {APP_COLS} FROM apps a WHERE a.sponsor_id = $1 ORDER BY a.created_at, a.id"
        ))
        .bind(sponsor_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| app_from_row(self.crypto(), r))
            .collect()
    }
}
