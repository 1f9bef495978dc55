//! Generators of valid certificate numbers for synthetic sponsors: unified social credit codes
//! (GB 32100-2015, with the embedded organisation code of GB 11714) and resident identity
//! numbers (GB 11643-1999). The check characters come from `beian_core`'s validators, so the
//! seeded registry holds exactly what the platform accepts.

use beian_core::credit_code::CreditCode;
use rand::Rng;

/// The check character of the first 17 characters of a credit code, if they are valid.
pub fn credit_code_check(first17: &str) -> Option<char> {
    beian_core::credit_code::check_character(first17)
}

/// A valid enterprise credit code registered in `area` (6-digit GB/T 2260 code).
pub fn credit_code(rng: &mut impl Rng, area: &str) -> String {
    let mut first16 = String::with_capacity(16);
    first16.push_str("91");
    first16.push_str(area);
    for i in 0..8 {
        // Real organisation codes are mostly digits; "MA" bodies are the post-2015 ones.
        first16.push(if i < 2 && rng.random_bool(0.5) {
            ['M', 'A'][i]
        } else {
            char::from(b'0' + rng.random_range(0..10u8))
        });
    }
    CreditCode::from_parts(&first16).map_or(first16, String::from)
}

/// The check character of the first 17 digits of a resident identity number.
pub fn resident_id_check(first17: &str) -> Option<char> {
    beian_core::resident_id::check_character(first17)
}

/// A valid resident identity number of someone born in `area` between 1960 and 2003.
pub fn resident_id(rng: &mut impl Rng, area: &str) -> String {
    let year = rng.random_range(1960..=2003);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    let serial = rng.random_range(0..1000);
    let first17 = format!("{area}{year:04}{month:02}{day:02}{serial:03}");
    let check = resident_id_check(&first17).unwrap_or('0');
    format!("{first17}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_credit_codes_check() {
        for code in [
            "91350100M000100Y43",
            "91110000600037341L",
            "914403001922038216",
        ] {
            assert_eq!(
                credit_code_check(&code[..17]),
                code.chars().last(),
                "{code}"
            );
        }
        assert_eq!(credit_code_check("91350100M000100Y"), None);
        assert_eq!(credit_code_check("91350100M000100YI"), None);
    }

    #[test]
    fn known_resident_ids_check() {
        assert_eq!(resident_id_check("11010519491231002"), Some('X'));
        assert_eq!(resident_id_check("1101051949123100A"), None);
    }

    #[test]
    fn generated_numbers_are_valid() {
        let mut rng = rand::rng();
        for _ in 0..1000 {
            let code = credit_code(&mut rng, "330106");
            assert_eq!(code.len(), 18);
            assert_eq!(
                credit_code_check(&code[..17]),
                code.chars().last(),
                "{code}"
            );
            // The platform's own validators accept every generated number whole (both check
            // characters, authority, kind, division).
            assert!(CreditCode::parse(&code).is_ok(), "{code}");
            let id = resident_id(&mut rng, "110105");
            assert_eq!(resident_id_check(&id[..17]), id.chars().last(), "{id}");
            assert!(
                beian_core::resident_id::ResidentId::parse(&id).is_ok(),
                "{id}"
            );
        }
    }
}
