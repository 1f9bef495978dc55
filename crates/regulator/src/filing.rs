//! The bureau's documented refusal rules (with the spec's codes), and who a filing concerns:
//! its province and its responsible persons' mobiles. What an approval does is in
//! [`crate::approve`]. Everything runs inside the caller's transaction.

use beian_core::province::Province;
use sqlx::SqliteConnection;

use crate::crypto::{Field, RegistryCrypto};
use crate::model::{AppData, FilingRequest, SponsorData, WebsiteData};
use crate::registry::{self, SponsorRow, WebsiteRow, normalize_domain};
use crate::{Error, password};
use beian_miit::v3::results::ResultCode;

/// The codes refusing `request` from `provider_id`, in the order found; empty when it may be
/// approved.
pub async fn refusals(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    provider_id: i64,
    request: &FilingRequest,
) -> Result<Vec<ResultCode>, Error> {
    let mut codes = Vec::new();
    match request {
        FilingRequest::FirstFiling { sponsor, websites } => {
            if registry::is_blacklisted(conn, crypto, "sponsor", &cert(sponsor)).await? {
                codes.push(ResultCode::SponsorBlacklisted);
            }
            if registry::filed_sponsor_by_certificate(conn, crypto, &sponsor.certificate_number)
                .await?
                .is_some()
            {
                codes.push(ResultCode::SponsorConflict);
            }
            for w in websites {
                new_website_refusals(conn, &w.website, None, &mut codes).await?;
            }
        }
        FilingRequest::NewWebsite {
            sponsor_number,
            website,
        } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await? {
                sponsor_blacklisted(conn, &s, &mut codes).await?;
                if !registry::provider_hosts_sponsor(conn, provider_id, s.id).await? {
                    codes.push(ResultCode::NotAccessedByYou);
                }
                new_website_refusals(conn, &website.website, None, &mut codes).await?;
            }
        }
        FilingRequest::NewWebsiteElsewhereSponsor {
            sponsor_number,
            password,
            website,
        } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await? {
                sponsor_blacklisted(conn, &s, &mut codes).await?;
                if !password::check_icp_mm(conn, s.id, password).await? {
                    codes.push(ResultCode::WrongFilingPassword);
                }
                new_website_refusals(conn, &website.website, None, &mut codes).await?;
            }
        }
        FilingRequest::NewAccess {
            website_number,
            password,
            ..
        }
        | FilingRequest::ContinueAccess {
            website_number,
            password,
            ..
        } => {
            if let Some((w, s)) = filed_website(conn, website_number, &mut codes).await? {
                sponsor_blacklisted(conn, &s, &mut codes).await?;
                if !password::check_icp_mm(conn, s.id, password).await? {
                    codes.push(ResultCode::WrongFilingPassword);
                }
                if registry::access_providers(conn, w.id)
                    .await?
                    .contains(&provider_id)
                {
                    codes.push(ResultCode::AccessAlreadyFiled);
                }
            }
        }
        FilingRequest::CancelAccess {
            website_number,
            password,
        } => {
            if let Some((w, s)) = filed_website(conn, website_number, &mut codes).await? {
                if !password::check_icp_mm(conn, s.id, password).await? {
                    codes.push(ResultCode::WrongFilingPassword);
                }
                let providers = registry::access_providers(conn, w.id).await?;
                if !providers.contains(&provider_id) {
                    codes.push(ResultCode::NotOwnAccess);
                } else if providers.len() == 1 {
                    codes.push(ResultCode::OnlyAccess);
                }
            }
        }
        FilingRequest::ChangeSponsor {
            sponsor_number,
            sponsor,
        } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await? {
                if !registry::provider_hosts_sponsor(conn, provider_id, s.id).await? {
                    codes.push(ResultCode::NotAccessedByYou);
                }
                if s.province != sponsor.province.code() {
                    codes.push(ResultCode::ProvinceChangeForbidden);
                }
                if registry::is_blacklisted(conn, crypto, "sponsor", &cert(sponsor)).await? {
                    codes.push(ResultCode::SponsorBlacklisted);
                }
                if let Some(other) = registry::filed_sponsor_by_certificate(
                    conn,
                    crypto,
                    &sponsor.certificate_number,
                )
                .await?
                    && other.id != s.id
                {
                    codes.push(ResultCode::SponsorConflict);
                }
            }
        }
        FilingRequest::ChangeWebsite {
            website_number,
            website,
        } => {
            if let Some((w, _)) = filed_website(conn, website_number, &mut codes).await? {
                if !registry::access_providers(conn, w.id)
                    .await?
                    .contains(&provider_id)
                {
                    codes.push(ResultCode::NotAccessedByYou);
                }
                new_website_refusals(conn, website, Some(w.id), &mut codes).await?;
            }
        }
        FilingRequest::ChangeAccess { website_number, .. } => {
            if let Some((w, _)) = filed_website(conn, website_number, &mut codes).await?
                && !registry::access_providers(conn, w.id)
                    .await?
                    .contains(&provider_id)
            {
                codes.push(ResultCode::NotAccessedByYou);
            }
        }
        FilingRequest::CancelSponsor { sponsor_number, .. } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await?
                && !registry::provider_hosts_sponsor(conn, provider_id, s.id).await?
            {
                codes.push(ResultCode::NotAccessedByYou);
            }
        }
        FilingRequest::CancelWebsite { website_number, .. } => {
            if let Some((w, _)) = filed_website(conn, website_number, &mut codes).await?
                && !registry::access_providers(conn, w.id)
                    .await?
                    .contains(&provider_id)
            {
                codes.push(ResultCode::NotAccessedByYou);
            }
        }
        FilingRequest::FirstFilingApp { sponsor, app } => {
            if registry::is_blacklisted(conn, crypto, "sponsor", &cert(sponsor)).await? {
                codes.push(ResultCode::SponsorBlacklisted);
            }
            if registry::filed_sponsor_by_certificate(conn, crypto, &sponsor.certificate_number)
                .await?
                .is_some()
            {
                codes.push(ResultCode::SponsorConflict);
            }
            new_app_refusals(conn, app, &mut codes).await?;
        }
        FilingRequest::NewApp {
            sponsor_number,
            app,
        } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await? {
                sponsor_blacklisted(conn, &s, &mut codes).await?;
                if !registry::provider_hosts_sponsor(conn, provider_id, s.id).await? {
                    codes.push(ResultCode::NotAccessedByYou);
                }
                new_app_refusals(conn, app, &mut codes).await?;
            }
        }
        FilingRequest::AppAccess {
            sponsor_number,
            app_number,
        } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await? {
                sponsor_blacklisted(conn, &s, &mut codes).await?;
                match registry::app_by_number(conn, app_number).await? {
                    Some((app_id, sponsor_id)) if sponsor_id == s.id => {
                        if registry::provider_hosts_app(conn, provider_id, app_id).await? {
                            codes.push(ResultCode::DuplicateAccess);
                        }
                    }
                    _ => codes.push(ResultCode::WebsiteNotFound),
                }
            }
        }
        FilingRequest::CancelAppAccess {
            sponsor_number,
            app_number,
            password,
        } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await? {
                if !password::check_icp_mm(conn, s.id, password).await? {
                    codes.push(ResultCode::WrongFilingPassword);
                }
                match registry::app_by_number(conn, app_number).await? {
                    Some((app_id, sponsor_id)) if sponsor_id == s.id => {
                        let providers = registry::app_access_providers(conn, app_id).await?;
                        if !providers.contains(&provider_id) {
                            codes.push(ResultCode::NotOwnAccess);
                        } else if providers.len() == 1 {
                            codes.push(ResultCode::OnlyAccess);
                        }
                    }
                    _ => codes.push(ResultCode::WebsiteNotFound),
                }
            }
        }
        FilingRequest::CancelApp {
            sponsor_number,
            app_number,
        } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await? {
                match registry::app_by_number(conn, app_number).await? {
                    Some((app_id, sponsor_id)) if sponsor_id == s.id => {
                        if !registry::provider_hosts_app(conn, provider_id, app_id).await? {
                            codes.push(ResultCode::NotAccessedByYou);
                        }
                    }
                    _ => codes.push(ResultCode::WebsiteNotFound),
                }
            }
        }
        FilingRequest::ChangeApp {
            sponsor_number,
            app_number,
            app,
        } => {
            if let Some(s) = filed_sponsor(conn, sponsor_number, &mut codes).await? {
                sponsor_blacklisted(conn, &s, &mut codes).await?;
                match registry::app_by_number(conn, app_number).await? {
                    Some((app_id, sponsor_id)) if sponsor_id == s.id => {
                        if !registry::provider_hosts_app(conn, provider_id, app_id).await? {
                            codes.push(ResultCode::NotAccessedByYou);
                        }
                        for p in &app.platforms {
                            if registry::app_package_held_by_other(
                                conn,
                                &p.platform,
                                &p.package,
                                app_id,
                            )
                            .await?
                            {
                                codes.push(ResultCode::DomainConflict);
                                break;
                            }
                        }
                    }
                    _ => codes.push(ResultCode::WebsiteNotFound),
                }
            }
        }
    }
    Ok(codes)
}

/// An APP's package names must not be filed for another APP already (the extension's
/// counterpart of a domain conflict, 1005).
async fn new_app_refusals(
    conn: &mut SqliteConnection,
    app: &AppData,
    codes: &mut Vec<ResultCode>,
) -> Result<(), Error> {
    for p in &app.platforms {
        if registry::app_package_filed(conn, &p.platform, &p.package).await? {
            codes.push(ResultCode::DomainConflict);
            return Ok(());
        }
    }
    Ok(())
}

fn cert(sponsor: &SponsorData) -> String {
    sponsor.certificate_number.trim().to_uppercase()
}

async fn sponsor_blacklisted(
    conn: &mut SqliteConnection,
    sponsor: &SponsorRow,
    codes: &mut Vec<ResultCode>,
) -> Result<(), Error> {
    if registry::is_blacklisted_value(conn, "sponsor", &sponsor.certificate_index).await? {
        codes.push(ResultCode::SponsorBlacklisted);
    }
    Ok(())
}

/// The filed sponsor of a number, or the code saying why there is none.
async fn filed_sponsor(
    conn: &mut SqliteConnection,
    number: &str,
    codes: &mut Vec<ResultCode>,
) -> Result<Option<SponsorRow>, Error> {
    match registry::sponsor_by_number(conn, number).await? {
        None => codes.push(ResultCode::NotInRegistry),
        Some(s) if !s.filed => codes.push(ResultCode::SponsorCancelled),
        Some(s) => return Ok(Some(s)),
    }
    Ok(None)
}

/// The filed website of a number with its sponsor, or the code saying why there is none.
async fn filed_website(
    conn: &mut SqliteConnection,
    number: &str,
    codes: &mut Vec<ResultCode>,
) -> Result<Option<(WebsiteRow, SponsorRow)>, Error> {
    match registry::website_by_number(conn, number).await? {
        None => codes.push(ResultCode::NotInRegistry),
        Some(w) if !w.filed => codes.push(ResultCode::WebsiteCancelled),
        Some(w) => {
            let s = registry::sponsor_by_id(conn, w.sponsor_id).await?;
            if !s.filed {
                codes.push(ResultCode::SponsorCancelled);
                return Ok(None);
            }
            return Ok(Some((w, s)));
        }
    }
    Ok(None)
}

/// The rules on a website's own data: home URL within the domain, domain not filed by another
/// website, domain not blacklisted. `this` is the website being changed, if any.
async fn new_website_refusals(
    conn: &mut SqliteConnection,
    website: &WebsiteData,
    this: Option<i64>,
    codes: &mut Vec<ResultCode>,
) -> Result<(), Error> {
    if !home_url_has_domain(&website.home_url, &website.domain) {
        codes.push(ResultCode::HomeUrlWithoutDomain);
    }
    if let Some(existing) = registry::filed_website_by_domain(conn, &website.domain).await?
        && Some(existing.id) != this
    {
        codes.push(ResultCode::DomainConflict);
    }
    if registry::is_blacklisted_value(conn, "domain", &normalize_domain(&website.domain)).await? {
        codes.push(ResultCode::DomainBlacklisted);
    }
    Ok(())
}

/// 1041: the home URL's host must be the domain or a subdomain of it.
pub fn home_url_has_domain(home_url: &str, domain: &str) -> bool {
    let host = normalize_domain(home_url);
    let host = host.split(':').next().unwrap_or(&host);
    let domain = normalize_domain(domain);
    !domain.is_empty() && (host == domain || host.ends_with(&format!(".{domain}")))
}

/// The province a request is filed in: the new sponsor's, or the registry's sponsor's.
pub async fn province_of(
    conn: &mut SqliteConnection,
    request: &FilingRequest,
) -> Result<Option<Province>, Error> {
    let sponsor = match request {
        FilingRequest::FirstFiling { sponsor, .. }
        | FilingRequest::FirstFilingApp { sponsor, .. } => return Ok(Some(sponsor.province)),
        FilingRequest::NewApp { sponsor_number, .. }
        | FilingRequest::ChangeApp { sponsor_number, .. }
        | FilingRequest::AppAccess { sponsor_number, .. }
        | FilingRequest::CancelAppAccess { sponsor_number, .. }
        | FilingRequest::CancelApp { sponsor_number, .. }
        | FilingRequest::NewWebsite { sponsor_number, .. }
        | FilingRequest::NewWebsiteElsewhereSponsor { sponsor_number, .. }
        | FilingRequest::ChangeSponsor { sponsor_number, .. }
        | FilingRequest::CancelSponsor { sponsor_number, .. } => {
            registry::sponsor_by_number(conn, sponsor_number).await?
        }
        FilingRequest::NewAccess { website_number, .. }
        | FilingRequest::ContinueAccess { website_number, .. }
        | FilingRequest::CancelAccess { website_number, .. }
        | FilingRequest::ChangeWebsite { website_number, .. }
        | FilingRequest::ChangeAccess { website_number, .. }
        | FilingRequest::CancelWebsite { website_number, .. } => {
            match registry::website_by_number(conn, website_number).await? {
                Some(w) => Some(registry::sponsor_by_id(conn, w.sponsor_id).await?),
                None => None,
            }
        }
    };
    Ok(sponsor.and_then(|s| Province::parse(&s.province).ok()))
}

/// The distinct mobiles of the responsible persons a filing's SMS check texts.
pub async fn responsible_mobiles(
    conn: &mut SqliteConnection,
    crypto: &RegistryCrypto,
    request: &FilingRequest,
) -> Result<Vec<String>, Error> {
    let mut mobiles = Vec::new();
    match request {
        FilingRequest::FirstFiling { sponsor, websites } => {
            mobiles.push(sponsor.responsible.mobile.clone());
            mobiles.extend(
                websites
                    .iter()
                    .map(|w| w.website.responsible.mobile.clone()),
            );
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
            if let Some(s) = registry::sponsor_by_number(conn, sponsor_number).await? {
                mobiles.push(crypto.open_opt(Field::Mobile, &s.sealed_mobile)?);
            }
            mobiles.push(website.website.responsible.mobile.clone());
        }
        FilingRequest::ChangeSponsor { sponsor, .. } => {
            mobiles.push(sponsor.responsible.mobile.clone());
        }
        FilingRequest::FirstFilingApp { sponsor, app } => {
            mobiles.push(sponsor.responsible.mobile.clone());
            mobiles.push(app.responsible.mobile.clone());
        }
        FilingRequest::NewApp {
            sponsor_number,
            app,
        } => {
            if let Some(s) = registry::sponsor_by_number(conn, sponsor_number).await? {
                mobiles.push(crypto.open_opt(Field::Mobile, &s.sealed_mobile)?);
            }
            mobiles.push(app.responsible.mobile.clone());
        }
        FilingRequest::ChangeWebsite { website, .. } => {
            mobiles.push(website.responsible.mobile.clone());
        }
        FilingRequest::ChangeApp { app, .. } => {
            mobiles.push(app.responsible.mobile.clone());
        }
        FilingRequest::AppAccess {
            sponsor_number,
            app_number,
        }
        | FilingRequest::CancelAppAccess {
            sponsor_number,
            app_number,
            ..
        }
        | FilingRequest::CancelApp {
            sponsor_number,
            app_number,
        } => {
            if let Some(s) = registry::sponsor_by_number(conn, sponsor_number).await? {
                mobiles.push(crypto.open_opt(Field::Mobile, &s.sealed_mobile)?);
            }
            if let Some(mobile) = registry::app_responsible_mobile(conn, crypto, app_number).await?
            {
                mobiles.push(mobile);
            }
        }
        FilingRequest::CancelSponsor { sponsor_number, .. } => {
            if let Some(s) = registry::sponsor_by_number(conn, sponsor_number).await? {
                mobiles.push(crypto.open_opt(Field::Mobile, &s.sealed_mobile)?);
            }
        }
        FilingRequest::NewAccess { website_number, .. }
        | FilingRequest::ContinueAccess { website_number, .. }
        | FilingRequest::CancelAccess { website_number, .. }
        | FilingRequest::ChangeAccess { website_number, .. }
        | FilingRequest::CancelWebsite { website_number, .. } => {
            if let Some(w) = registry::website_by_number(conn, website_number).await? {
                let s = registry::sponsor_by_id(conn, w.sponsor_id).await?;
                mobiles.push(crypto.open_opt(Field::Mobile, &s.sealed_mobile)?);
                mobiles.push(crypto.open_opt(Field::Mobile, &w.sealed_mobile)?);
            }
        }
    }
    let mut distinct: Vec<String> = Vec::new();
    for m in mobiles {
        let m = m.trim().to_owned();
        if !m.is_empty() && !distinct.contains(&m) {
            distinct.push(m);
        }
    }
    Ok(distinct)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_url_must_be_within_the_domain() {
        for (url, domain, ok) in [
            ("http://www.example.com/", "example.com", true),
            ("https://example.com", "example.com", true),
            ("example.com/index.html", "example.com", true),
            ("http://www.example.com:8080/", "example.com", true),
            ("http://www.other.com/", "example.com", false),
            ("http://notexample.com/", "example.com", false),
            ("http://example.com.evil.cn/", "example.com", false),
        ] {
            assert_eq!(home_url_has_domain(url, domain), ok, "{url} {domain}");
        }
    }
}
