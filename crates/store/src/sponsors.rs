//! Sponsors (主体) and their websites. Certificate and mobile numbers are sealed, with a blind
//! index beside each so a sponsor can be found by its certificate without decrypting.

use serde_json::{Value, json};
use sqlx::Row;

use crate::audit::AuditEntry;
use crate::crypto::{Crypto, Field, mask};
use crate::db::{Store, Tx, new_id};
use crate::error::{Result, StoreError};

/// A responsible person (负责人). `Debug` masks the numbers.
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub certificate_type: String,
    pub certificate_number: String,
    pub mobile: String,
    pub email: String,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("name", &self.name)
            .field("certificate_type", &self.certificate_type)
            .field("certificate_number", &mask(&self.certificate_number))
            .field("mobile", &mask(&self.mobile))
            .finish_non_exhaustive()
    }
}

/// A sponsor's data as written and read. `Debug` masks the certificate number.
#[derive(Clone, PartialEq, Eq)]
pub struct SponsorData {
    pub account_id: Option<String>,
    /// GB/T 2260 two-digit province code.
    pub province: String,
    pub nature: String,
    pub certificate_type: String,
    pub certificate_number: String,
    pub name: String,
    pub address: String,
    pub responsible: Person,
}

impl std::fmt::Debug for SponsorData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SponsorData")
            .field("province", &self.province)
            .field("certificate_type", &self.certificate_type)
            .field("certificate_number", &mask(&self.certificate_number))
            .field("name", &self.name)
            .field("responsible", &self.responsible)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sponsor {
    pub id: String,
    pub data: SponsorData,
    pub icp_number: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A website's data. `details` is the rest of the form as JSON (no personal data there).
#[derive(Debug, Clone, PartialEq)]
pub struct WebsiteData {
    pub sponsor_id: String,
    pub name: String,
    pub domain: String,
    pub home_url: String,
    pub service_content: String,
    pub details: Value,
    pub responsible: Person,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Website {
    pub id: String,
    pub data: WebsiteData,
    pub icp_number: Option<String>,
}

pub(crate) struct SealedPerson {
    pub(crate) cert_ct: Vec<u8>,
    pub(crate) cert_bidx: Vec<u8>,
    pub(crate) mobile_ct: Vec<u8>,
    pub(crate) mobile_bidx: Vec<u8>,
}

pub(crate) fn seal_person(c: &Crypto, p: &Person) -> SealedPerson {
    SealedPerson {
        cert_ct: c.seal_str(Field::Certificate, &p.certificate_number),
        cert_bidx: c.blind_index(Field::Certificate, &p.certificate_number),
        mobile_ct: c.seal_str(Field::Mobile, &p.mobile),
        mobile_bidx: c.blind_index(Field::Mobile, &p.mobile),
    }
}

pub(crate) fn person_from_row(c: &Crypto, row: &sqlx::any::AnyRow) -> Result<Person> {
    let cert: Vec<u8> = row.try_get("responsible_cert_ct")?;
    let mobile: Vec<u8> = row.try_get("responsible_mobile_ct")?;
    Ok(Person {
        name: row.try_get("responsible_name")?,
        certificate_type: row.try_get("responsible_cert_type")?,
        certificate_number: c.open_str(Field::Certificate, &cert)?,
        mobile: c.open_str(Field::Mobile, &mobile)?,
        email: row.try_get("responsible_email")?,
    })
}

const SPONSOR_COLS: &str = "id, account_id, province, nature, certificate_type, certificate_ct, \
    name, address, responsible_name, responsible_cert_type, responsible_cert_ct, \
    responsible_mobile_ct, responsible_email, icp_number, created_at, updated_at";

fn sponsor_from_row(c: &Crypto, row: &sqlx::any::AnyRow) -> Result<Sponsor> {
    let cert: Vec<u8> = row.try_get("certificate_ct")?;
    Ok(Sponsor {
        id: row.try_get("id")?,
        data: SponsorData {
            account_id: row.try_get("account_id")?,
            province: row.try_get("province")?,
            nature: row.try_get("nature")?,
            certificate_type: row.try_get("certificate_type")?,
            certificate_number: c.open_str(Field::Certificate, &cert)?,
            name: row.try_get("name")?,
            address: row.try_get("address")?,
            responsible: person_from_row(c, row)?,
        },
        icp_number: row.try_get("icp_number")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const WEBSITE_COLS: &str = "id, sponsor_id, name, domain, home_url, service_content, details, \
    responsible_name, responsible_cert_type, responsible_cert_ct, responsible_mobile_ct, \
    responsible_email, icp_number";

fn website_from_row(c: &Crypto, row: &sqlx::any::AnyRow) -> Result<Website> {
    let details: String = row.try_get("details")?;
    Ok(Website {
        id: row.try_get("id")?,
        data: WebsiteData {
            sponsor_id: row.try_get("sponsor_id")?,
            name: row.try_get("name")?,
            domain: row.try_get("domain")?,
            home_url: row.try_get("home_url")?,
            service_content: row.try_get("service_content")?,
            details: serde_json::from_str(&details)
                .map_err(|_| StoreError::Corrupt("websites.details"))?,
            responsible: person_from_row(c, row)?,
        },
        icp_number: row.try_get("icp_number")?,
    })
}

impl Tx {
    /// Creates a sponsor. Unique violations: `sponsors_account_key` (the account already has
    /// one), `sponsors_certificate_key` (the certificate is already a sponsor here).
    pub async fn insert_sponsor(&mut self, actor: &str, s: &SponsorData) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        let c = self.store.crypto().clone();
        let p = seal_person(&c, &s.responsible);
        sqlx::query(
            "INSERT INTO sponsors (id, account_id, province, nature, certificate_type, \
             certificate_ct, certificate_bidx, name, address, responsible_name, \
             responsible_cert_type, responsible_cert_ct, responsible_cert_bidx, \
             responsible_mobile_ct, responsible_mobile_bidx, responsible_email, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17, $17)",
        )
        .bind(&id)
        .bind(&s.account_id)
        .bind(&s.province)
        .bind(&s.nature)
        .bind(&s.certificate_type)
        .bind(c.seal_str(Field::Certificate, &s.certificate_number))
        .bind(c.blind_index(Field::Certificate, &s.certificate_number))
        .bind(&s.name)
        .bind(&s.address)
        .bind(&s.responsible.name)
        .bind(&s.responsible.certificate_type)
        .bind(p.cert_ct)
        .bind(p.cert_bidx)
        .bind(p.mobile_ct)
        .bind(p.mobile_bidx)
        .bind(&s.responsible.email)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "sponsor.create", format!("sponsor:{id}")).after(json!({
                "province": s.province,
                "nature": s.nature,
                "certificate_type": s.certificate_type,
                "certificate_number": mask(&s.certificate_number),
                "name": s.name,
            })),
        );
        Ok(id)
    }

    /// Creates a website. Unique violation: `websites_domain_key`.
    pub async fn insert_website(&mut self, actor: &str, w: &WebsiteData) -> Result<String> {
        let id = new_id();
        let now = self.store.now_ms();
        let c = self.store.crypto().clone();
        let p = seal_person(&c, &w.responsible);
        sqlx::query(
            "INSERT INTO websites (id, sponsor_id, name, domain, home_url, service_content, \
             details, responsible_name, responsible_cert_type, responsible_cert_ct, \
             responsible_cert_bidx, responsible_mobile_ct, responsible_mobile_bidx, \
             responsible_email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, $11, $12, $13, $14, $15, $15)",
        )
        .bind(&id)
        .bind(&w.sponsor_id)
        .bind(&w.name)
        .bind(&w.domain)
        .bind(&w.home_url)
        .bind(&w.service_content)
        .bind(w.details.to_string())
        .bind(&w.responsible.name)
        .bind(&w.responsible.certificate_type)
        .bind(p.cert_ct)
        .bind(p.cert_bidx)
        .bind(p.mobile_ct)
        .bind(p.mobile_bidx)
        .bind(&w.responsible.email)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "website.create", format!("website:{id}")).after(json!({
                "sponsor": w.sponsor_id,
                "name": w.name,
                "domain": w.domain,
            })),
        );
        Ok(id)
    }
}

impl Tx {
    /// Writes the filed data of a sponsor (its address and responsible person) when the
    /// bureau approves: the record then shows what the registry holds.
    pub async fn set_sponsor_details(
        &mut self,
        actor: &str,
        id: &str,
        address: &str,
        responsible: &Person,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let c = self.store.crypto().clone();
        let p = seal_person(&c, responsible);
        sqlx::query(
            "UPDATE sponsors SET address = $1, responsible_name = $2, responsible_cert_type = $3, \
             responsible_cert_ct = $4, responsible_cert_bidx = $5, responsible_mobile_ct = $6, \
             responsible_mobile_bidx = $7, responsible_email = $8, updated_at = $9 WHERE id = $10",
        )
        .bind(address)
        .bind(&responsible.name)
        .bind(&responsible.certificate_type)
        .bind(p.cert_ct)
        .bind(p.cert_bidx)
        .bind(p.mobile_ct)
        .bind(p.mobile_bidx)
        .bind(&responsible.email)
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "sponsor.details", format!("sponsor:{id}")).after(json!({
                "address": address,
                "responsible_certificate_number": mask(&responsible.certificate_number),
                "responsible_mobile": mask(&responsible.mobile),
            })),
        );
        Ok(())
    }

    /// Writes the filed data of a website (name, home page, content, details, responsible
    /// person) when the bureau approves.
    pub async fn set_website_details(
        &mut self,
        actor: &str,
        id: &str,
        w: &WebsiteData,
    ) -> Result<()> {
        let now = self.store.now_ms();
        let c = self.store.crypto().clone();
        let p = seal_person(&c, &w.responsible);
        sqlx::query(
            "UPDATE websites SET name = $1, home_url = $2, service_content = $3, details = $4, \
             responsible_name = $5, responsible_cert_type = $6, responsible_cert_ct = $7, \
             responsible_cert_bidx = $8, responsible_mobile_ct = $9, responsible_mobile_bidx = $10, \
             responsible_email = $11, updated_at = $12 WHERE id = $13",
        )
        .bind(&w.name)
        .bind(&w.home_url)
        .bind(&w.service_content)
        .bind(w.details.to_string())
        .bind(&w.responsible.name)
        .bind(&w.responsible.certificate_type)
        .bind(p.cert_ct)
        .bind(p.cert_bidx)
        .bind(p.mobile_ct)
        .bind(p.mobile_bidx)
        .bind(&w.responsible.email)
        .bind(now)
        .bind(id)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(actor, "website.details", format!("website:{id}")).after(json!({
                "name": w.name,
                "home_url": w.home_url,
                "responsible_mobile": mask(&w.responsible.mobile),
            })),
        );
        Ok(())
    }
}

impl Store {
    pub async fn sponsor(&self, id: &str) -> Result<Sponsor> {
        let row = sqlx::query(sql!("SELECT {SPONSOR_COLS} FROM sponsors WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "sponsor" })?;
        sponsor_from_row(self.crypto(), &row)
    }

    /// The sponsor with this certificate, found through the blind index.
    pub async fn sponsor_by_certificate(
        &self,
        certificate_type: &str,
        certificate_number: &str,
    ) -> Result<Option<Sponsor>> {
        let row = sqlx::query(sql!(
            "SELECT {SPONSOR_COLS} FROM sponsors WHERE certificate_type = $1 \
             AND certificate_bidx = $2"
        ))
        .bind(certificate_type)
        .bind(
            self.crypto()
                .blind_index(Field::Certificate, certificate_number),
        )
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| sponsor_from_row(self.crypto(), &r)).transpose()
    }

    pub async fn sponsor_of_account(&self, account_id: &str) -> Result<Option<Sponsor>> {
        let row = sqlx::query(sql!(
            "SELECT {SPONSOR_COLS} FROM sponsors WHERE account_id = $1"
        ))
        .bind(account_id)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| sponsor_from_row(self.crypto(), &r)).transpose()
    }

    pub async fn website(&self, id: &str) -> Result<Website> {
        let row = sqlx::query(sql!("SELECT {WEBSITE_COLS} FROM websites WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .ok_or(StoreError::NotFound { what: "website" })?;
        website_from_row(self.crypto(), &row)
    }

    pub async fn website_by_domain(&self, domain: &str) -> Result<Option<Website>> {
        let row = sqlx::query(sql!(
            "SELECT {WEBSITE_COLS} FROM websites WHERE domain = $1"
        ))
        .bind(domain)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| website_from_row(self.crypto(), &r)).transpose()
    }

    pub async fn websites_of_sponsor(&self, sponsor_id: &str) -> Result<Vec<Website>> {
        let rows = sqlx::query(sql!(
            "SELECT {WEBSITE_COLS} FROM websites WHERE sponsor_id = $1 ORDER BY created_at"
        ))
        .bind(sponsor_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| website_from_row(self.crypto(), r))
            .collect()
    }
}
