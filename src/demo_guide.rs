//! What `beian demo` prints after the logins: per seed flow, what to type. The values come
//! from the simulator's fixture ([`beian_regulator::fixture`]) and the demo's own data, so the
//! guide cannot drift from what the registry holds.

use beian_core::credit_code::CreditCode;
use beian_regulator::fixture::{PASSWORD, PROVIDER_A, SPONSORS};

/// The service numbers the demo issues (`DEMO-1-01`…`DEMO-2-05`).
pub const FIRST_SERVICE_NUMBER: &str = "DEMO-1-01";

/// A valid credit code for `division` (6 digits) and `serial`, for sponsors not in the
/// registry.
fn fresh_credit_code(division: &str, serial: u32) -> String {
    CreditCode::from_parts(&format!("91{division}{serial:08}"))
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default()
}

/// The guide's lines.
pub fn lines(storefront_user: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut push = |s: String| out.push(s);
    let body = |domain: &str, province: &str, code: &str, name: &str| {
        format!(
            "{{\"domain\":\"{domain}\",\"sponsor\":{{\"province\":\"{province}\",\"nature\":\"enterprise\",\"certificate_type\":\"credit_code\",\"certificate_number\":\"{code}\",\"name\":\"{name}\"}}}}"
        )
    };
    push("what to type, per seed flow (POST /api/v1/filing-checks, then POST /api/v1/orders with the same body):".into());

    push("  首次备案 (first filing): any domain the registry does not know, a new sponsor:".into());
    push(format!(
        "    {}",
        body(
            "my-first-site.cn",
            "33",
            &fresh_credit_code("330106", 1),
            "杭州演示首次备案有限公司"
        )
    ));
    push(format!(
        "    then the forms, materials, PUT /product {{\"service_number\":\"{FIRST_SERVICE_NUMBER}\"}} (DEMO-1-01…DEMO-2-05), submit"
    ));

    let (number, code, name, sites) = SPONSORS[0];
    let domain = sites[0].0;
    push(format!(
        "  新增接入 (new access): {domain} is filed by {name} ({number}) and hosted at provider {PROVIDER_A} only:"
    ));
    push(format!("    {}", body(domain, "33", code, name)));
    push(format!(
        "    then POST /orders/{{id}}/password-verification {{\"password\":\"{PASSWORD}\"}} (the filing password of every fixture sponsor)"
    ));
    push("    the name, nature, certificate type and province must be exactly as filed, else 422 sponsor_mismatch".into());

    let (number, code, name, sites) = SPONSORS[2];
    push(format!(
        "  新增网站 of a sponsor filed elsewhere: {name} ({number}, filed with {}), any new domain:",
        sites[0].0
    ));
    push(format!("    {}", body("zgc-new-site.cn", "11", code, name)));

    push("  上海 (Shanghai: the bureau's app face check replaces the backdrop photo):".into());
    push(format!(
        "    {}",
        body(
            "shanghai-demo.cn",
            "31",
            &fresh_credit_code("310101", 2),
            "上海演示科技有限公司"
        )
    ));
    push("    photo step: POST /orders/{id}/photo {\"shanghai_app_code\":\"SH20260001\"} (6–32 letters or digits)".into());

    push(format!(
        "  storefront (旺铺 / 企业官网): log in as {storefront_user} (it has a subscription); PUT /orders/{{id}}/product {{\"storefront_account\":true}}"
    ));
    push("  the SMS check: the code goes to the responsible persons' mobiles you enter; read it at /sim/phone-inbox?mobile=… and enter it at /bureau/sms-verification".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_core::credit_code::CreditCode;

    #[test]
    fn the_guide_names_the_fixture_values_a_new_access_needs() {
        let text = lines("customer").join("\n");
        let (number, code, name, sites) = SPONSORS[0];
        for value in [
            number,
            code,
            name,
            sites[0].0,
            PASSWORD,
            FIRST_SERVICE_NUMBER,
        ] {
            assert!(text.contains(value), "missing {value}:\n{text}");
        }
        assert!(text.contains("customer"));
    }

    #[test]
    fn the_fresh_credit_codes_validate_and_are_of_their_province() {
        for (division, province) in [("330106", "33"), ("310101", "31")] {
            let code = fresh_credit_code(division, 7);
            let parsed = CreditCode::parse(&code).unwrap();
            assert_eq!(parsed.province().map(|p| p.code()), Some(province));
        }
    }
}
