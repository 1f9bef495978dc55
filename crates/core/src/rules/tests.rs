//! Tests of the province rules against the seed and the public record.

use chrono::{DateTime, Utc};

use super::*;
use crate::i18n::{Locale, Localized, has_key};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn book() -> &'static RuleBook {
    RuleBook::builtin()
}

const PILOT: [Province; 7] = [
    Province::TIANJIN,
    Province::GANSU,
    Province::TIBET,
    Province::NINGXIA,
    Province::HAINAN,
    Province::XINJIANG,
    Province::QINGHAI,
];

fn p(code: &str) -> Province {
    Province::parse(code).unwrap()
}

#[test]
fn builtin_file_loads_with_every_topic() {
    let parsed = RuleBook::from_toml(BUILTIN);
    assert!(parsed.is_ok(), "{parsed:?}");
    for topic in Topic::ALL {
        assert!(
            book().versions().iter().any(|v| v.topic() == topic),
            "{topic:?}"
        );
        assert!(has_key(topic.message_key()));
    }
    for method in [PhotoMethod::Backdrop, PhotoMethod::BureauAppFaceCheck] {
        assert!(has_key(method.message_key()));
    }
    assert!(book().versions().iter().all(|v| !v.source.is_empty()));
}

#[test]
fn sms_in_2019_only_in_the_seven_pilot_provinces_with_48_hours() {
    let at = utc("2019-06-01T10:00:00+08:00");
    let tianjin = rules_for(Province::TIANJIN, FilingKind::FirstFiling, at);
    assert_eq!(tianjin.sms.map(|s| s.window_hours), Some(48));
    assert_eq!(tianjin.sms.map(|s| s.window), Some(Duration::hours(48)));
    assert_eq!(
        tianjin.versions.sms.as_ref().map(|r| r.id.as_str()),
        Some("sms-pilot-7-provinces")
    );
    let zhejiang = rules_for(Province::ZHEJIANG, FilingKind::FirstFiling, at);
    assert_eq!(zhejiang.sms, None);
    // The pilot version decided "no" for Zhejiang, and says so.
    assert_eq!(zhejiang.versions.sms, tianjin.versions.sms);
    let with_sms: Vec<Province> = Province::all()
        .filter(|&pr| rules_for(pr, FilingKind::NewWebsite, at).sms.is_some())
        .collect();
    let mut pilot = PILOT.to_vec();
    pilot.sort();
    assert_eq!(with_sms, pilot);
    // Cancelling access never needed the SMS check.
    assert_eq!(
        rules_for(Province::TIANJIN, FilingKind::CancelAccess, at).sms,
        None
    );
}

#[test]
fn from_2020_08_17_every_province_has_24_hours_except_cancel_access() {
    for at in [
        utc("2020-08-17T00:00:00+08:00"),
        utc("2021-03-01T12:00:00Z"),
        utc("2026-11-23T06:00:00Z"),
    ] {
        for province in Province::all() {
            for kind in FilingKind::ALL {
                let rules = rules_for(province, kind, at);
                let want = (kind != FilingKind::CancelAccess).then_some(24);
                assert_eq!(
                    rules.sms.map(|s| s.window_hours),
                    want,
                    "{province:?} {kind} {at}"
                );
                assert_eq!(
                    rules.versions.sms.as_ref().map(|r| r.id.as_str()),
                    Some("sms-nationwide-24h")
                );
            }
        }
    }
}

#[test]
fn the_switch_happens_at_shanghai_midnight() {
    // 2020-08-17 00:00 Asia/Shanghai is 2020-08-16 16:00 UTC.
    let cases: &[(&str, Province, Option<u32>)] = &[
        ("2020-08-16T15:59:59.999Z", Province::TIANJIN, Some(48)),
        ("2020-08-16T15:59:59.999Z", Province::ZHEJIANG, None),
        ("2020-08-16T16:00:00Z", Province::TIANJIN, Some(24)),
        ("2020-08-16T16:00:00Z", Province::ZHEJIANG, Some(24)),
        // Still 16 August in UTC but already 17 August in Shanghai.
        ("2020-08-16T20:00:00Z", Province::BEIJING, Some(24)),
    ];
    for &(t, province, want) in cases {
        let got = rules_for(province, FilingKind::NewAccess, utc(t)).sms;
        assert_eq!(got.map(|s| s.window_hours), want, "{t} {province:?}");
    }
    let nationwide = book()
        .versions()
        .iter()
        .find(|v| v.id == "sms-nationwide-24h")
        .unwrap();
    assert_eq!(nationwide.effective_at(), utc("2020-08-16T16:00:00Z"));
}

#[test]
fn before_the_first_version_every_topic_is_at_its_default() {
    let rules = rules_for(
        Province::SHANGHAI,
        FilingKind::FirstFiling,
        utc("2017-06-01T00:00:00Z"),
    );
    assert_eq!(rules.sms, None);
    assert_eq!(rules.photo, PhotoMethod::Backdrop);
    assert!(!rules.app_upload && !rules.domain_certificate);
    assert_eq!(rules.versions, AppliedVersions::default());
}

#[test]
fn photo_method_app_upload_and_domain_certificate_by_province() {
    let at = utc("2025-05-01T00:00:00Z");
    // (province, photo, app upload)
    let cases: &[(&str, PhotoMethod, bool)] = &[
        ("31", PhotoMethod::BureauAppFaceCheck, false), // 上海 must use the bureau's app
        ("33", PhotoMethod::Backdrop, false),
        ("11", PhotoMethod::Backdrop, false),
        ("44", PhotoMethod::Backdrop, true), // 广东
        ("50", PhotoMethod::Backdrop, true), // 重庆
        ("21", PhotoMethod::Backdrop, true), // 辽宁
        ("34", PhotoMethod::Backdrop, true), // 安徽
        ("35", PhotoMethod::Backdrop, true), // 福建
        ("32", PhotoMethod::Backdrop, false),
    ];
    for &(code, photo, app_upload) in cases {
        let rules = rules_for(p(code), FilingKind::FirstFiling, at);
        assert_eq!(
            (rules.photo, rules.app_upload),
            (photo, app_upload),
            "{code}"
        );
    }
    assert_eq!(
        Province::all()
            .filter(|&pr| rules_for(pr, FilingKind::NewWebsite, at).app_upload)
            .count(),
        5
    );
    // The domain certificate follows the data: a listed province, for kinds that bring a
    // domain in; not for access kinds, not elsewhere.
    let listed = p("22");
    assert!(rules_for(listed, FilingKind::FirstFiling, at).domain_certificate);
    assert!(!rules_for(listed, FilingKind::NewAccess, at).domain_certificate);
    assert!(!rules_for(Province::ZHEJIANG, FilingKind::FirstFiling, at).domain_certificate);
}

#[test]
fn admin_overview_shows_which_versions_are_in_force() {
    let status = |at: &str, id: &str| {
        book()
            .overview(utc(at))
            .into_iter()
            .find(|(v, _)| v.id == id)
            .map(|(_, s)| s)
            .unwrap()
    };
    let pilot = "sms-pilot-7-provinces";
    let nationwide = "sms-nationwide-24h";
    assert_eq!(status("2017-01-01T00:00:00Z", pilot), VersionStatus::Future);
    assert_eq!(
        status("2019-01-01T00:00:00Z", pilot),
        VersionStatus::InForce
    );
    assert_eq!(
        status("2019-01-01T00:00:00Z", nationwide),
        VersionStatus::Future
    );
    assert_eq!(
        status("2021-01-01T00:00:00Z", pilot),
        VersionStatus::Superseded {
            by: nationwide.into()
        }
    );
    assert_eq!(
        status("2021-01-01T00:00:00Z", nationwide),
        VersionStatus::InForce
    );
    // By 2026 every topic has a version in force (the variants of issue 18 date from 2021 and
    // 2025).
    let in_force = book()
        .overview(utc("2026-06-01T00:00:00Z"))
        .into_iter()
        .filter(|(_, s)| *s == VersionStatus::InForce)
        .count();
    assert_eq!(in_force, Topic::ALL.len());
}

#[test]
fn a_newer_file_can_add_a_version() {
    let newer = format!(
        "{BUILTIN}\n[[sms]]\nid = \"sms-2030\"\neffective = \"2030-01-01\"\nprovinces = [\"33\"]\nkinds = \"first_filing\"\nwindow_hours = 12\n"
    );
    let book = RuleBook::from_toml(&newer).unwrap();
    let at = utc("2030-06-01T00:00:00Z");
    let zhejiang = book.rules_for(Province::ZHEJIANG, FilingKind::FirstFiling, at);
    assert_eq!(zhejiang.sms.map(|s| s.window_hours), Some(12));
    assert_eq!(
        book.rules_for(Province::ZHEJIANG, FilingKind::NewWebsite, at)
            .sms,
        None
    );
    assert_eq!(
        book.rules_for(Province::TIANJIN, FilingKind::FirstFiling, at)
            .sms,
        None
    );
    let sent = utc("2030-06-01T10:00:00Z");
    assert_eq!(
        zhejiang.sms.map(|s| s.expires_at(sent)),
        Some(utc("2030-06-01T22:00:00Z"))
    );
}

fn sms(fields: &str) -> String {
    format!("[[sms]]\nid = \"x\"\neffective = 2030-01-01\nprovinces = \"all\"\n{fields}\n")
}

#[test]
fn bad_rules_are_refused_with_a_reason() {
    let cases: Vec<(String, &str)> = vec![
        ("[[fax]]\nid = \"x\"\n".into(), "rules.bad_file"),
        (sms("window_hours = 24\ncolour = 1"), "rules.bad_file"),
        ("[[photo]]\nid = \"x\"\neffective = 2030-01-01\nprovinces = [\"31\"]\nmethod = \"selfie\"\n".into(), "rules.bad_file"),
        (sms("window_hours = 24").replace("2030-01-01", "\"2030-02-30\""), "rules.not_a_date"),
        (sms("window_hours = 24").replace("id = \"x\"", "id = \" \""), "rules.empty_id"),
        (sms("window_hours = 24") + &sms("window_hours = 12").replace("2030", "2031"), "rules.duplicate_id"),
        (
            sms("window_hours = 24") + &sms("window_hours = 12").replace("\"x\"", "\"y\""),
            "rules.same_effective_date",
        ),
        (sms("window_hours = 24").replace("\"all\"", "\"everywhere\""), "rules.unknown_province"),
        (sms("window_hours = 24").replace("\"all\"", "[\"12\", \"71\"]"), "rules.unknown_province"),
        (sms("window_hours = 24\nkinds = [\"first\"]"), "rules.unknown_kind"),
        (sms("window_hours = 24\nexcept_kinds = [\"nope\"]"), "rules.unknown_kind"),
        (sms("window_hours = 24\nkinds = [\"cancel_access\"]\nexcept_kinds = [\"cancel_access\"]"), "rules.no_kinds"),
        (sms("window_hours = 0"), "rules.bad_window"),
        (sms("window_hours = 100000"), "rules.bad_window"),
        (sms(""), "rules.missing_field"),
        (sms("window_hours = 24\nmethod = \"backdrop\""), "rules.unexpected_field"),
        ("[[photo]]\nid = \"x\"\neffective = 2030-01-01\nprovinces = [\"31\"]\n".into(), "rules.missing_field"),
        ("[[app_upload]]\nid = \"x\"\neffective = 2030-01-01\nprovinces = [\"31\"]\nwindow_hours = 1\n".into(), "rules.unexpected_field"),
    ];
    for (text, key) in cases {
        let err = RuleBook::from_toml(&text).unwrap_err();
        assert_eq!(err.message_key(), key, "{text}\n→ {err}");
        assert!(has_key(key), "{key} missing from messages/rules.toml");
        for locale in Locale::ALL {
            let message = err.localize(locale);
            assert!(!message.contains('{'), "{message}");
        }
    }
}

// ---- Province variants (issue 18): each at a date before and after its effective date.

const BEFORE_VARIANTS: &str = "2025-12-30T12:00:00+08:00";
const AFTER_VARIANTS: &str = "2025-12-31T00:00:00+08:00";

#[test]
fn legal_representative_in_seven_provinces_from_its_date() {
    let seven = ["11", "12", "35", "44", "42", "61", "62"];
    for code in seven {
        let before = rules_for(p(code), FilingKind::FirstFiling, utc(BEFORE_VARIANTS));
        let after = rules_for(p(code), FilingKind::FirstFiling, utc(AFTER_VARIANTS));
        assert!(!before.legal_representative_responsible, "{code} before");
        assert_eq!(before.versions.legal_representative, None);
        assert!(after.legal_representative_responsible, "{code} after");
        assert_eq!(
            after.versions.legal_representative.map(|r| r.id),
            Some("legal-rep-7-provinces".to_owned())
        );
    }
    let later = utc("2026-11-01T00:00:00Z");
    let count = Province::all()
        .filter(|&pr| rules_for(pr, FilingKind::NewWebsite, later).legal_representative_responsible)
        .count();
    assert_eq!(count, 7);
    assert!(
        !rules_for(Province::ZHEJIANG, FilingKind::FirstFiling, later)
            .legal_representative_responsible
    );
    // Not for a kind that files no sponsor data.
    assert!(
        !rules_for(Province::BEIJING, FilingKind::CancelAccess, later)
            .legal_representative_responsible
    );
}

#[test]
fn min_age_16_17_or_18_by_province_from_its_date() {
    let cases = [
        ("12", Some(18)),
        ("35", Some(18)),
        ("13", Some(18)),
        ("15", Some(18)),
        ("43", Some(18)),
        ("37", Some(17)),
        ("44", Some(16)),
        ("32", Some(16)),
        ("33", None),
        ("11", None),
    ];
    for (code, want) in cases {
        let before = rules_for(p(code), FilingKind::FirstFiling, utc(BEFORE_VARIANTS));
        let after = rules_for(p(code), FilingKind::FirstFiling, utc(AFTER_VARIANTS));
        assert_eq!(before.min_age, None, "{code} before");
        assert_eq!(after.min_age, want, "{code} after");
    }
}

#[test]
fn residence_permit_in_fujian_guangdong_hubei_from_its_date() {
    for code in ["35", "44", "42"] {
        assert!(
            !rules_for(p(code), FilingKind::FirstFiling, utc(BEFORE_VARIANTS)).residence_permit
        );
        assert!(rules_for(p(code), FilingKind::FirstFiling, utc(AFTER_VARIANTS)).residence_permit);
    }
    assert!(
        !rules_for(
            Province::ZHEJIANG,
            FilingKind::FirstFiling,
            utc(AFTER_VARIANTS)
        )
        .residence_permit
    );
}

#[test]
fn shaanxi_caps_a_sponsor_at_30_websites_from_its_date() {
    let shaanxi = p("61");
    assert_eq!(
        rules_for(shaanxi, FilingKind::NewWebsite, utc(BEFORE_VARIANTS)).site_cap,
        None
    );
    assert_eq!(
        rules_for(shaanxi, FilingKind::NewWebsite, utc(AFTER_VARIANTS)).site_cap,
        Some(30)
    );
    assert_eq!(
        rules_for(p("62"), FilingKind::NewWebsite, utc(AFTER_VARIANTS)).site_cap,
        None
    );
    // Cancelling a website never hits the cap.
    assert_eq!(
        rules_for(shaanxi, FilingKind::CancelWebsite, utc(AFTER_VARIANTS)).site_cap,
        None
    );
}

#[test]
fn jiangsu_documents_since_2021_06_01() {
    let jiangsu = p("32");
    let before = rules_for(
        jiangsu,
        FilingKind::FirstFiling,
        utc("2021-05-31T23:59:59+08:00"),
    );
    let after = rules_for(
        jiangsu,
        FilingKind::FirstFiling,
        utc("2021-06-01T00:00:00+08:00"),
    );
    assert!(!before.truthfulness_documents);
    assert!(after.truthfulness_documents);
    assert_eq!(
        after
            .versions
            .truthfulness_documents
            .map(|r| r.effective.to_string()),
        Some("2021-06-01".to_owned())
    );
    assert!(
        !rules_for(
            Province::ZHEJIANG,
            FilingKind::FirstFiling,
            utc("2021-06-02T00:00:00Z")
        )
        .truthfulness_documents
    );
    assert!(
        !rules_for(
            jiangsu,
            FilingKind::CancelAccess,
            utc("2021-06-02T00:00:00Z")
        )
        .truthfulness_documents
    );
}

#[test]
fn review_days_in_1_to_20_for_every_province_from_its_date() {
    for province in Province::all() {
        let before = rules_for(province, FilingKind::FirstFiling, utc(BEFORE_VARIANTS));
        let after = rules_for(province, FilingKind::FirstFiling, utc(AFTER_VARIANTS));
        assert_eq!(before.review_days, None, "{province:?}");
        let days = after.review_days.unwrap();
        assert!((1..=20).contains(&days), "{province:?} {days}");
    }
}

#[test]
fn the_seed_rules_stay_queryable_before_the_variants() {
    // 2019: the seed's world. 天津 has the 48-hour pilot SMS, 上海 the bureau's app, and none
    // of the 2026 variants apply yet.
    let at = utc("2019-06-01T10:00:00+08:00");
    let tianjin = rules_for(Province::TIANJIN, FilingKind::FirstFiling, at);
    assert_eq!(tianjin.sms.map(|s| s.window_hours), Some(48));
    assert!(!tianjin.legal_representative_responsible);
    assert_eq!(
        (tianjin.min_age, tianjin.site_cap, tianjin.review_days),
        (None, None, None)
    );
    assert_eq!(
        rules_for(Province::SHANGHAI, FilingKind::FirstFiling, at).photo,
        PhotoMethod::BureauAppFaceCheck
    );
    // Today: 天津 has both the nationwide SMS and its variants.
    let now = utc("2026-11-23T06:00:00Z");
    let tianjin = rules_for(Province::TIANJIN, FilingKind::FirstFiling, now);
    assert_eq!(tianjin.sms.map(|s| s.window_hours), Some(24));
    assert!(tianjin.legal_representative_responsible);
    assert_eq!(tianjin.min_age, Some(18));
}

fn variant(topic: &str, fields: &str) -> String {
    format!(
        "[[{topic}]]\nid = \"v\"\neffective = 2030-01-01\nprovinces = [\"44\", \"32\"]\n{fields}\n"
    )
}

#[test]
fn numeric_variants_are_checked() {
    let ok = RuleBook::from_toml(&variant(
        "min_age",
        "years = 18\nby_province = { \"44\" = 16 }",
    ))
    .unwrap();
    let at = utc("2030-02-01T00:00:00Z");
    assert_eq!(
        ok.rules_for(p("44"), FilingKind::FirstFiling, at).min_age,
        Some(16)
    );
    assert_eq!(
        ok.rules_for(p("32"), FilingKind::FirstFiling, at).min_age,
        Some(18)
    );
    let cases: Vec<(String, &str)> = vec![
        (variant("min_age", ""), "rules.missing_field"),
        (variant("min_age", "years = 0"), "rules.out_of_range"),
        (variant("review_days", "days = 61"), "rules.out_of_range"),
        (
            variant("min_age", "years = 18\nby_province = { \"44\" = 99 }"),
            "rules.out_of_range",
        ),
        (
            variant("min_age", "years = 18\nby_province = { \"11\" = 16 }"),
            "rules.unknown_province",
        ),
        (
            variant("site_cap", "websites = 30\nyears = 1"),
            "rules.unexpected_field",
        ),
        (
            variant("legal_representative", "by_province = { \"44\" = 1 }"),
            "rules.unexpected_field",
        ),
        (
            variant("residence_permit", "days = 3"),
            "rules.unexpected_field",
        ),
    ];
    for (text, key) in cases {
        let err = RuleBook::from_toml(&text).unwrap_err();
        assert_eq!(err.message_key(), key, "{text}\n→ {err}");
        assert!(has_key(key));
        for locale in Locale::ALL {
            assert!(!err.localize(locale).contains('{'));
        }
    }
}
