//! `beian check KIND VALUE`: validates one identifier with the `beian-core` validators. On
//! success prints the normalised value on stdout and exits 0; on failure prints the reason
//! in Chinese, then in English, on stderr and exits 1.

use std::process::ExitCode;

use beian_core::contact::{Email, Mobile, OfficePhone};
use beian_core::credit_code::CreditCode;
use beian_core::domain::Domain;
use beian_core::i18n::{Locale, Localized};
use beian_core::icp_number::IcpNumber;
use beian_core::resident_id::ResidentId;

/// The kinds of value `check` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// 居民身份证号码 (GB 11643).
    ResidentId,
    /// 统一社会信用代码 (GB 32100).
    CreditCode,
    /// Mainland mobile number.
    Mobile,
    /// Fixed office line with area code.
    OfficePhone,
    /// E-mail address.
    Email,
    /// Domain name (printed in its ASCII/punycode form).
    Domain,
    /// ICP filing number (sponsor or website number).
    IcpNumber,
}

fn boxed<E: Localized + 'static>(e: E) -> Box<dyn Localized> {
    Box::new(e)
}

/// The normalised value, or why it is refused.
pub fn normalise(kind: Kind, value: &str) -> Result<String, Box<dyn Localized>> {
    match kind {
        Kind::ResidentId => ResidentId::parse(value).map(String::from).map_err(boxed),
        Kind::CreditCode => CreditCode::parse(value).map(String::from).map_err(boxed),
        Kind::Mobile => Mobile::parse(value).map(String::from).map_err(boxed),
        Kind::OfficePhone => OfficePhone::parse(value).map(String::from).map_err(boxed),
        Kind::Email => Email::parse(value).map(String::from).map_err(boxed),
        Kind::Domain => Domain::parse(value).map(String::from).map_err(boxed),
        Kind::IcpNumber => IcpNumber::parse(value).map(String::from).map_err(boxed),
    }
}

/// Runs the command: prints and returns the exit code.
pub fn run(kind: Kind, value: &str) -> ExitCode {
    match normalise(kind, value) {
        Ok(normalised) => {
            println!("{normalised}");
            ExitCode::SUCCESS
        }
        Err(reason) => {
            for locale in [Locale::ZhCn, Locale::En] {
                eprintln!("{}", reason.localize(locale));
            }
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_normalises_and_refuses() {
        let cases: &[(Kind, &str, Option<&str>)] = &[
            (
                Kind::ResidentId,
                "11010519491231002x",
                Some("11010519491231002X"),
            ),
            (Kind::ResidentId, "110105194912310021", None),
            (
                Kind::CreditCode,
                "91440300708461136t",
                Some("91440300708461136T"),
            ),
            (Kind::CreditCode, "91330000MA27U0DN1X", None),
            (Kind::Mobile, "+86 138-1234-5678", Some("13812345678")),
            (Kind::Mobile, "14012345678", None),
            (Kind::OfficePhone, "(0571)88888888", Some("0571-88888888")),
            (Kind::OfficePhone, "13812345678", None),
            (Kind::Email, "a@Example.COM", Some("a@example.com")),
            (Kind::Email, "nobody", None),
            (Kind::Domain, "例子.中国", Some("xn--fsqu00a.xn--fiqs8s")),
            (Kind::Domain, "com.cn", None),
            (
                Kind::IcpNumber,
                "浙ICP备2021012345号－1",
                Some("浙ICP备2021012345号-1"),
            ),
            (Kind::IcpNumber, "京ICP证030173号", None),
        ];
        for (kind, input, want) in cases {
            let got = normalise(*kind, input).ok();
            assert_eq!(got.as_deref(), *want, "{kind:?} {input:?}");
        }
    }
}
