//! Filing-password recovery: a code texted to the sponsor's responsible mobile, then a new
//! password texted there too.

use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::SqliteConnection;

use crate::crypto::Field;
use crate::{Error, Regulator, password, registry, ts};

impl Regulator {
    /// Texts a recovery code to the sponsor's responsible mobile; false for an unknown number.
    pub async fn request_password_recovery(&self, number: &str) -> Result<bool, Error> {
        let mut rng = StdRng::from_os_rng();
        let at = self.now();
        let mut tx = self.write().await?;
        let Some(sponsor) = registry::sponsor_by_number(&mut tx, number).await? else {
            return Ok(false);
        };
        if !sponsor.filed {
            return Ok(false);
        }
        let mobile = self.crypto().open(Field::Mobile, &sponsor.sealed_mobile)?;
        close_recovery_codes(&mut tx, sponsor.id).await?;
        let code = format!("{:06}", rand::Rng::random_range(&mut rng, 0..1_000_000u32));
        let validity = self.config().recovery_code_validity;
        sqlx::query(
            "INSERT INTO sms_codes (purpose, sponsor_id, mobile, mobile_index, code, send_at, \
             sent_at, expires_at) VALUES ('password_recovery', ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(sponsor.id)
        .bind(&sponsor.sealed_mobile)
        .bind(self.crypto().blind(Field::Mobile, &mobile))
        .bind(&code)
        .bind(ts(at))
        .bind(ts(at))
        .bind(ts(at + validity))
        .execute(&mut *tx)
        .await?;
        let text = beian_core::i18n::render(
            beian_core::i18n::Locale::ZhCn,
            "regulator.sms.recovery_code",
            &[
                ("number", sponsor.number.clone()),
                ("code", code),
                ("minutes", validity.num_minutes().to_string()),
            ],
        );
        registry::text_phone(&mut tx, self.crypto(), at, &mobile, &text).await?;
        registry::record(
            &mut tx,
            at,
            "password.recovery_requested",
            &format!("sponsor:{}", sponsor.id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Checks a recovery code; when right, issues a new filing password texted to the
    /// sponsor's responsible mobile (and clears today's lockout). False when wrong or expired.
    pub async fn recover_password(&self, number: &str, code: &str) -> Result<bool, Error> {
        let mut rng = StdRng::from_os_rng();
        let at = self.now();
        let mut tx = self.write().await?;
        let Some(sponsor) = registry::sponsor_by_number(&mut tx, number).await? else {
            return Ok(false);
        };
        let mobile = self.crypto().open(Field::Mobile, &sponsor.sealed_mobile)?;
        let row: Option<(i64, String, String, i64)> = sqlx::query_as(
            "SELECT id, code, expires_at, wrong_tries FROM sms_codes WHERE purpose = 'password_recovery' \
             AND sponsor_id = ? AND closed = 0 ORDER BY id DESC LIMIT 1",
        )
        .bind(sponsor.id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((code_id, expected, expires_at, tries)) = row else {
            return Ok(false);
        };
        if expires_at <= ts(at) || code.trim() != expected {
            let close = expires_at <= ts(at) || tries + 1 > i64::from(self.config().sms_max_wrong);
            sqlx::query(
                "UPDATE sms_codes SET wrong_tries = wrong_tries + 1, closed = ? WHERE id = ?",
            )
            .bind(i64::from(close))
            .bind(code_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            return Ok(false);
        }
        let new_password = password::reset(&mut tx, sponsor.id, &mut rng).await?;
        sqlx::query("UPDATE sms_codes SET verified_at = ?, closed = 1 WHERE id = ?")
            .bind(ts(at))
            .bind(code_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM password_failures WHERE sponsor_id = ?")
            .bind(sponsor.id)
            .execute(&mut *tx)
            .await?;
        let text = beian_core::i18n::render(
            beian_core::i18n::Locale::ZhCn,
            "regulator.sms.new_password",
            &[
                ("number", sponsor.number.clone()),
                ("password", new_password),
            ],
        );
        registry::text_phone(&mut tx, self.crypto(), at, &mobile, &text).await?;
        registry::record(
            &mut tx,
            at,
            "password.recovered",
            &format!("sponsor:{}", sponsor.id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(true)
    }
}

async fn close_recovery_codes(conn: &mut SqliteConnection, sponsor_id: i64) -> Result<(), Error> {
    sqlx::query(
        "UPDATE sms_codes SET closed = 1 WHERE purpose = 'password_recovery' AND sponsor_id = ?",
    )
    .bind(sponsor_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
