use super::*;
use serde_json::{Value, json};

fn hash(password: &str) -> String {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    Argon2::default()
        .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string()
}

fn person(mobile: &str, emergency: &str) -> Value {
    json!({"name": "张伟", "certificate_type": "resident_id",
           "certificate_number": "11010519491231002X", "mobile": mobile,
           "email": "zhang@example.cn", "emergency_mobile": emergency})
}

fn record(password_hash: &str) -> Value {
    json!({
        "legacy_username": "wanwang_zhang",
        "password_hash": password_hash,
        "sponsor": {"province": "33", "nature": "enterprise", "certificate_type": "credit_code",
                    "certificate_number": "91330106MA2CFWXY9C", "name": "杭州云栖示例科技有限公司",
                    "address": "杭州市西湖区文三路1号", "responsible": person("13900000000", "13900000001"),
                    "icp_number": "浙ICP备2020000001号"},
        "websites": [{"name": "云栖官网", "domain": "yunqi-example.com",
                      "home_url": "http://www.yunqi-example.com/", "service_content": "综合门户",
                      "languages": ["zh_cn"], "responsible": person("13700000000", "13700000001"),
                      "icp_number": "浙ICP备2020000001号-1",
                      "accesses": [{"status": "active"}]}]
    })
}

#[test]
fn a_complete_record_parses_and_each_defect_is_named_by_path() {
    let h = hash("old secret");
    let good = record(&h);
    assert!(parse_record(&good.to_string()).is_ok());

    type Edit = fn(&mut Value);
    let cases: [(&str, Edit, &str); 10] = [
        (
            "bad scheme",
            |r| r["password_hash"] = json!("5f4dcc3b5aa765d61d8327deb882cf99"),
            "password_hash",
        ),
        (
            "no username",
            |r| r["legacy_username"] = json!(" "),
            "legacy_username",
        ),
        (
            "bad credit code",
            |r| r["sponsor"]["certificate_number"] = json!("91330106MA2CFWXY9D"),
            "sponsor.certificate_number",
        ),
        (
            "website number as sponsor's",
            |r| r["sponsor"]["icp_number"] = json!("浙ICP备2020000001号-1"),
            "sponsor.icp_number",
        ),
        (
            "number of another province",
            |r| r["sponsor"]["icp_number"] = json!("京ICP备2020000001号"),
            "sponsor.icp_number",
        ),
        (
            "sponsor number as website's",
            |r| r["websites"][0]["icp_number"] = json!("浙ICP备2020000001号"),
            "websites[0].icp_number",
        ),
        (
            "website of another sponsor",
            |r| r["websites"][0]["icp_number"] = json!("浙ICP备2020000009号-1"),
            "websites[0].icp_number",
        ),
        (
            "bad domain",
            |r| r["websites"][0]["domain"] = json!("not a domain"),
            "websites[0].domain",
        ),
        (
            "unknown access status",
            |r| r["websites"][0]["accesses"][0]["status"] = json!("paused"),
            "websites[0].accesses[0].status",
        ),
        (
            "bad mobile",
            |r| r["websites"][0]["responsible"]["mobile"] = json!("12345"),
            "websites[0].responsible.mobile",
        ),
    ];
    for (what, edit, path) in cases {
        let mut r = good.clone();
        edit(&mut r);
        let refusal = parse_record(&r.to_string()).unwrap_err();
        assert!(
            refusal.reasons.contains_key(path),
            "{what}: {:?}",
            refusal.reasons.keys()
        );
        for e in refusal.reasons.values() {
            assert!(
                crate::workflow::messages().has_key(e.key) || beian_core::i18n::has_key(e.key),
                "{}",
                e.key
            );
        }
    }
}

#[test]
fn a_line_that_is_not_a_record_is_refused_whole() {
    let cases = [
        ("{not json", "sponsor.legacy.not_json"),
        (r#"{"legacy_username": "x"}"#, "sponsor.legacy.bad_shape"),
    ];
    for (line, key) in cases {
        let refusal = parse_record(line).unwrap_err();
        assert_eq!(refusal.reasons["record"].key, key);
        assert!(crate::workflow::messages().has_key(key));
    }
}

#[test]
fn two_websites_on_one_domain_and_two_active_accesses_are_refused() {
    let mut r = record(&hash("x"));
    let site = r["websites"][0].clone();
    r["websites"].as_array_mut().unwrap().push(site);
    r["websites"][0]["accesses"] = json!([{"status": "active"}, {"status": "active"}]);
    let refusal = parse_record(&r.to_string()).unwrap_err();
    assert!(refusal.reasons.contains_key("websites[1].domain"));
    assert!(refusal.reasons.contains_key("websites[0].accesses"));
}

#[test]
fn the_password_is_checked_against_the_argon2id_hash_only() {
    let h = hash("old secret");
    assert!(verify_legacy_password("old secret", &h));
    assert!(!verify_legacy_password("old secret!", &h));
    assert!(!verify_legacy_password(
        "old secret",
        "$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaA"
    ));
    assert!(!verify_legacy_password("x", "plain"));
}

#[test]
fn the_digest_ignores_surrounding_whitespace() {
    assert_eq!(record_digest(" {\"a\":1}\n"), record_digest("{\"a\":1}"));
    assert_ne!(record_digest("{\"a\":1}"), record_digest("{\"a\":2}"));
    assert_eq!(record_digest("").len(), 64);
}
