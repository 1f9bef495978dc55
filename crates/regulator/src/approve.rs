//! What an approved filing does to the registry: numbers and a filing password for a first
//! filing, `-N` numbers for new websites, access records added or removed (the number stays),
//! changes written, cancellations recorded. Runs inside the caller's transaction.

use chrono::{DateTime, Utc};
use rand::Rng;
use sqlx::SqliteConnection;

use crate::Error;
use crate::crypto::{Field, RegistryCrypto};
use crate::model::{AppData, FilingRequest, IssuedNumbers, NewWebsite, SponsorData};
use crate::registry::{self, SponsorRow, WebsiteRow, normalize_domain};

fn cert(sponsor: &SponsorData) -> String {
    sponsor.certificate_number.trim().to_uppercase()
}

/// Applies an approved filing to the registry. Returns the numbers it issued or touched, and
/// the filing password when a first filing issued one (texted to the sponsor, never returned
/// to the provider).
pub async fn apply(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    provider_id: i64,
    request: &FilingRequest,
    rng: &mut (impl Rng + Send),
) -> Result<(IssuedNumbers, Option<String>), Error> {
    let mut issued = IssuedNumbers::default();
    let mut new_password = None;
    match request {
        FilingRequest::FirstFilingApp { sponsor, app } => {
            let number = registry::issue_sponsor_number(conn, sponsor.province, at).await?;
            let (sponsor_id, password) =
                registry::insert_sponsor(conn, crypto, sponsor, &number, at, rng).await?;
            add_app(conn, crypto, at, provider_id, sponsor_id, app, &mut issued).await?;
            issued.sponsor_number = Some(number);
            new_password = Some(password);
        }
        FilingRequest::NewApp {
            sponsor_number,
            app,
        } => {
            let s = need_sponsor(conn, sponsor_number).await?;
            add_app(conn, crypto, at, provider_id, s.id, app, &mut issued).await?;
            issued.sponsor_number = Some(s.number);
        }
        FilingRequest::AppAccess {
            sponsor_number,
            app_number,
        } => {
            let s = need_sponsor(conn, sponsor_number).await?;
            let app_id = need_app(conn, app_number).await?;
            registry::insert_app_access(conn, app_id, provider_id, at).await?;
            let name = app_name(conn, app_id).await?;
            issued.sponsor_number = Some(s.number);
            issued.websites.push((app_number.clone(), name));
        }
        FilingRequest::CancelAppAccess {
            sponsor_number,
            app_number,
            ..
        } => {
            let s = need_sponsor(conn, sponsor_number).await?;
            let app_id = need_app(conn, app_number).await?;
            sqlx::query("DELETE FROM app_accesses WHERE app_id = ? AND provider_id = ?")
                .bind(app_id)
                .bind(provider_id)
                .execute(&mut *conn)
                .await?;
            issued.sponsor_number = Some(s.number);
            issued
                .websites
                .push((app_number.clone(), app_name(conn, app_id).await?));
        }
        FilingRequest::CancelApp {
            sponsor_number,
            app_number,
        } => {
            let s = need_sponsor(conn, sponsor_number).await?;
            let app_id = need_app(conn, app_number).await?;
            let name = app_name(conn, app_id).await?;
            sqlx::query("DELETE FROM app_accesses WHERE app_id = ?")
                .bind(app_id)
                .execute(&mut *conn)
                .await?;
            sqlx::query("UPDATE apps SET status = 'cancelled', updated_at = ? WHERE id = ?")
                .bind(crate::ts(at))
                .bind(app_id)
                .execute(&mut *conn)
                .await?;
            issued.sponsor_number = Some(s.number);
            issued.websites.push((app_number.clone(), name));
        }
        FilingRequest::ChangeApp {
            sponsor_number,
            app_number,
            app,
        } => {
            let s = need_sponsor(conn, sponsor_number).await?;
            let app_id = need_app(conn, app_number).await?;
            registry::update_app(conn, crypto, app_id, app, at).await?;
            issued.sponsor_number = Some(s.number);
            issued.websites.push((app_number.clone(), app.name.clone()));
        }
        FilingRequest::FirstFiling { sponsor, websites } => {
            let number = registry::issue_sponsor_number(conn, sponsor.province, at).await?;
            let (sponsor_id, password) =
                registry::insert_sponsor(conn, crypto, sponsor, &number, at, rng).await?;
            for w in websites {
                add_website(conn, crypto, at, provider_id, sponsor_id, w, &mut issued).await?;
            }
            issued.sponsor_number = Some(number);
            new_password = Some(password);
        }
        FilingRequest::NewWebsite {
            sponsor_number,
            website,
        }
        | FilingRequest::NewWebsiteElsewhereSponsor {
            sponsor_number,
            website,
            ..
        } => {
            let s = need_sponsor(conn, sponsor_number).await?;
            add_website(conn, crypto, at, provider_id, s.id, website, &mut issued).await?;
            issued.sponsor_number = Some(s.number);
        }
        FilingRequest::NewAccess {
            website_number,
            access,
            ..
        }
        | FilingRequest::ContinueAccess {
            website_number,
            access,
            ..
        } => {
            let w = need_website(conn, website_number).await?;
            registry::insert_access(conn, w.id, provider_id, access, at).await?;
            issued.websites.push((w.number, w.domain));
        }
        FilingRequest::CancelAccess { website_number, .. } => {
            let w = need_website(conn, website_number).await?;
            sqlx::query("DELETE FROM accesses WHERE website_id = ? AND provider_id = ?")
                .bind(w.id)
                .bind(provider_id)
                .execute(&mut *conn)
                .await?;
            issued.websites.push((w.number, w.domain));
        }
        FilingRequest::ChangeSponsor {
            sponsor_number,
            sponsor,
        } => {
            let s = need_sponsor(conn, sponsor_number).await?;
            sqlx::query(
                "UPDATE sponsors SET nature = ?, certificate_type = ?, certificate_number = ?, \
                 certificate_index = ?, name = ?, address = ?, responsible_name = ?, \
                 responsible_mobile = ?, responsible_email = ?, updated_at = ? WHERE id = ?",
            )
            .bind(&sponsor.nature)
            .bind(&sponsor.certificate_type)
            .bind(crypto.seal(Field::Certificate, &cert(sponsor)))
            .bind(crypto.blind(Field::Certificate, &sponsor.certificate_number))
            .bind(&sponsor.name)
            .bind(&sponsor.address)
            .bind(&sponsor.responsible.name)
            .bind(crypto.seal(Field::Mobile, &sponsor.responsible.mobile))
            .bind(&sponsor.responsible.email)
            .bind(crate::ts(at))
            .bind(s.id)
            .execute(&mut *conn)
            .await?;
            registry::index_sponsor_name(conn, s.id, &sponsor.name).await?;
            issued.sponsor_number = Some(s.number);
        }
        FilingRequest::ChangeWebsite {
            website_number,
            website,
        } => {
            let w = need_website(conn, website_number).await?;
            sqlx::query(
                "UPDATE websites SET name = ?, domain = ?, home_url = ?, service_content = ?, \
                 responsible_name = ?, responsible_certificate_type = ?, \
                 responsible_certificate_number = ?, responsible_mobile = ?, updated_at = ? \
                 WHERE id = ?",
            )
            .bind(&website.name)
            .bind(normalize_domain(&website.domain))
            .bind(&website.home_url)
            .bind(&website.service_content)
            .bind(&website.responsible.name)
            .bind(&website.responsible.certificate_type)
            .bind(crypto.seal_opt(Field::Certificate, &website.responsible.certificate_number))
            .bind(crypto.seal_opt(Field::Mobile, &website.responsible.mobile))
            .bind(crate::ts(at))
            .bind(w.id)
            .execute(&mut *conn)
            .await?;
            issued
                .websites
                .push((w.number, normalize_domain(&website.domain)));
        }
        FilingRequest::ChangeAccess {
            website_number,
            access,
        } => {
            let w = need_website(conn, website_number).await?;
            sqlx::query(
                "UPDATE accesses SET ips = ?, method = ? WHERE website_id = ? AND provider_id = ?",
            )
            .bind(serde_json::to_string(&access.ips)?)
            .bind(&access.method)
            .bind(w.id)
            .bind(provider_id)
            .execute(&mut *conn)
            .await?;
            issued.websites.push((w.number, w.domain));
        }
        FilingRequest::CancelSponsor { sponsor_number, .. } => {
            let s = need_sponsor(conn, sponsor_number).await?;
            for w in registry::websites_of(conn, s.id).await? {
                cancel_website(conn, at, w.id).await?;
            }
            sqlx::query("UPDATE sponsors SET status = 'cancelled', updated_at = ? WHERE id = ?")
                .bind(crate::ts(at))
                .bind(s.id)
                .execute(&mut *conn)
                .await?;
            issued.sponsor_number = Some(s.number);
        }
        FilingRequest::CancelWebsite { website_number, .. } => {
            let w = need_website(conn, website_number).await?;
            cancel_website(conn, at, w.id).await?;
            issued.websites.push((w.number, w.domain));
        }
    }
    Ok((issued, new_password))
}

async fn add_website(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    provider_id: i64,
    sponsor_id: i64,
    w: &NewWebsite,
    issued: &mut IssuedNumbers,
) -> Result<(), Error> {
    let (website_id, number) =
        registry::insert_website(conn, crypto, sponsor_id, &w.website, at).await?;
    registry::insert_access(conn, website_id, provider_id, &w.access, at).await?;
    issued
        .websites
        .push((number, normalize_domain(&w.website.domain)));
    Ok(())
}

/// An APP with its `-NA` number from the sponsor's shared sequence, hosted by `provider_id`;
/// listed among the issued numbers by its name (where a website gives its domain).
async fn add_app(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    at: DateTime<Utc>,
    provider_id: i64,
    sponsor_id: i64,
    app: &AppData,
    issued: &mut IssuedNumbers,
) -> Result<(), Error> {
    let (app_id, number) = registry::insert_app(conn, crypto, sponsor_id, app, at).await?;
    registry::insert_app_access(conn, app_id, provider_id, at).await?;
    issued.websites.push((number, app.name.clone()));
    Ok(())
}

async fn app_name(conn: &mut SqliteConnection, app_id: i64) -> Result<String, Error> {
    Ok(sqlx::query_scalar("SELECT name FROM apps WHERE id = ?")
        .bind(app_id)
        .fetch_one(&mut *conn)
        .await?)
}

async fn cancel_website(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    website_id: i64,
) -> Result<(), Error> {
    sqlx::query("DELETE FROM accesses WHERE website_id = ?")
        .bind(website_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE websites SET status = 'cancelled', updated_at = ? WHERE id = ?")
        .bind(crate::ts(at))
        .bind(website_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn need_sponsor(conn: &mut SqliteConnection, number: &str) -> Result<SponsorRow, Error> {
    registry::sponsor_by_number(conn, number)
        .await?
        .ok_or(Error::NotFound("sponsor"))
}

/// The registry id of the APP numbered `number`.
async fn need_app(conn: &mut SqliteConnection, number: &str) -> Result<i64, Error> {
    registry::app_by_number(conn, number)
        .await?
        .map(|(id, _)| id)
        .ok_or(Error::NotFound("app"))
}

async fn need_website(conn: &mut SqliteConnection, number: &str) -> Result<WebsiteRow, Error> {
    registry::website_by_number(conn, number)
        .await?
        .ok_or(Error::NotFound("website"))
}
