//! [`SponsorRefusal`]: the refusals of the after-success services (the account's sponsor,
//! 取消接入, the legacy import), each with its API code, HTTP status, field and message
//! (`messages/sponsor.toml`). It reaches the API as [`super::WorkflowError::Sponsor`].

use std::collections::BTreeMap;

use beian_core::i18n::Locale;

use super::messages;

/// Why an after-success request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SponsorRefusal {
    /// The account holds no sponsor. (404)
    NoSponsor,
    /// No such website of the account's sponsor. (404)
    WebsiteNotFound,
    /// The website has no access at this provider. (409)
    NoActiveAccess,
    /// 取消接入 was already sent for this website. (409)
    AccessCancelling,
    /// The sponsor has no number yet (nothing filed). (409)
    SponsorNotFiled,
    /// The website's responsible person has no mobile on file to text the code to. (409)
    NoMobileOnFile,
    /// A code was sent a moment ago, or too many in the last hour. (429)
    CodeTooSoon { retry_after_secs: u64 },
    /// No code was requested (or it was used or replaced). (422, `sms_code`)
    CodeMissing,
    /// The code's ten minutes are over. (422, `sms_code`)
    CodeExpired,
    /// Wrong code; tries left. (422, `sms_code`)
    CodeIncorrect { tries_left: i64 },
    /// Five wrong tries: the code is dead. (422, `sms_code`)
    CodeExhausted,
    /// The irreversible import needs `confirm: true`. (422, `confirm`)
    ConfirmRequired,
    /// Unknown legacy username or wrong password (never says which). (401, `legacy_password`)
    LegacyCredentials,
    /// Too many wrong legacy passwords. (429)
    LegacyThrottled { retry_after_secs: u64 },
    /// The account already holds a sponsor: an import would rebind it. (409)
    AccountHasSponsor,
    /// The legacy account was imported already. (409)
    LegacyAlreadyImported,
    /// The legacy sponsor's certificate is already a sponsor here. (409)
    LegacySponsorExists,
    /// One of the legacy websites' domains is already a website here. (409)
    LegacyDomainExists,
    /// The website has no number yet: nothing to change or cancel. (409)
    WebsiteNotFiled,
    /// The sponsor or website has no active access here: its changes go through its
    /// hosting provider (the bureau would refuse ours). (409)
    NotAccessedHere,
    /// The kind cannot be made on this endpoint. (422, `kind`)
    KindNotAllowed,
    /// A kind `POST /apps/{id}/orders` does not make (issue 18): it makes 变更APP
    /// (`change_website`) and 注销APP (`cancel_website`); 新增接入 and 继续接入 of an APP come
    /// from the filing check. (422, `kind`)
    AppKindNotSupported,
    /// `cancel_access` on `POST /apps/{id}/orders`: an APP's 取消接入 is confirmed by code
    /// and password at `/apps/{id}/cancel-access`, as a website's. (422, `kind`)
    AppKindNotAllowed,
}

impl SponsorRefusal {
    pub fn code(&self) -> &'static str {
        use SponsorRefusal::*;
        match self {
            NoSponsor => "no_sponsor",
            WebsiteNotFound => "website_not_found",
            NoActiveAccess => "no_active_access",
            AccessCancelling => "access_cancelling",
            SponsorNotFiled => "sponsor_not_filed",
            NoMobileOnFile => "no_mobile_on_file",
            CodeTooSoon { .. } => "cancel_code_too_soon",
            CodeMissing => "cancel_code_missing",
            CodeExpired => "cancel_code_expired",
            CodeIncorrect { .. } => "cancel_code_incorrect",
            CodeExhausted => "cancel_code_exhausted",
            ConfirmRequired => "confirmation_required",
            LegacyCredentials => "legacy_credentials_invalid",
            LegacyThrottled { .. } => "too_many_attempts",
            AccountHasSponsor => "account_has_sponsor",
            LegacyAlreadyImported => "legacy_already_imported",
            LegacySponsorExists => "legacy_sponsor_exists",
            LegacyDomainExists => "legacy_domain_exists",
            WebsiteNotFiled => "website_not_filed",
            NotAccessedHere => "not_accessed_here",
            KindNotAllowed => "kind_not_allowed",
            AppKindNotSupported => "app_kind_not_supported",
            AppKindNotAllowed => "kind_not_allowed",
        }
    }

    pub fn status(&self) -> u16 {
        use SponsorRefusal::*;
        match self {
            NoSponsor | WebsiteNotFound => 404,
            NoActiveAccess
            | AccessCancelling
            | SponsorNotFiled
            | NoMobileOnFile
            | AccountHasSponsor
            | LegacyAlreadyImported
            | LegacySponsorExists
            | LegacyDomainExists
            | WebsiteNotFiled
            | NotAccessedHere => 409,
            CodeTooSoon { .. } | LegacyThrottled { .. } => 429,
            CodeMissing
            | CodeExpired
            | CodeIncorrect { .. }
            | CodeExhausted
            | ConfirmRequired
            | KindNotAllowed
            | AppKindNotSupported
            | AppKindNotAllowed => 422,
            LegacyCredentials => 401,
        }
    }

    /// `messages/sponsor.toml` key: `sponsor.<code>`.
    pub fn message_key(&self) -> &'static str {
        use SponsorRefusal::*;
        match self {
            NoSponsor => "sponsor.no_sponsor",
            WebsiteNotFound => "sponsor.website_not_found",
            NoActiveAccess => "sponsor.no_active_access",
            AccessCancelling => "sponsor.access_cancelling",
            SponsorNotFiled => "sponsor.sponsor_not_filed",
            NoMobileOnFile => "sponsor.no_mobile_on_file",
            CodeTooSoon { .. } => "sponsor.cancel_code_too_soon",
            CodeMissing => "sponsor.cancel_code_missing",
            CodeExpired => "sponsor.cancel_code_expired",
            CodeIncorrect { .. } => "sponsor.cancel_code_incorrect",
            CodeExhausted => "sponsor.cancel_code_exhausted",
            ConfirmRequired => "sponsor.confirmation_required",
            LegacyCredentials => "sponsor.legacy_credentials_invalid",
            LegacyThrottled { .. } => "sponsor.legacy_throttled",
            AccountHasSponsor => "sponsor.account_has_sponsor",
            LegacyAlreadyImported => "sponsor.legacy_already_imported",
            LegacySponsorExists => "sponsor.legacy_sponsor_exists",
            LegacyDomainExists => "sponsor.legacy_domain_exists",
            WebsiteNotFiled => "sponsor.website_not_filed",
            NotAccessedHere => "sponsor.not_accessed_here",
            KindNotAllowed => "sponsor.kind_not_allowed",
            AppKindNotSupported => "sponsor.app_kind_not_supported",
            AppKindNotAllowed => "sponsor.app_kind_not_allowed",
        }
    }

    fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            SponsorRefusal::CodeTooSoon { retry_after_secs }
            | SponsorRefusal::LegacyThrottled { retry_after_secs } => {
                vec![("seconds", retry_after_secs.to_string())]
            }
            SponsorRefusal::CodeIncorrect { tries_left } => {
                vec![("tries_left", tries_left.to_string())]
            }
            _ => Vec::new(),
        }
    }

    /// The request field the refusal is about, if one.
    pub fn field(&self) -> Option<&'static str> {
        use SponsorRefusal::*;
        match self {
            CodeMissing | CodeExpired | CodeIncorrect { .. } | CodeExhausted => Some("sms_code"),
            ConfirmRequired => Some("confirm"),
            KindNotAllowed | AppKindNotSupported | AppKindNotAllowed => Some("kind"),
            LegacyCredentials => Some("legacy_password"),
            _ => None,
        }
    }

    /// Seconds to wait, for a `Retry-After`.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            SponsorRefusal::CodeTooSoon { retry_after_secs }
            | SponsorRefusal::LegacyThrottled { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        }
    }

    pub fn localize(&self, locale: Locale) -> String {
        messages().render(locale, self.message_key(), &self.args())
    }

    /// The `fields` map: the one field, with the same message.
    pub fn fields(&self, locale: Locale) -> BTreeMap<String, String> {
        self.field()
            .map(|f| (f.to_owned(), self.localize(locale)))
            .into_iter()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_its_texts_and_a_field_where_it_names_one() {
        use SponsorRefusal::*;
        let cases = [
            (NoSponsor, 404, None),
            (WebsiteNotFound, 404, None),
            (NoActiveAccess, 409, None),
            (AccessCancelling, 409, None),
            (SponsorNotFiled, 409, None),
            (NoMobileOnFile, 409, None),
            (
                CodeTooSoon {
                    retry_after_secs: 42,
                },
                429,
                None,
            ),
            (CodeMissing, 422, Some("sms_code")),
            (CodeExpired, 422, Some("sms_code")),
            (CodeIncorrect { tries_left: 3 }, 422, Some("sms_code")),
            (CodeExhausted, 422, Some("sms_code")),
            (ConfirmRequired, 422, Some("confirm")),
            (LegacyCredentials, 401, Some("legacy_password")),
            (
                LegacyThrottled {
                    retry_after_secs: 60,
                },
                429,
                None,
            ),
            (AccountHasSponsor, 409, None),
            (LegacyAlreadyImported, 409, None),
            (LegacySponsorExists, 409, None),
            (LegacyDomainExists, 409, None),
            (WebsiteNotFiled, 409, None),
            (NotAccessedHere, 409, None),
            (KindNotAllowed, 422, Some("kind")),
            (AppKindNotSupported, 422, Some("kind")),
            (AppKindNotAllowed, 422, Some("kind")),
        ];
        for (r, status, field) in cases {
            assert!(messages().has_key(r.message_key()), "{}", r.message_key());
            assert_eq!(r.status(), status, "{r:?}");
            assert_eq!(r.field(), field, "{r:?}");
            for locale in [Locale::ZhCn, Locale::En] {
                let text = r.localize(locale);
                assert!(!text.contains('{'), "unfilled argument in {text}");
                assert_eq!(r.fields(locale).len(), usize::from(field.is_some()));
            }
        }
        assert!(
            CodeIncorrect { tries_left: 3 }
                .localize(Locale::En)
                .contains('3')
        );
    }
}
