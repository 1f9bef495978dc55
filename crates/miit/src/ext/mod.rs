//! beian's own extensions of the enterprise interface, each in a versioned namespace of this
//! project (`urn:beian:miit-ext:…`), with its schema under `crates/miit/xsd/ext/` and its
//! description in `docs/interface-extensions.md`. They are not the ministry's: where a real
//! later version of the interface exists, it replaces them.
//!
//! - [`app`]: APP filing (APP备案), `urn:beian:miit-ext:app:1`.

pub mod app;
