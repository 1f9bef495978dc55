//! Where a stored material lives in the object store: under a random key (a v4 UUID, 122
//! random bits) that says nothing about the order, the sponsor or the file's original name,
//! so keys can be neither guessed nor enumerated. The order keeps the key with the kind.

use uuid::Uuid;

use super::sniff::FileType;

/// The prefix of every material's key.
pub const KEY_PREFIX: &str = "materials/";

/// A fresh random key for a file of `file_type`, e.g. `materials/3f2b…9c.jpg`.
pub fn new_storage_key(file_type: FileType) -> String {
    format!(
        "{KEY_PREFIX}{}.{}",
        Uuid::new_v4().simple(),
        file_type.extension()
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn keys_are_random_and_shaped() {
        let keys: HashSet<String> = (0..1000).map(|_| new_storage_key(FileType::Png)).collect();
        assert_eq!(keys.len(), 1000);
        for key in keys.iter().take(5) {
            let name = key.strip_prefix(KEY_PREFIX).unwrap();
            let (id, ext) = name.split_once('.').unwrap();
            assert_eq!(ext, "png");
            assert_eq!(id.len(), 32);
            assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{key}");
        }
        assert!(new_storage_key(FileType::Pdf).ends_with(".pdf"));
    }
}
