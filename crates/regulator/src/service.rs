//! [`Regulator`]: the simulator's business API over its database and clock. Each call is one
//! write transaction (`BEGIN IMMEDIATE`) or one read; the SOAP adapter, the HTTP pages and the
//! review driver all go through it.

use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};
use sqlx::{SqlitePool, Transaction};

use crate::bureau::{self, Decision, SmsCheck, Submission};
use crate::clock::SharedClock;
use crate::config::Config;
use crate::crypto::{Field, RegistryCrypto, RegistryKey};
use crate::model::{DownloadFile, FilingRequest, FilingStatus, Outcome, SubmissionState};
use crate::password::{self, PasswordCheck};
use crate::query::{self, PublicQuery, PublicRecord};
use crate::{Error, db, registry};

/// A provider (接入商) as the registry knows it, with its interface credentials.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Provider {
    /// ispId.
    pub id: i64,
    pub name: String,
    /// GB/T 2260 code of its bureau.
    pub province: String,
    pub username: String,
    pub password: String,
    pub aes_key: String,
    pub aes_iv: String,
}

impl std::fmt::Debug for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Provider")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// A text in a simulated phone's inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Text {
    pub mobile: String,
    pub text: String,
    pub sent_at: String,
}

/// What one pass of the review driver did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TickReport {
    pub texts_sent: usize,
    pub expired: Vec<i64>,
    pub decided: Vec<i64>,
}

struct Inner {
    pool: SqlitePool,
    clock: SharedClock,
    config: Config,
    /// The simulator's own key for the personal data in its registry.
    crypto: RegistryCrypto,
    /// The data dir, when opened from one: where a simulated clock's moves are kept.
    dir: Option<std::path::PathBuf>,
    /// The read connections of a registry opened from its file ([`db::ReadConns`]); reads
    /// of one opened over a pool use the pool.
    reads: Option<Arc<db::ReadConns>>,
    /// The public query's own connections, of a registry opened from its file
    /// ([`crate::query`]); one opened over a pool answers it through sqlx.
    queries: Option<Arc<db::QueryConns>>,
}

/// The simulated regulator. Cheap to clone.
#[derive(Clone)]
pub struct Regulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Regulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Regulator")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

type Tx = Transaction<'static, sqlx::Sqlite>;

impl Regulator {
    /// Opens the registry in `data_dir` (`regulator.sqlite`), migrating it, under the
    /// simulator's key ([`RegistryKey::load`]: `BEIAN_REGULATOR_KEY`, else the data dir's
    /// `regulator.key`, generated on the first start).
    pub async fn open(
        data_dir: &Path,
        clock: SharedClock,
        config: Config,
    ) -> Result<Regulator, Error> {
        let crypto = RegistryCrypto::new(&RegistryKey::load(data_dir)?);
        let pool = db::open(data_dir, &crypto).await?;
        let reads = db::ReadConns::new((*pool.connect_options()).clone(), 4);
        let mut regulator = Regulator::new(pool, crypto, clock, config);
        if let Some(inner) = Arc::get_mut(&mut regulator.inner) {
            inner.dir = Some(data_dir.to_path_buf());
            inner.reads = Some(Arc::new(reads));
            inner.queries = Some(Arc::new(db::QueryConns::new(data_dir.join(db::FILE_NAME))));
        }
        Ok(regulator)
    }

    /// Keeps a simulated clock's reading in the data dir ([`crate::clock_file`]), so that a
    /// restart resumes from it; nothing without a data dir.
    pub fn keep_clock(&self, now: chrono::DateTime<chrono::Utc>) -> Result<(), Error> {
        match &self.inner.dir {
            Some(dir) => Ok(crate::clock_file::keep(dir, now)?),
            None => Ok(()),
        }
    }

    /// A regulator over an open, migrated pool whose personal data is sealed under `crypto`.
    pub fn new(
        pool: SqlitePool,
        crypto: RegistryCrypto,
        clock: SharedClock,
        config: Config,
    ) -> Regulator {
        Regulator {
            inner: Arc::new(Inner {
                pool,
                clock,
                config,
                crypto,
                dir: None,
                reads: None,
                queries: None,
            }),
        }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.inner.pool
    }

    pub fn clock(&self) -> &SharedClock {
        &self.inner.clock
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The simulator's key for the personal data in its registry.
    pub fn crypto(&self) -> &RegistryCrypto {
        &self.inner.crypto
    }

    /// The current instant on the shared clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub(crate) async fn write(&self) -> Result<Tx, Error> {
        Ok(self.inner.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    pub(crate) async fn read(&self) -> Result<db::ReadConn, Error> {
        Ok(match &self.inner.reads {
            Some(reads) => db::ReadConn::Lent(reads.lend().await?),
            None => db::ReadConn::Pooled(self.inner.pool.acquire().await?),
        })
    }

    // ----- providers and blacklist -----

    /// Registers a provider with its interface credentials; returns its ispId.
    pub async fn add_provider(&self, provider: &Provider) -> Result<i64, Error> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO providers (id, name, province, username, password, aes_key, aes_iv) \
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(provider.id)
        .bind(&provider.name)
        .bind(&provider.province)
        .bind(&provider.username)
        .bind(&provider.password)
        .bind(&provider.aes_key)
        .bind(&provider.aes_iv)
        .fetch_one(&mut *tx)
        .await?;
        registry::record(
            &mut tx,
            self.now(),
            "provider.added",
            &format!("provider:{id}"),
            serde_json::json!({"name": provider.name}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The provider with this ispId (to check a SOAP call's credentials).
    pub async fn provider(&self, isp_id: i64) -> Result<Option<Provider>, Error> {
        let mut conn = self.read().await?;
        Ok(sqlx::query_as(
            "SELECT id, name, province, username, password, aes_key, aes_iv FROM providers WHERE id = ?",
        )
        .bind(isp_id)
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// Blacklists a sponsor by certificate number (refused with 1065).
    pub async fn blacklist_sponsor(
        &self,
        certificate_number: &str,
        reason: &str,
    ) -> Result<(), Error> {
        self.blacklist(
            "sponsor",
            &registry::blacklist_value(self.crypto(), "sponsor", certificate_number),
            reason,
        )
        .await
    }

    /// Blacklists a domain (refused with 1064).
    pub async fn blacklist_domain(&self, domain: &str, reason: &str) -> Result<(), Error> {
        self.blacklist("domain", &registry::normalize_domain(domain), reason)
            .await
    }

    async fn blacklist(&self, kind: &str, value: &str, reason: &str) -> Result<(), Error> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT OR IGNORE INTO blacklist (kind, value, reason) VALUES (?, ?, ?)")
            .bind(kind)
            .bind(value)
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        registry::record(
            &mut tx,
            self.now(),
            "blacklist.added",
            kind,
            serde_json::json!({"reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ----- what the SOAP services call -----

    /// `isp_upload`: receives one filing of `provider_id`; returns the submission id.
    /// `upload_ref` (the upload's file name or record id) is echoed in the result.
    pub async fn submit(
        &self,
        provider_id: i64,
        upload_ref: &str,
        request: &FilingRequest,
    ) -> Result<i64, Error> {
        let mut tx = self.write().await?;
        // Received once: an upload whose receipt a crash cut short (its records submitted,
        // the upload not yet recorded) is received again, and its records are not. A record
        // is its reference and its content (one file may carry several records under one
        // reference).
        let known: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM submissions WHERE provider_id = ? AND upload_ref = ? \
             AND payload_digest = ? LIMIT 1",
        )
        .bind(provider_id)
        .bind(upload_ref)
        .bind(
            self.crypto()
                .digest(Field::Filing, serde_json::to_string(request)?.as_bytes()),
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(id) = known {
            return Ok(id);
        }
        let id = bureau::receive(
            &mut tx,
            self.crypto(),
            self.now(),
            &self.inner.config,
            provider_id,
            upload_ref,
            request,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// `isp_querybeianstatus` by domain (condition type 0).
    pub async fn status_by_domain(&self, domain: &str) -> Result<FilingStatus, Error> {
        let mut conn = self.read().await?;
        registry::status_by_domain(&mut conn, domain).await
    }

    /// `isp_querybeianstatus` by an APP's package (beian's condition type 99): the filed
    /// APP's `(name, sponsor number, -NA number)`.
    pub async fn app_status_by_package(
        &self,
        package: &str,
    ) -> Result<Option<(String, String, String)>, Error> {
        let mut conn = self.read().await?;
        Ok(sqlx::query_as(
            "SELECT a.name, s.number, a.number FROM app_packages p \
             JOIN apps a ON a.id = p.app_id JOIN sponsors s ON s.id = a.sponsor_id \
             WHERE p.package = ? AND a.status = 'filed' ORDER BY a.id LIMIT 1",
        )
        .bind(package.trim())
        .fetch_optional(&mut *conn)
        .await?)
    }

    /// `isp_querybeianstatus` by certificate number (condition types 1–11).
    pub async fn status_by_certificate(
        &self,
        certificate_number: &str,
    ) -> Result<FilingStatus, Error> {
        let mut conn = self.read().await?;
        registry::status_by_certificate(&mut conn, self.crypto(), certificate_number).await
    }

    /// The identity (name, nature, certificate type) of the filed sponsor holding this
    /// certificate number, for the status query's extension.
    pub async fn sponsor_identity_by_certificate(
        &self,
        certificate_number: &str,
    ) -> Result<Option<(String, String, String)>, Error> {
        let mut conn = self.read().await?;
        registry::filed_sponsor_identity(&mut conn, self.crypto(), certificate_number).await
    }

    /// The filing of a sponsor or website number (the password check's `<Baxx>` extension).
    pub async fn filing_record(
        &self,
        number: &str,
    ) -> Result<Option<beian_miit::v3::returns::FilingRecord>, Error> {
        let mut conn = self.read().await?;
        registry::filing_record(&mut conn, self.crypto(), number).await
    }

    /// `isp_verifybamm`: checks a filing password given a sponsor or website number, with the
    /// daily lockout.
    pub async fn verify_password(
        &self,
        number: &str,
        password: &str,
    ) -> Result<PasswordCheck, Error> {
        let mut tx = self.write().await?;
        let Some(sponsor) = registry::sponsor_by_number(&mut tx, number).await? else {
            return Ok(PasswordCheck::UnknownNumber);
        };
        let at = self.now();
        let check = password::verify(
            &mut tx,
            at,
            sponsor.id,
            password,
            self.inner.config.password_max_failures,
        )
        .await?;
        registry::record(
            &mut tx,
            at,
            "password.checked",
            &format!("sponsor:{}", sponsor.id),
            serde_json::json!({"result": format!("{check:?}")}),
        )
        .await?;
        tx.commit().await?;
        Ok(check)
    }

    /// `isp_download`: the oldest unacknowledged result and how many wait; handed out again
    /// on every call until acknowledged.
    pub async fn next_download(
        &self,
        provider_id: i64,
    ) -> Result<Option<(DownloadFile, u32)>, Error> {
        let mut tx = self.write().await?;
        let next = crate::downloads::next_download(&mut tx, provider_id).await?;
        tx.commit().await?;
        Ok(next)
    }

    /// `isp_downloadack`: false when the file is not one of the provider's pending files.
    pub async fn ack_download(&self, provider_id: i64, file_name: &str) -> Result<bool, Error> {
        let mut tx = self.write().await?;
        let done =
            crate::downloads::ack_download(&mut tx, self.now(), provider_id, file_name).await?;
        tx.commit().await?;
        Ok(done)
    }

    // ----- the bureau -----

    /// One pass of the review driver: sends due SMS codes, returns filings whose SMS window
    /// passed, and (in auto mode) decides due submissions.
    pub async fn tick(&self) -> Result<TickReport, Error> {
        let at = self.now();
        let mut tx = self.write().await?;
        let texts_sent = crate::sms::send_due_texts(&mut tx, self.crypto(), at).await?;
        let expired = crate::sms::expire_sms_windows(&mut tx, self.crypto(), at).await?;
        tx.commit().await?;
        let mut decided = Vec::new();
        let due = {
            let mut conn = self.read().await?;
            bureau::due(&mut conn, at).await?
        };
        for id in due {
            match self.decide_at(at, id, Decision::Approve).await {
                Ok(_) => decided.push(id),
                Err(Error::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(TickReport {
            texts_sent,
            expired,
            decided,
        })
    }

    /// Decides a queued submission (the console, or manual mode's `/decide`).
    pub async fn decide(&self, id: i64, decision: Decision) -> Result<Outcome, Error> {
        self.decide_at(self.now(), id, decision).await
    }

    async fn decide_at(
        &self,
        at: DateTime<Utc>,
        id: i64,
        decision: Decision,
    ) -> Result<Outcome, Error> {
        let mut rng = StdRng::from_os_rng();
        let mut tx = self.write().await?;
        let outcome = bureau::decide(&mut tx, self.crypto(), at, id, decision, &mut rng).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Submissions in a state (all when `None`), oldest first.
    pub async fn reviews(&self, state: Option<SubmissionState>) -> Result<Vec<Submission>, Error> {
        let mut conn = self.read().await?;
        bureau::list(&mut conn, self.crypto(), state, 500).await
    }

    /// One submission.
    pub async fn submission(&self, id: i64) -> Result<Submission, Error> {
        let mut conn = self.read().await?;
        bureau::load(&mut conn, self.crypto(), id).await
    }

    /// The bureau's SMS page: a responsible person enters a code.
    pub async fn enter_sms_code(&self, mobile: &str, code: &str) -> Result<SmsCheck, Error> {
        let mut tx = self.write().await?;
        let check = crate::sms::enter_sms_code(
            &mut tx,
            self.crypto(),
            self.now(),
            &self.inner.config,
            mobile,
            code,
        )
        .await?;
        tx.commit().await?;
        Ok(check)
    }

    /// Delivers `text` to the simulated phone `mobile` (its inbox page shows it): in demo
    /// mode the bundled platform's own texts (the 取消接入 code, notices) travel the same
    /// simulated phone network as the ministry's.
    pub async fn deliver_text(&self, mobile: &str, text: &str) -> Result<(), Error> {
        let mut tx = self.write().await?;
        crate::registry::text_phone(&mut tx, self.crypto(), self.now(), mobile, text).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Texts sent to a phone, oldest first.
    pub async fn phone_inbox(&self, mobile: &str) -> Result<Vec<Text>, Error> {
        let mut conn = self.read().await?;
        let rows: Vec<Text> = sqlx::query_as(
            "SELECT mobile, text, sent_at FROM phone_inbox WHERE mobile_index = ? ORDER BY id",
        )
        .bind(self.crypto().blind(Field::Mobile, mobile))
        .fetch_all(&mut *conn)
        .await?;
        rows.into_iter()
            .map(|t| {
                Ok(Text {
                    mobile: self.crypto().open(Field::Mobile, &t.mobile)?,
                    text: self.crypto().open(Field::Text, &t.text)?,
                    ..t
                })
            })
            .collect()
    }

    /// The public ICP query.
    pub async fn public_query(&self, q: &PublicQuery) -> Result<Vec<PublicRecord>, Error> {
        if let Some(conns) = &self.inner.queries {
            return query::run_inline(conns, q).await;
        }
        let mut conn = self.read().await?;
        query::run(&mut conn, q).await
    }

    /// The public APP query: filed APPs by a substring of their name, by their number or by
    /// their sponsor's number, at most [`query::LIMIT`].
    pub async fn public_app_query(
        &self,
        name_or_number: &str,
    ) -> Result<Vec<crate::registry::FiledApp>, Error> {
        let mut conn = self.read().await?;
        crate::registry::find_apps(&mut conn, name_or_number, query::LIMIT).await
    }

    // ----- the driver -----

    /// Runs the review driver until the task is dropped: a pass every `every` of real time,
    /// and at once whenever the simulated clock moves.
    pub async fn run_driver(self, every: std::time::Duration) {
        loop {
            if let Err(error) = self.tick().await {
                tracing::warn!(%error, "regulator review pass failed");
            }
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = self.inner.clock.changed() => {}
            }
        }
    }

    /// Starts [`Regulator::run_driver`] on the runtime.
    pub fn spawn_driver(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.clone().run_driver(every))
    }
}
