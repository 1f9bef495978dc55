//! Set-up the flows need beyond the simulator's fixture: a sponsor filed through this
//! provider (the embedded platform is provider `isp_id` 1 at the simulator) with one domain
//! hosted here and one hosted at another provider only — the 继续接入 case. The registry gets
//! the filing; our store gets what an earlier filing here left (the sponsor held by the
//! customer's account, its number, the hosted website and its access record).

use beian_core::province::Province;
use beian_regulator::Regulator;
use beian_regulator::fixture::{PROVIDER_A, sponsor, website};
use beian_regulator::model::AccessData;
use beian_regulator::registry;
use beian_store::Store;
use beian_store::accesses::NewAccess;
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use beian_store::workflow_support::FiledTable;

use crate::harness::resident_id;

/// This platform's provider id at the in-process simulator.
pub const HERE: i64 = 1;

/// A filed sponsor: its ICP number, credit code, name and filing password.
pub struct Filed {
    pub number: String,
    pub code: String,
    pub name: String,
    pub password: String,
}

/// Files `name` (credit code `code`) with `hosted_here` accessed through this provider and
/// `elsewhere` through provider A only.
#[allow(clippy::too_many_arguments)]
pub async fn sponsor_hosted_here(
    regulator: &Regulator,
    store: &Store,
    account_id: &str,
    code: &str,
    name: &str,
    number: &str,
    hosted_here: &str,
    elsewhere: &str,
) -> Filed {
    assert!(
        regulator.provider(HERE).await.unwrap().is_some(),
        "the platform is not provider {HERE} at the simulator"
    );
    let at = regulator.now();
    let mut tx = regulator.pool().begin().await.unwrap();
    let data = sponsor(Province::ZHEJIANG, code, name, "13900000031");
    let (sponsor_id, password) = registry::insert_sponsor(
        &mut tx,
        regulator.crypto(),
        &data,
        number,
        at,
        &mut rand::rng(),
    )
    .await
    .unwrap();
    let mut here_number = String::new();
    for (domain, provider) in [(hosted_here, HERE), (elsewhere, PROVIDER_A)] {
        let site = website(&format!("{name}{domain}"), domain, "13700000031");
        let (website_id, website_number) =
            registry::insert_website(&mut tx, regulator.crypto(), sponsor_id, &site, at)
                .await
                .unwrap();
        registry::insert_access(&mut tx, website_id, provider, &AccessData::default(), at)
            .await
            .unwrap();
        if provider == HERE {
            here_number = website_number;
        }
    }
    tx.commit().await.unwrap();

    let person = Person {
        name: "张伟".into(),
        certificate_type: "resident_id".into(),
        certificate_number: resident_id(31),
        mobile: "13900000031".into(),
        email: "zhangwei@example.cn".into(),
    };
    let mut tx = store.begin().await.unwrap();
    let local = tx
        .insert_sponsor(
            "test",
            &SponsorData {
                account_id: Some(account_id.to_owned()),
                province: "33".into(),
                nature: "enterprise".into(),
                certificate_type: "credit_code".into(),
                certificate_number: code.into(),
                name: name.into(),
                address: "杭州市西湖区文三路1号".into(),
                responsible: person.clone(),
            },
        )
        .await
        .unwrap();
    tx.set_icp_number("test", FiledTable::Sponsor, &local, number)
        .await
        .unwrap();
    let site = tx
        .insert_website(
            "test",
            &WebsiteData {
                sponsor_id: local.clone(),
                name: format!("{name}{hosted_here}"),
                domain: hosted_here.into(),
                home_url: format!("http://www.{hosted_here}/"),
                service_content: "综合门户".into(),
                details: serde_json::json!({}),
                responsible: person,
            },
        )
        .await
        .unwrap();
    tx.set_icp_number("test", FiledTable::Website, &site, &here_number)
        .await
        .unwrap();
    tx.insert_access(
        "test",
        &NewAccess {
            website_id: &site,
            sponsor_id: &local,
            order_id: None,
            service_number: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Filed {
        number: number.to_owned(),
        code: code.to_owned(),
        name: name.to_owned(),
        password,
    }
}
