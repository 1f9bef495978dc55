//! A small fixed registry for tests and demos: two providers and three filed sponsors whose
//! filing password is [`PASSWORD`].

use beian_core::province::Province;
use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::model::{AccessData, Person, SponsorData, WebsiteData};
use crate::service::Provider;
use crate::{Error, Regulator, password, registry};

/// The filing password of every fixture sponsor.
pub const PASSWORD: &str = "Fx7pQ2mK";
/// ispId of the Zhejiang provider.
pub const PROVIDER_A: i64 = 1001;
/// ispId of the Beijing provider.
pub const PROVIDER_B: i64 = 1002;

/// A person with a name and mobile (and a fixed resident id).
pub fn person(name: &str, mobile: &str) -> Person {
    Person {
        name: name.to_owned(),
        certificate_type: "resident_id".to_owned(),
        certificate_number: "11010519491231002X".to_owned(),
        mobile: mobile.to_owned(),
        email: "webmaster@example.com".to_owned(),
    }
}

/// An enterprise sponsor.
pub fn sponsor(province: Province, credit_code: &str, name: &str, mobile: &str) -> SponsorData {
    SponsorData {
        province,
        nature: "enterprise".to_owned(),
        certificate_type: "credit_code".to_owned(),
        certificate_number: credit_code.to_owned(),
        name: name.to_owned(),
        address: "杭州市西湖区文三路1号".to_owned(),
        responsible: person("张伟", mobile),
    }
}

/// A website on `domain` whose home page is `http://www.{domain}/`.
pub fn website(name: &str, domain: &str, mobile: &str) -> WebsiteData {
    WebsiteData {
        name: name.to_owned(),
        domain: domain.to_owned(),
        home_url: format!("http://www.{domain}/"),
        service_content: "综合门户".to_owned(),
        responsible: person("李娜", mobile),
    }
}

/// A fixture sponsor's domains, each with the providers hosting it.
pub type Sites = &'static [(&'static str, &'static [i64])];

/// The fixture's sponsors: (sponsor number, credit code, name, domains with their providers).
pub const SPONSORS: [(&str, &str, &str, Sites); 3] = [
    (
        "浙ICP备2020000001号",
        "91330106MA2CFWXY9C",
        "杭州云栖示例科技有限公司",
        &[("yunqi-example.com", &[PROVIDER_A])],
    ),
    (
        "浙ICP备2020000002号",
        "91330100MA27XL0E96",
        "杭州西湖双接入网络有限公司",
        &[("shared-example.cn", &[PROVIDER_A, PROVIDER_B])],
    ),
    (
        "京ICP备2019000001号",
        "91110108MA01R0HY11",
        "北京中关村示例信息技术有限公司",
        &[
            ("zgc-example.com.cn", &[PROVIDER_B]),
            ("zgc-example.net", &[PROVIDER_B]),
        ],
    ),
];

/// The mobile of the fixture sponsor at `index`'s responsible person.
pub fn sponsor_mobile(index: usize) -> String {
    format!("1390000000{index}")
}

/// Loads the fixture into an empty registry.
pub async fn load(regulator: &Regulator) -> Result<(), Error> {
    for (id, name, province, username) in [
        (PROVIDER_A, "浙江示例云计算有限公司", "33", "isp-zj"),
        (PROVIDER_B, "北京示例数据有限公司", "11", "isp-bj"),
    ] {
        regulator
            .add_provider(&Provider {
                id,
                name: name.to_owned(),
                province: province.to_owned(),
                username: username.to_owned(),
                password: format!("{username}-secret"),
                aes_key: "0123456789abcdef".to_owned(),
                aes_iv: "0102030405060708".to_owned(),
            })
            .await?;
    }
    let at = regulator.now();
    let mut tx = regulator.pool().begin().await?;
    for (index, (number, code, name, sites)) in SPONSORS.iter().enumerate() {
        let province = Province::from_abbreviation(number.chars().next().unwrap_or('浙'))
            .map_err(|_| Error::Corrupt("fixture province"))?;
        let data = sponsor(province, code, name, &sponsor_mobile(index));
        insert_filed(&mut tx, regulator.crypto(), at, &data, number, sites).await?;
    }
    // The counters know the fixture's serials, so later numbers never collide with them.
    sqlx::query(
        "INSERT INTO number_counters (abbreviation, year, last_serial) VALUES ('浙', 2020, 2), ('京', 2019, 1) \
         ON CONFLICT (abbreviation, year) DO UPDATE SET last_serial = MAX(last_serial, excluded.last_serial)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_filed(
    conn: &mut SqliteConnection,
    crypto: &crate::crypto::RegistryCrypto,
    at: DateTime<Utc>,
    data: &SponsorData,
    number: &str,
    sites: &[(&str, &[i64])],
) -> Result<(), Error> {
    let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_os_rng();
    let (sponsor_id, _) =
        registry::insert_sponsor(conn, crypto, data, number, at, &mut rng).await?;
    let salt = password::salt(&mut rng);
    sqlx::query("UPDATE sponsors SET password_salt = ?, password_hash = ? WHERE id = ?")
        .bind(&salt[..])
        .bind(&password::hash(&salt, PASSWORD)[..])
        .bind(sponsor_id)
        .execute(&mut *conn)
        .await?;
    for (i, (domain, providers)) in sites.iter().enumerate() {
        let site = website(
            &format!("{}官网{}", data.name, i + 1),
            domain,
            "13700000000",
        );
        let (website_id, _) = registry::insert_website(conn, crypto, sponsor_id, &site, at).await?;
        for provider in *providers {
            registry::insert_access(conn, website_id, *provider, &AccessData::default(), at)
                .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use beian_core::credit_code::CreditCode;
    use beian_core::domain::Domain;
    use beian_core::icp_number::IcpNumber;

    use super::SPONSORS;

    /// The fixture is what the platform's tests file against, so the platform's own
    /// validators must accept every identifier in it.
    #[test]
    fn fixture_identifiers_pass_the_platforms_validators() {
        for (number, code, _, sites) in SPONSORS {
            assert!(CreditCode::parse(code).is_ok(), "{code}");
            assert!(IcpNumber::parse(number).is_ok(), "{number}");
            for (domain, _) in sites {
                assert!(Domain::parse(domain).is_ok(), "{domain}");
            }
        }
    }
}
