//! The ministry's SMS check of a filing: the codes texted after the delay (one per distinct
//! responsible mobile), the bureau's page where they are entered, the sixth wrong code and
//! the window's expiry, both of which return the filing.

use beian_core::i18n::{Locale, render};
use beian_core::province::Province;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{Row, SqliteConnection};

use crate::bureau::{due_for, return_submission};
use crate::config::Config;
use crate::crypto::{Field, RegistryCrypto};
use crate::{Error, registry, ts};

/// What entering an SMS code did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum SmsCheck {
    /// The code is right; the filing goes on to review once every person has verified.
    Verified { submission_id: i64 },
    /// Wrong; `remaining` more wrong codes are allowed.
    WrongCode { remaining: u32 },
    /// One wrong code too many: the filing is returned.
    Returned { submission_id: i64 },
    /// The window has passed: the filing is returned.
    Expired { submission_id: i64 },
    /// No filing waits for this mobile's code.
    NoPendingCode,
}

impl SmsCheck {
    /// The message key of the answer shown on the bureau's page.
    pub fn message_key(&self) -> &'static str {
        match self {
            SmsCheck::Verified { .. } => "regulator.sms_check.verified",
            SmsCheck::WrongCode { .. } => "regulator.sms_check.wrong_code",
            SmsCheck::Returned { .. } => "regulator.sms_check.returned",
            SmsCheck::Expired { .. } => "regulator.sms_check.expired",
            SmsCheck::NoPendingCode => "regulator.sms_check.no_pending",
        }
    }
}

/// Sends the SMS codes whose time has come; returns how many texts went out.
pub async fn send_due_texts(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
) -> Result<usize, Error> {
    let rows = sqlx::query(
        "SELECT c.id, c.mobile, c.code, c.expires_at, s.province FROM sms_codes c \
         JOIN submissions s ON s.id = c.submission_id \
         WHERE c.purpose = 'filing' AND c.sent_at IS NULL AND c.closed = 0 AND c.send_at <= ?",
    )
    .bind(ts(at))
    .fetch_all(&mut *conn)
    .await?;
    for row in &rows {
        let id: i64 = row.try_get("id")?;
        let mobile = crypto.open(Field::Mobile, &row.try_get::<String, _>("mobile")?)?;
        let code: String = row.try_get("code")?;
        let expires: String = row.try_get("expires_at")?;
        let province: String = row.try_get("province")?;
        let bureau = Province::parse(&province).map_or("", |p| p.bureau());
        let deadline = DateTime::parse_from_rfc3339(&expires)
            .map(|t| {
                t.with_timezone(&chrono_tz::Asia::Shanghai)
                    .format("%Y-%m-%d %H:%M")
                    .to_string()
            })
            .unwrap_or(expires);
        let text = render(
            Locale::ZhCn,
            "regulator.sms.verification_code",
            &[
                ("code", code),
                ("deadline", deadline),
                ("bureau", bureau.to_owned()),
            ],
        );
        registry::text_phone(conn, crypto, at, &mobile, &text).await?;
        sqlx::query("UPDATE sms_codes SET sent_at = ? WHERE id = ?")
            .bind(ts(at))
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    Ok(rows.len())
}

/// Returns every submission whose SMS window has passed; returns their ids.
pub async fn expire_sms_windows(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
) -> Result<Vec<i64>, Error> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM submissions WHERE state = 'sms_pending' AND sms_deadline <= ? ORDER BY id",
    )
    .bind(ts(at))
    .fetch_all(&mut *conn)
    .await?;
    for id in &ids {
        return_submission(conn, crypto, at, *id, "regulator.return.sms_expired").await?;
    }
    Ok(ids)
}

/// The bureau's page: a responsible person enters the code texted to `mobile`.
pub async fn enter_sms_code(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    config: &Config,
    mobile: &str,
    code: &str,
) -> Result<SmsCheck, Error> {
    let row = sqlx::query(
        "SELECT c.id, c.submission_id, c.code, c.expires_at, c.wrong_tries FROM sms_codes c \
         JOIN submissions s ON s.id = c.submission_id \
         WHERE c.purpose = 'filing' AND c.mobile_index = ? AND c.closed = 0 \
         AND c.sent_at IS NOT NULL AND c.verified_at IS NULL AND s.state = 'sms_pending' \
         ORDER BY c.id DESC LIMIT 1",
    )
    .bind(crypto.blind(Field::Mobile, mobile))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(SmsCheck::NoPendingCode);
    };
    let code_id: i64 = row.try_get("id")?;
    let submission_id: i64 = row.try_get("submission_id")?;
    let expected: String = row.try_get("code")?;
    let expires_at: String = row.try_get("expires_at")?;
    let wrong_tries: i64 = row.try_get("wrong_tries")?;
    if expires_at <= ts(at) {
        return_submission(
            conn,
            crypto,
            at,
            submission_id,
            "regulator.return.sms_expired",
        )
        .await?;
        return Ok(SmsCheck::Expired { submission_id });
    }
    if code.trim() == expected {
        sqlx::query("UPDATE sms_codes SET verified_at = ? WHERE id = ?")
            .bind(ts(at))
            .bind(code_id)
            .execute(&mut *conn)
            .await?;
        let unverified: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM sms_codes WHERE submission_id = ? AND verified_at IS NULL",
        )
        .bind(submission_id)
        .fetch_one(&mut *conn)
        .await?;
        if unverified == 0 {
            sqlx::query(
                "UPDATE submissions SET state = 'queued', due_at = ? WHERE id = ? AND state = 'sms_pending'",
            )
            .bind(due_for(config, at).map(ts))
            .bind(submission_id)
            .execute(&mut *conn)
            .await?;
            sqlx::query("UPDATE sms_codes SET closed = 1 WHERE submission_id = ?")
                .bind(submission_id)
                .execute(&mut *conn)
                .await?;
            registry::record(
                conn,
                at,
                "submission.sms_verified",
                &format!("submission:{submission_id}"),
                serde_json::json!({}),
            )
            .await?;
        }
        return Ok(SmsCheck::Verified { submission_id });
    }
    let tries = wrong_tries + 1;
    sqlx::query("UPDATE sms_codes SET wrong_tries = ? WHERE id = ?")
        .bind(tries)
        .bind(code_id)
        .execute(&mut *conn)
        .await?;
    if tries > i64::from(config.sms_max_wrong) {
        return_submission(
            conn,
            crypto,
            at,
            submission_id,
            "regulator.return.sms_failed",
        )
        .await?;
        return Ok(SmsCheck::Returned { submission_id });
    }
    let remaining = i64::from(config.sms_max_wrong) + 1 - tries;
    Ok(SmsCheck::WrongCode {
        remaining: u32::try_from(remaining).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_key_used_exists() {
        let checks = [
            SmsCheck::Verified { submission_id: 1 },
            SmsCheck::WrongCode { remaining: 1 },
            SmsCheck::Returned { submission_id: 1 },
            SmsCheck::Expired { submission_id: 1 },
            SmsCheck::NoPendingCode,
        ];
        let mut keys: Vec<&str> = checks.iter().map(SmsCheck::message_key).collect();
        keys.extend([
            "regulator.sms.verification_code",
            "regulator.sms.filing_approved",
            "regulator.sms.recovery_code",
            "regulator.sms.new_password",
            "regulator.return.sms_expired",
            "regulator.return.sms_failed",
            "regulator.refused.by_officer",
        ]);
        for key in keys {
            assert!(beian_core::i18n::has_key(key), "{key}");
        }
    }
}
