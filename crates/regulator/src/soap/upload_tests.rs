//! Unit tests of the upload mapping: references, addresses and codes.

use super::*;

#[test]
fn upload_refs_round_trip() {
    let cases = [
        UploadRef::new("a.xml", OperationType::FirstFiling, "42"),
        UploadRef::new("b.xml", OperationType::NewAccess, "浙ICP备2026000001号-1"),
        UploadRef::new("c.xml", OperationType::Change, ""),
    ];
    for r in cases {
        assert_eq!(UploadRef::parse(&r.encode()), Some(r.clone()), "{r:?}");
    }
    for bad in ["", "a.xml", "a.xml|99|x", "a.xml|x|y"] {
        assert_eq!(UploadRef::parse(bad), None, "{bad}");
    }
}

#[test]
fn access_ranges_as_dotted_quads() {
    let methods = AccessMethods { ids: vec![4] };
    let got = access_data(&methods, [(0x0A00_0001, 0x0A00_00FF)].into_iter());
    assert_eq!(got.ips, vec!["10.0.0.1-10.0.0.255".to_owned()]);
    assert_eq!(got.method, "cloud_server");
}

fn responsible() -> Responsible {
    Responsible {
        name: Some("王芳".to_owned()),
        office_phone: None,
        mobile: "13912345678".into(),
        email: "ops@example.cn".into(),
        msn: None,
        qq: None,
        certificate_type: Some(2),
        certificate_number: Some("11010519491231002X".into()),
    }
}

fn address(province_id: i64) -> Address {
    Address {
        province_id,
        city_id: Some(330_100),
        county_id: None,
        detail: Some("文三路1号".to_owned()),
    }
}

fn certificate(kind: u32) -> Certificate {
    Certificate {
        kind,
        number: " 91330106MA2CFWXY9C ".into(),
        residence: String::new(),
    }
}

/// Two expected names, or the code that refuses.
type Want = Result<(&'static str, &'static str), ResultCode>;

#[test]
fn sponsors_translate_codes_or_name_the_bad_one() {
    let cases: &[(i64, Option<u32>, u32, Want)] = &[
        (330_000, Some(4), 1, Ok(("enterprise", "credit_code"))),
        (110_000, Some(5), 2, Ok(("individual", "resident_id"))),
        (710_000, Some(4), 1, Err(ResultCode::WrongDivisionCode)),
        (33, Some(4), 1, Err(ResultCode::WrongDivisionCode)),
        (330_000, None, 1, Err(ResultCode::InvalidSponsorNature)),
        (330_000, Some(99), 1, Err(ResultCode::InvalidSponsorNature)),
        (330_000, Some(4), 12, Err(ResultCode::InvalidCertificate)),
    ];
    for (province_id, nature, kind, want) in cases {
        let got = sponsor_data(
            "示例公司",
            *nature,
            &address(*province_id),
            &certificate(*kind),
            &responsible(),
        );
        match (got, want) {
            (Ok(s), Ok((nature, certificate_type))) => {
                assert_eq!(s.nature, *nature);
                assert_eq!(s.certificate_type, *certificate_type);
                assert_eq!(s.certificate_number, "91330106MA2CFWXY9C");
                assert_eq!(s.province.code(), &province_id.to_string()[..2]);
                assert_eq!(s.responsible.certificate_type, "resident_id");
                assert_eq!(s.responsible.mobile, "13912345678");
            }
            (Err(code), Err(want)) => assert_eq!(code, *want, "{province_id}"),
            (got, want) => panic!("{province_id} {nature:?} {kind}: {got:?} vs {want:?}"),
        }
    }
}

#[test]
fn websites_take_the_first_domain_and_default_the_home_url() {
    let service = ServiceContents { ids: vec![1, 3] };
    let cases: &[(&[&str], Option<&str>, Want)] = &[
        (
            &["a.example.cn", "b.example.cn"],
            None,
            Ok(("a.example.cn", "http://a.example.cn/")),
        ),
        (
            &["a.example.cn"],
            Some("http://www.a.example.cn/x"),
            Ok(("a.example.cn", "http://www.a.example.cn/x")),
        ),
        (&[], None, Err(ResultCode::InvalidDomain)),
        (&["  "], None, Err(ResultCode::InvalidDomain)),
    ];
    for (domains, home_url, want) in cases {
        let got = website_data("站", domains, *home_url, &service, &responsible());
        match (got, want) {
            (Ok(w), Ok((domain, url))) => {
                assert_eq!((w.domain.as_str(), w.home_url.as_str()), (*domain, *url));
                assert_eq!(w.service_content, "1,3");
            }
            (Err(code), Err(want)) => assert_eq!(code, *want),
            (got, want) => panic!("{domains:?}: {got:?} vs {want:?}"),
        }
    }
}

#[test]
fn filing_password_hashes_pass_on_lowercased() {
    assert_eq!(password_of(Some(&Secret::new(" ABCDEF01 "))), "abcdef01");
    assert_eq!(password_of(None), "");
}
