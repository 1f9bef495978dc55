//! Generators of valid certificate numbers for synthetic sponsors: unified social credit codes
//! (GB 32100-2015, with the embedded organisation code of GB 11714) and resident identity
//! numbers (GB 11643-1999), each with its correct check character.
//!
//! TODO(lead): validate with beian_core::credit_code / beian_core::resident_id in the tests
//! once those modules are merged; the check computations here are local.

use rand::Rng;

/// The 31 characters of a credit code (no I, O, Z, S, V).
const CREDIT_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The check character of the first 17 characters of a credit code, if they are valid.
pub fn credit_code_check(first17: &str) -> Option<char> {
    let mut sum = 0u32;
    let mut weight = 1u32;
    let mut count = 0;
    for c in first17.bytes() {
        let value = CREDIT_CHARS.iter().position(|&x| x == c)?;
        sum += u32::try_from(value).ok()? * weight;
        weight = weight * 3 % 31;
        count += 1;
    }
    if count != 17 {
        return None;
    }
    let check = (31 - sum % 31) % 31;
    CREDIT_CHARS
        .get(usize::try_from(check).ok()?)
        .map(|&b| char::from(b))
}

/// The check character of an 8-character organisation code body (GB 11714).
fn organisation_check(body: &[u8; 8]) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, w)| {
            let value = if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A') + 10
            };
            value * w
        })
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('0'),
    }
}

/// A valid enterprise credit code registered in `area` (6-digit GB/T 2260 code).
pub fn credit_code(rng: &mut impl Rng, area: &str) -> String {
    let mut body = [0u8; 8];
    for (i, slot) in body.iter_mut().enumerate() {
        // Real organisation codes are mostly digits; "MA" bodies are the post-2015 ones.
        *slot = if i < 2 && rng.random_bool(0.5) {
            [b'M', b'A'][i]
        } else {
            b'0' + rng.random_range(0..10u8)
        };
    }
    let mut code = String::with_capacity(18);
    code.push_str("91");
    code.push_str(area);
    code.extend(body.iter().map(|&b| char::from(b)));
    code.push(organisation_check(&body));
    let check = credit_code_check(&code).unwrap_or('0');
    code.push(check);
    code
}

/// The check character of the first 17 digits of a resident identity number.
pub fn resident_id_check(first17: &str) -> Option<char> {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let digits: Vec<u32> = first17
        .chars()
        .map(|c| c.to_digit(10))
        .collect::<Option<_>>()?;
    if digits.len() != 17 {
        return None;
    }
    let sum: u32 = digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    b"10X98765432"
        .get(usize::try_from(sum % 11).ok()?)
        .map(|&b| char::from(b))
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
            let body: [u8; 8] = code.as_bytes()[8..16].try_into().unwrap();
            assert_eq!(
                organisation_check(&body),
                char::from(code.as_bytes()[16]),
                "{code}"
            );
            let id = resident_id(&mut rng, "110105");
            assert_eq!(resident_id_check(&id[..17]), id.chars().last(), "{id}");
        }
    }
}
