//! Shared test data.

use beian_store::Tx;
use beian_store::accounts::{NewAccount, Role};
use beian_store::orders::NewOrder;
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use serde_json::json;

pub const ID_NUMBER: &str = "33010619900307421X";
pub const MOBILE: &str = "13912345678";
pub const RESPONSIBLE_ID: &str = "110101198806152345";
pub const RESPONSIBLE_MOBILE: &str = "13787654321";

pub fn sponsor(account_id: &str) -> SponsorData {
    SponsorData {
        account_id: Some(account_id.to_string()),
        province: "33".into(),
        nature: "individual".into(),
        certificate_type: "resident_id".into(),
        certificate_number: ID_NUMBER.into(),
        name: "张三".into(),
        address: "浙江省杭州市西湖区文三路1号".into(),
        responsible: Person {
            name: "张三".into(),
            certificate_type: "resident_id".into(),
            certificate_number: RESPONSIBLE_ID.into(),
            mobile: RESPONSIBLE_MOBILE.into(),
            email: "zhang@example.cn".into(),
        },
    }
}

pub fn website(sponsor_id: &str, domain: &str) -> WebsiteData {
    WebsiteData {
        sponsor_id: sponsor_id.to_string(),
        name: "张三的博客".into(),
        domain: domain.into(),
        home_url: format!("https://www.{domain}/"),
        service_content: "blog".into(),
        details: json!({"languages": ["zh-CN"]}),
        responsible: sponsor("x").responsible,
    }
}

/// Account + sponsor + website + draft order; returns (account, sponsor, website, order).
pub async fn order_setup(tx: &mut Tx, username: &str) -> (String, String, String, String) {
    let account = tx
        .insert_account(
            "system",
            &NewAccount {
                username,
                password_hash: "$argon2id$v=19$fake",
                email: "zhang@example.cn",
                mobile: Some(MOBILE),
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
    let actor = format!("account:{account}");
    let sponsor = tx.insert_sponsor(&actor, &sponsor(&account)).await.unwrap();
    let website = tx
        .insert_website(&actor, &website(&sponsor, &format!("{username}.cn")))
        .await
        .unwrap();
    let order = tx
        .insert_order(
            &actor,
            &NewOrder {
                account_id: &account,
                sponsor_id: Some(&sponsor),
                website_id: Some(&website),
                kind: "first_filing",
                state: "draft",
                province: "33",
            },
        )
        .await
        .unwrap();
    (account, sponsor, website, order)
}
