//! What the administration needs from the database: the service-number policy (one row,
//! `service_number_policy`), paged lists of accounts and product instances, an instance's
//! numbers, and the holiday years admins enter (`calendar_years`), merged over the builtin
//! calendar by [`Store::calendar`].
//!
//! Every write is a method on [`Tx`] with its audit record; the caller commits.

use std::collections::BTreeMap;

use beian_core::calendar::{Calendar, YearSchedule};
use serde_json::json;
use sqlx::Row;

use crate::accounts::Account;
use crate::audit::AuditEntry;
use crate::db::{Backend, Store, Tx};
use crate::error::{Result, StoreError};
use crate::products::{ServiceNumber, ServiceNumberStatus};
use crate::workflow_support::Instance;

/// The states a product instance can be in.
pub const INSTANCE_STATES: [&str; 3] = ["running", "stopped", "released"];

/// Which service numbers an instance may issue and which instances can back a filing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceNumberPolicy {
    /// Live numbers (any status but expired) one instance may have.
    pub per_instance_limit: i64,
    /// The shortest remaining term, in months, of an instance that backs a filing.
    pub min_term_months: i64,
    /// The instance states that qualify (a subset of [`INSTANCE_STATES`]).
    pub qualifying_states: Vec<String>,
}

impl Default for ServiceNumberPolicy {
    /// The policy the migration installs: 5 numbers, 3 months, running instances only.
    fn default() -> ServiceNumberPolicy {
        ServiceNumberPolicy {
            per_instance_limit: 5,
            min_term_months: 3,
            qualifying_states: vec!["running".to_owned()],
        }
    }
}

/// A holiday year an admin stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredYear {
    pub year: i32,
    pub schedule: YearSchedule,
    pub updated_by: String,
    pub updated_at: i64,
}

fn policy_from_row(r: &sqlx::any::AnyRow) -> Result<ServiceNumberPolicy> {
    let states: String = r.try_get("qualifying_states")?;
    Ok(ServiceNumberPolicy {
        per_instance_limit: r.try_get("per_instance_limit")?,
        min_term_months: r.try_get("min_term_months")?,
        qualifying_states: serde_json::from_str(&states)
            .map_err(|_| StoreError::Corrupt("service_number_policy.qualifying_states"))?,
    })
}

const POLICY_SELECT: &str = "SELECT per_instance_limit, min_term_months, qualifying_states \
     FROM service_number_policy WHERE id = 1";

const INSTANCE_COLS: &str = "id, account_id, product, public_ip, term_start, term_end, status";

fn instance_from_row(r: &sqlx::any::AnyRow) -> Result<Instance> {
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

fn number_from_row(r: &sqlx::any::AnyRow) -> Result<ServiceNumber> {
    let status: String = r.try_get("status")?;
    Ok(ServiceNumber {
        number: r.try_get("number")?,
        instance_id: r.try_get("instance_id")?,
        status: ServiceNumberStatus::parse(&status)
            .ok_or(StoreError::Corrupt("service_numbers.status"))?,
        order_id: r.try_get("order_id")?,
    })
}

/// One stored year as the TOML of the holiday file format.
fn year_to_toml(schedule: &YearSchedule) -> Result<String> {
    let mut one = Calendar::default();
    one.add_year(schedule.clone())
        .map_err(|_| StoreError::Corrupt("calendar_years.schedule"))?;
    one.to_toml()
        .map_err(|_| StoreError::Corrupt("calendar_years.schedule"))
}

fn year_from_toml(text: &str) -> Result<YearSchedule> {
    let calendar =
        Calendar::from_toml(text).map_err(|_| StoreError::Corrupt("calendar_years.schedule"))?;
    calendar
        .years()
        .next()
        .cloned()
        .ok_or(StoreError::Corrupt("calendar_years.schedule"))
}

impl Tx {
    /// The policy, read inside this transaction.
    pub async fn service_number_policy(&mut self) -> Result<ServiceNumberPolicy> {
        let r = sqlx::query(POLICY_SELECT).fetch_one(self.conn()).await?;
        policy_from_row(&r)
    }

    /// Replaces the policy (the caller validated it).
    pub async fn set_service_number_policy(
        &mut self,
        actor: &str,
        policy: &ServiceNumberPolicy,
    ) -> Result<()> {
        let before = self.service_number_policy().await?;
        let states = serde_json::to_string(&policy.qualifying_states).map_err(StoreError::Json)?;
        sqlx::query(
            "UPDATE service_number_policy SET per_instance_limit = $1, min_term_months = $2, \
             qualifying_states = $3, updated_at = $4 WHERE id = 1",
        )
        .bind(policy.per_instance_limit)
        .bind(policy.min_term_months)
        .bind(&states)
        .bind(self.store.now_ms())
        .execute(self.conn())
        .await?;
        let summary = |p: &ServiceNumberPolicy| {
            json!({"per_instance_limit": p.per_instance_limit,
                   "min_term_months": p.min_term_months,
                   "qualifying_states": p.qualifying_states})
        };
        self.append_audit(
            AuditEntry::new(
                actor,
                "service_number_policy.set",
                "policy:service_number".into(),
            )
            .before(summary(&before))
            .after(summary(policy)),
        );
        Ok(())
    }

    /// Locks the instance (PostgreSQL: `FOR UPDATE`; SQLite already holds the write lock) and
    /// counts its live numbers (any status but expired). `NotFound` without such an instance.
    pub async fn lock_instance_live_numbers(&mut self, instance_id: &str) -> Result<i64> {
        let lock = match self.store.backend() {
            Backend::Postgres => "SELECT id FROM product_instances WHERE id = $1 FOR UPDATE",
            Backend::Sqlite => "SELECT id FROM product_instances WHERE id = $1",
        };
        sqlx::query(lock)
            .bind(instance_id)
            .fetch_optional(self.conn())
            .await?
            .ok_or(StoreError::NotFound { what: "instance" })?;
        let r = sqlx::query(
            "SELECT COUNT(*) AS n FROM service_numbers WHERE instance_id = $1 \
             AND status <> 'expired'",
        )
        .bind(instance_id)
        .fetch_one(self.conn())
        .await?;
        Ok(r.try_get("n")?)
    }

    /// The ids of the enabled accounts holding `role`, locked until this transaction ends
    /// (PostgreSQL: `FOR UPDATE`; SQLite holds the write lock), so that two admins demoting
    /// each other cannot both see another admin left.
    pub async fn lock_role_holders(&mut self, role: &str) -> Result<Vec<String>> {
        let sql = match self.store.backend() {
            Backend::Postgres => {
                "SELECT id FROM accounts WHERE role = $1 AND disabled = 0 ORDER BY id FOR UPDATE"
            }
            Backend::Sqlite => {
                "SELECT id FROM accounts WHERE role = $1 AND disabled = 0 ORDER BY id"
            }
        };
        let rows = sqlx::query(sql).bind(role).fetch_all(self.conn()).await?;
        rows.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Stores (or replaces) an admin's holiday year. The caller checked it against the
    /// merged calendar.
    pub async fn put_calendar_year(&mut self, actor: &str, schedule: &YearSchedule) -> Result<()> {
        let text = year_to_toml(schedule)?;
        let now = self.store.now_ms();
        let before = sqlx::query("SELECT year FROM calendar_years WHERE year = $1")
            .bind(i64::from(schedule.year))
            .fetch_optional(self.conn())
            .await?
            .is_some();
        sqlx::query(
            "INSERT INTO calendar_years (year, schedule, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (year) DO UPDATE SET \
             schedule = excluded.schedule, updated_by = excluded.updated_by, \
             updated_at = excluded.updated_at",
        )
        .bind(i64::from(schedule.year))
        .bind(&text)
        .bind(actor)
        .bind(now)
        .execute(self.conn())
        .await?;
        self.append_audit(
            AuditEntry::new(
                actor,
                "calendar.year",
                format!("calendar:{}", schedule.year),
            )
            .before(json!({"stored": before}))
            .after(json!({"notice": schedule.notice, "periods": schedule.holidays.len()})),
        );
        Ok(())
    }

    /// Removes an admin's holiday year (the builtin data, if any, applies again). `NotFound`
    /// when none is stored.
    pub async fn delete_calendar_year(&mut self, actor: &str, year: i32) -> Result<()> {
        let res = sqlx::query("DELETE FROM calendar_years WHERE year = $1")
            .bind(i64::from(year))
            .execute(self.conn())
            .await?;
        if res.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "calendar year",
            });
        }
        self.append_audit(AuditEntry::new(
            actor,
            "calendar.year_removed",
            format!("calendar:{year}"),
        ));
        Ok(())
    }
}

impl Store {
    /// The service-number policy in force.
    pub async fn service_number_policy(&self) -> Result<ServiceNumberPolicy> {
        let r = sqlx::query(POLICY_SELECT).fetch_one(self.pool()).await?;
        policy_from_row(&r)
    }

    /// Accounts, oldest first, `limit` from `offset`, and how many there are.
    pub async fn accounts_page(&self, offset: i64, limit: i64) -> Result<(Vec<Account>, i64)> {
        let ids: Vec<String> =
            sqlx::query("SELECT id FROM accounts ORDER BY created_at, id LIMIT $1 OFFSET $2")
                .bind(limit)
                .bind(offset)
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| r.try_get("id"))
                .collect::<std::result::Result<_, _>>()?;
        let mut accounts = Vec::with_capacity(ids.len());
        for id in ids {
            accounts.push(self.account(&id).await?);
        }
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM accounts")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        Ok((accounts, total))
    }

    /// Product instances, newest first, `limit` from `offset`, and how many there are.
    pub async fn instances_page(&self, offset: i64, limit: i64) -> Result<(Vec<Instance>, i64)> {
        let rows = sqlx::query(sql!(
            "SELECT {INSTANCE_COLS} FROM product_instances \
             ORDER BY created_at DESC, id LIMIT $1 OFFSET $2"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let instances = rows.iter().map(instance_from_row).collect::<Result<_>>()?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM product_instances")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?;
        Ok((instances, total))
    }

    /// An instance's numbers, oldest first.
    pub async fn service_numbers_of_instance(
        &self,
        instance_id: &str,
    ) -> Result<Vec<ServiceNumber>> {
        let rows = sqlx::query(
            "SELECT number, instance_id, status, order_id FROM service_numbers \
             WHERE instance_id = $1 ORDER BY created_at, number",
        )
        .bind(instance_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter().map(number_from_row).collect()
    }

    /// How many numbers of an instance are in each status.
    pub async fn instance_number_counts(&self, instance_id: &str) -> Result<BTreeMap<String, i64>> {
        let rows = sqlx::query(
            "SELECT status, COUNT(*) AS n FROM service_numbers WHERE instance_id = $1 \
             GROUP BY status",
        )
        .bind(instance_id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    /// The holiday years admins stored, by year.
    pub async fn calendar_years(&self) -> Result<Vec<StoredYear>> {
        let rows = sqlx::query(
            "SELECT year, schedule, updated_by, updated_at FROM calendar_years ORDER BY year",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let year: i64 = r.try_get("year")?;
                let text: String = r.try_get("schedule")?;
                Ok(StoredYear {
                    year: i32::try_from(year)
                        .map_err(|_| StoreError::Corrupt("calendar_years.year"))?,
                    schedule: year_from_toml(&text)?,
                    updated_by: r.try_get("updated_by")?,
                    updated_at: r.try_get("updated_at")?,
                })
            })
            .collect()
    }

    /// The calendar deadlines are computed with: the builtin one, each year an admin stored
    /// replacing that year. A stored year that no longer fits (it would list a date a
    /// neighbouring builtin year lists) is left out and logged, never silently half-applied.
    pub async fn calendar(&self) -> Result<Calendar> {
        let mut calendar = Calendar::builtin().clone();
        for stored in self.calendar_years().await? {
            let year = stored.year;
            if let Err(e) = with_year(&calendar, stored.schedule).map(|c| calendar = c) {
                tracing::error!(year, error = %e, "a stored holiday year does not fit the calendar");
            }
        }
        Ok(calendar)
    }
}

/// `calendar` with `schedule` in place of its year (checked: valid, and no date listed twice
/// across years).
pub fn with_year(
    calendar: &Calendar,
    schedule: YearSchedule,
) -> std::result::Result<Calendar, beian_core::calendar::CalendarError> {
    let mut next = calendar.clone();
    next.remove_year(schedule.year);
    next.add_year(schedule)?;
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_core::calendar::HolidayPeriod;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_year_survives_its_toml_round_trip() {
        let schedule = YearSchedule {
            year: 2031,
            notice: "国务院办公厅关于2031年部分节假日安排的通知".into(),
            holidays: vec![HolidayPeriod {
                name_zh: "元旦".into(),
                name_en: "New Year's Day".into(),
                first: d("2031-01-01"),
                last: d("2031-01-01"),
                make_up: vec![],
                note: None,
            }],
        };
        let text = year_to_toml(&schedule).unwrap();
        assert_eq!(year_from_toml(&text).unwrap(), schedule);
    }

    #[test]
    fn with_year_replaces_and_checks() {
        let base = Calendar::builtin();
        let first_year = base.years().next().unwrap().year;
        let replaced = YearSchedule {
            year: first_year,
            notice: "replaced".into(),
            holidays: vec![],
        };
        let next = with_year(base, replaced).unwrap();
        assert_eq!(next.year(first_year).unwrap().notice, "replaced");
        let bad = YearSchedule {
            year: first_year,
            notice: "bad".into(),
            holidays: vec![HolidayPeriod {
                name_zh: "x".into(),
                name_en: "x".into(),
                first: d(&format!("{first_year}-05-05")),
                last: d(&format!("{first_year}-05-01")),
                make_up: vec![],
                note: None,
            }],
        };
        assert!(with_year(base, bad).is_err());
    }
}
