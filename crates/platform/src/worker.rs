//! The background job worker: claims due jobs from the store's queue (leased, so several
//! instances run each job once) and runs each by its kind, in one plain `match`
//! ([`Worker::run`]) — adding a job kind is adding an arm. Unknown kinds end `dead` with
//! the reason, visible to the admins, never dropped.
//!
//! It starts with the application (`beian_web::startup::Application::run_until_stopped`) and
//! runs a first batch at once, so a job whose time passed while the server was down runs at
//! start (once: the lease and the `done` status see to that). Then it claims again as soon
//! as a batch was not empty, else after `idle_wait` of real time or when the simulated clock
//! moves. At start it also makes sure one results poll and one purge are queued.
//!
//! A job that runs longer than half its lease (a hung connection) is abandoned and retried.
//! Outcomes: `Done` completes the job; `RetryAfter` puts it back after the job's own delay
//! (notification delivery's retry policy, the bureau upload's capped backoff); `Failed` ends
//! it `dead` with its reason.

use std::sync::Arc;

use beian_core::clock::SharedClock;
use beian_core::filing::ProviderId;
use beian_miit::v3::client::RegulatorClient;
use beian_store::jobs::Job;
use beian_store::objects::Objects;
use beian_store::{Store, StoreError};

use crate::bureau::{self, Bureau};
use crate::notify::{
    HttpSmsGateway, JobOutcome, Mailer, NotifyJob, OutboxSmsGateway, RenderContext, RetryPolicy,
    SmsGateway, SmtpMailer, StoreOutbox,
};
use crate::settings::{NotifySettings, WorkerSettings};
use crate::workflow::Workflow;

/// Why the worker could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    #[error("mail: {0}")]
    Mail(#[from] crate::notify::MailError),
    #[error("SMS gateway: {0}")]
    Sms(#[from] crate::notify::SmsError),
}

/// The signature texts carry: the configured one, else the provider's name.
fn sms_sign(notify: &NotifySettings, provider_name: &str) -> String {
    if notify.sms_sign.is_empty() {
        provider_name.to_owned()
    } else {
        notify.sms_sign.clone()
    }
}

/// The job worker of one instance.
#[derive(Clone)]
pub struct Worker {
    store: Arc<Store>,
    objects: Arc<Objects>,
    client: Arc<dyn RegulatorClient>,
    clock: SharedClock,
    isp_id: i64,
    mailer: Arc<dyn Mailer>,
    sms: Arc<dyn SmsGateway>,
    render: RenderContext,
    retry: RetryPolicy,
    settings: WorkerSettings,
    owner: String,
}

impl std::fmt::Debug for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker")
            .field("owner", &self.owner)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What the worker is made of.
pub struct WorkerParts {
    pub store: Arc<Store>,
    pub objects: Arc<Objects>,
    pub client: Arc<dyn RegulatorClient>,
    pub clock: SharedClock,
    pub isp_id: i64,
    pub provider_name: String,
}

impl Worker {
    /// A worker delivering mail by SMTP and texts by HTTP when configured, else to the
    /// store's outbox.
    pub fn new(
        parts: WorkerParts,
        notify: &NotifySettings,
        settings: &WorkerSettings,
    ) -> Result<Worker, WorkerError> {
        let outbox = StoreOutbox::new(parts.store.clone());
        let mailer: Arc<dyn Mailer> = match &notify.smtp {
            Some(config) => Arc::new(SmtpMailer::new(config)?),
            None => Arc::new(outbox.clone()),
        };
        let sign = sms_sign(notify, &parts.provider_name);
        let sms: Arc<dyn SmsGateway> = match &notify.sms_http {
            Some(config) => Arc::new(HttpSmsGateway::new(config.clone())?),
            None => Arc::new(OutboxSmsGateway::new(outbox, sign)),
        };
        Ok(Worker {
            render: RenderContext {
                provider_name: parts.provider_name,
                portal_url: notify.portal_url.clone(),
            },
            store: parts.store,
            objects: parts.objects,
            client: parts.client,
            clock: parts.clock,
            isp_id: parts.isp_id,
            mailer,
            sms,
            retry: RetryPolicy::default(),
            settings: settings.clone(),
            owner: format!("worker:{}", uuid::Uuid::new_v4()),
        })
    }

    /// With the embedded default (no HTTP gateway), also hands every text to `phones`: demo
    /// mode's simulated phone network, so that a person reads the codes the platform texts on
    /// the same inbox page as the bureau's. Without effect when an HTTP gateway sends texts.
    pub fn with_simulated_phones(
        mut self,
        notify: &NotifySettings,
        phones: Arc<dyn crate::notify::SmsOutboxSink>,
    ) -> Worker {
        if notify.sms_http.is_none() {
            let outbox =
                crate::notify::CopyingOutbox::new(StoreOutbox::new(self.store.clone()), phones);
            let sign = sms_sign(notify, &self.render.provider_name);
            self.sms = Arc::new(OutboxSmsGateway::new(outbox, sign));
        }
        self
    }

    /// Replaces the mailer and SMS gateway (tests).
    pub fn with_gateways(mut self, mailer: Arc<dyn Mailer>, sms: Arc<dyn SmsGateway>) -> Worker {
        self.mailer = mailer;
        self.sms = sms;
        self
    }

    /// The bureau jobs' view of this worker.
    pub fn bureau(&self) -> Bureau<'_> {
        Bureau {
            store: &self.store,
            objects: &self.objects,
            client: self.client.as_ref(),
            isp_id: self.isp_id,
            poll_interval: self.settings.poll_interval,
            storefront_ips: &self.settings.storefront_ips,
        }
    }

    /// Makes sure the periodic jobs (results poll, upload purge) are queued.
    pub async fn ensure_periodic(&self) -> Result<(), StoreError> {
        let now = self.store.now();
        bureau::enqueue_once(&self.store, bureau::POLL_JOB, now).await?;
        crate::deadlines::schedule_sweep(&self.store).await?;
        if self.store.open_jobs_of_kind(bureau::PURGE_JOB).await? == 0 {
            let mut tx = self.store.begin().await?;
            tx.enqueue_job(bureau::PURGE_JOB, &serde_json::json!({}), now)
                .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Claims one batch and runs it; returns how many jobs ran.
    pub async fn run_once(&self) -> Result<usize, StoreError> {
        let jobs = self
            .store
            .claim_jobs(&self.owner, self.settings.batch, self.settings.lease)
            .await?;
        let n = jobs.len();
        for job in jobs {
            // A job may not outlive its lease (a hung bureau or mail server): it is retried.
            let limit = self.settings.lease / 2;
            let outcome = match tokio::time::timeout(limit, self.run(&job)).await {
                Ok(outcome) => outcome,
                Err(_) => JobOutcome::RetryAfter(
                    std::time::Duration::from_secs(60),
                    format!("the job did not finish within {} s", limit.as_secs()),
                ),
            };
            let applied = match &outcome {
                JobOutcome::Done => self.store.complete_job(&job).await,
                JobOutcome::RetryAfter(delay, reason) => {
                    self.store.retry_job(&job, *delay, reason).await
                }
                JobOutcome::Failed(reason) => {
                    tracing::error!(job = %job.id, kind = %job.kind, %reason, "job failed");
                    self.store.kill_job(&job, reason).await
                }
            };
            match applied {
                Ok(()) | Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Runs one job by its kind.
    pub async fn run(&self, job: &Job) -> JobOutcome {
        match job.kind.as_str() {
            NotifyJob::KIND => self.notify(job).await,
            bureau::UPLOAD_JOB => bureau::submit::run_upload(&self.bureau(), job).await,
            bureau::POLL_JOB => bureau::poll::run_poll(&self.bureau(), job).await,
            bureau::PURGE_JOB => bureau::poll::run_purge(&self.bureau()).await,
            crate::workflow::PHOTO_PURGE_JOB => {
                outcome(crate::workflow::run_purge_job(&self.objects, &job.payload).await)
            }
            kind if kind.starts_with("deadline.") => {
                let wf = Workflow::new(
                    &self.store,
                    self.client.as_ref(),
                    ProviderId(self.provider()),
                );
                outcome(crate::deadlines::run_deadline_job(&wf, kind, &job.payload).await)
            }
            other => JobOutcome::Failed(format!("unknown job kind {other:?}")),
        }
    }

    /// This provider's id at the registry, as the workflow knows it.
    fn provider(&self) -> u64 {
        u64::try_from(self.isp_id).unwrap_or_default()
    }

    async fn notify(&self, job: &Job) -> JobOutcome {
        let payload = match crate::notify::open_notify_payload(&self.store, &job.payload) {
            Ok(p) => p,
            Err(e) => return JobOutcome::Failed(format!("notify payload: {e}")),
        };
        let attempt = u32::try_from(job.attempt).unwrap_or(u32::MAX);
        crate::notify::run_job(
            &payload,
            attempt,
            &self.retry,
            &self.render,
            self.mailer.as_ref(),
            self.sms.as_ref(),
        )
        .await
    }

    /// Runs until `stop` completes; then the job in hand is dropped (its bureau or mail call
    /// cut off) and every lease this worker holds is given back ([`Store::release_jobs`]), so
    /// another instance takes the jobs at once. A job cut off mid-upload is safe to run again:
    /// its upload keeps its file name and sequence, and the bureau takes a file once.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()>) {
        tokio::select! {
            () = self.work() => {}
            () = stop => {}
        }
        match self.store.release_jobs(&self.owner).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(released = n, "job leases given back at shutdown"),
            Err(e) => tracing::warn!(error = %e, "job leases not given back; they expire"),
        }
    }

    /// Runs until the task is dropped (see the module doc).
    pub async fn run_forever(self) {
        self.work().await;
    }

    async fn work(&self) {
        if let Err(e) = self.ensure_periodic().await {
            tracing::warn!(error = %e, "periodic jobs not queued");
        }
        loop {
            let ran = match self.run_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "job worker pass failed");
                    0
                }
            };
            if ran > 0 {
                continue;
            }
            tokio::select! {
                () = tokio::time::sleep(self.settings.idle_wait) => {}
                () = self.clock.changed() => {}
            }
        }
    }

    /// Starts [`Worker::run_forever`] on the runtime.
    pub fn spawn(self) -> tokio::task::JoinHandle<()> {
        tokio::spawn(self.run_forever())
    }
}

/// A handler's `Result` as the queue's outcome: an error is retried with the queue's backoff.
fn outcome(result: Result<(), String>) -> JobOutcome {
    match result {
        Ok(()) => JobOutcome::Done,
        Err(reason) => JobOutcome::RetryAfter(std::time::Duration::from_secs(60), reason),
    }
}
