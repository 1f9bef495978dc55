//! Materials (备案资料): the documents an order carries. Which kinds an order needs
//! ([`required_materials`]), and how an upload is read ([`read_capped`], a size cap that
//! stops early), recognised by content ([`sniff`]) and cleaned before it is stored
//! ([`sanitize`]: images re-encoded without EXIF, PDFs checked).
//!
//! Storing happens elsewhere, under the random key [`new_storage_key`] gives; so does the HTTP
//! handler. This module is pure except for [`read_capped`], which only pulls from a stream.

mod capped;
mod error;
mod key;
mod kind;
mod required;
mod sanitize;
mod sniff;

pub use capped::{ReadCappedError, TooLarge, check_declared_length, read_capped};
pub use error::{FILE_FIELD, UploadError};
pub use key::{KEY_PREFIX, new_storage_key};
pub use kind::MaterialKind;
pub use required::{PersonFacts, required_materials};
pub use sanitize::{JPEG_QUALITY, Sanitized, UploadLimits, sanitize};
pub use sniff::{FileType, sniff};
