//! The legacy (万网) platform's filing data: its export format ([`format`],
//! `docs/legacy-export.md`), loading an export into the `legacy_accounts` table ([`load`]:
//! what `beian import wanwang FILE` does, one transaction per record, resumable), and the
//! one irreversible import of a loaded legacy account into an account of ours ([`import`]:
//! what `POST /legacy-imports` and `beian import wanwang FILE --account USER` do).

pub mod format;
pub mod import;
pub mod load;

pub use format::{
    LegacyAccess, LegacyRecord, LegacySponsor, LegacyWebsite, PASSWORD_SCHEME, RecordRefusal,
    example_record, parse_record, record_digest, verify_legacy_password,
};
pub use import::{ImportedWebsite, LegacyImported, import_into_account};
pub use load::{LineOutcome, LoadReport, RefusedLine, count_records, load_export, load_line};
