//! Binding a storefront domain, on each backend: refused (with its reason) until the domain
//! is filed and accessed here, refused for another account's filing, bound once.

use beian_store::accesses::NewAccess;
use beian_store::accounts::{NewAccount, Role};
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use beian_store::testing::each_backend;
use serde_json::json;

use super::*;

fn person() -> Person {
    Person {
        name: "张三".into(),
        certificate_type: "resident_id".into(),
        certificate_number: "110101198806152345".into(),
        mobile: "13787654321".into(),
        email: "zhang@example.cn".into(),
    }
}

/// An account with a sponsor and a website on `domain`, accessed or not; (account, website, sponsor).
async fn setup(store: &Store, user: &str, cert: &str, domain: &str) -> (String, String, String) {
    let mut tx = store.begin().await.unwrap();
    let account = tx
        .insert_account(
            "system",
            &NewAccount {
                username: user,
                password_hash: "$argon2id$v=19$fake",
                email: "zhang@example.cn",
                mobile: Some("13912345678"),
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
    let sponsor = tx
        .insert_sponsor(
            "system",
            &SponsorData {
                account_id: Some(account.clone()),
                province: "33".into(),
                nature: "individual".into(),
                certificate_type: "resident_id".into(),
                certificate_number: cert.into(),
                name: "张三".into(),
                address: "浙江省杭州市西湖区文三路1号".into(),
                responsible: person(),
            },
        )
        .await
        .unwrap();
    let website = tx
        .insert_website(
            "system",
            &WebsiteData {
                sponsor_id: sponsor.clone(),
                name: "旺铺".into(),
                domain: domain.into(),
                home_url: format!("https://www.{domain}/"),
                service_content: "shop".into(),
                details: json!({}),
                responsible: person(),
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (account, website, sponsor)
}

#[tokio::test]
async fn binding_waits_for_filing_and_access() {
    each_backend(async |t| {
        let s = &t.store;
        let (alice, site, sponsor) = setup(s, "alice", "330106199003074211", "alice-shop.cn").await;
        let (bob, _, _) = setup(s, "bob", "330106199003074220", "bob-shop.cn").await;
        let gate = crate::gate::GateIndex::load(&s.gate_feed()).await.unwrap();

        // Filed (website row) but not accessed: refused, nothing bound.
        let err = bind(s, &gate, "account:a", &alice, "alice-shop.cn")
            .await
            .unwrap_err();
        assert!(
            matches!(err, StorefrontError::NotAccessed { .. }),
            "{err:?}"
        );
        assert_eq!(err.code_and_message().unwrap().0, "domain_not_accessed");
        assert!(s.storefront_domains(&alice).await.unwrap().is_empty());
        // Not a top-level domain.
        let err = bind(s, &gate, "account:a", &alice, "www.alice-shop.cn")
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            StorefrontError::Invalid(DomainError::NotRegistrable { .. })
        ));

        // The access is approved; the gate follows; then it binds (any spelling).
        let mut tx = s.begin().await.unwrap();
        tx.insert_access(
            "system",
            &NewAccess {
                website_id: &site,
                sponsor_id: &sponsor,
                order_id: None,
                service_number: None,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        gate.catch_up(&s.gate_feed()).await.unwrap();

        let err = bind(s, &gate, "account:b", &bob, "alice-shop.cn")
            .await
            .unwrap_err();
        assert!(
            matches!(err, StorefrontError::OtherAccount { .. }),
            "{err:?}"
        );
        let bound = bind(s, &gate, "account:a", &alice, "Alice-Shop.CN")
            .await
            .unwrap();
        assert_eq!(bound.domain, "alice-shop.cn");
        let err = bind(s, &gate, "account:a", &alice, "alice-shop.cn")
            .await
            .unwrap_err();
        assert!(
            matches!(err, StorefrontError::AlreadyBound { .. }),
            "{err:?}"
        );
        let listed = s.storefront_domains(&alice).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(s.storefront_domains(&bob).await.unwrap().is_empty());
    })
    .await;
}
