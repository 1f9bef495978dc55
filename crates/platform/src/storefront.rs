//! Storefront top-level domains (second seed, 阿里巴巴旺铺 / 企业官网): an account binds a
//! top-level (registrable) domain to its storefront only once the domain is filed and
//! accessed here (先备案后接入). The check is the edge gate's own index
//! ([`crate::gate::GateIndex`]), so the storefront and the edge never disagree; the domain's
//! website must also belong to the account's sponsor.

use beian_core::domain::{Domain, DomainError};
use beian_store::storefront::StorefrontDomain;
use beian_store::{Store, StoreError};

use crate::gate::GateIndex;
use crate::message::Message;

/// Why a binding was refused.
#[derive(Debug, thiserror::Error)]
pub enum StorefrontError {
    /// Not a registrable domain (`www.example.cn`, `com.cn`, an IP…): the core reason.
    #[error("invalid domain: {0}")]
    Invalid(DomainError),
    /// No active access record here: file it and access it first.
    #[error("the domain is not filed and accessed here")]
    NotAccessed { domain: String },
    /// Accessed here, but under another account's sponsor.
    #[error("the domain's filing belongs to another account")]
    OtherAccount { domain: String },
    /// Bound already (by this account or another).
    #[error("the domain is bound already")]
    AlreadyBound { domain: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl StorefrontError {
    /// The stable code and the message to show.
    pub fn code_and_message(&self) -> Option<(&'static str, Message)> {
        let (code, key, domain) = match self {
            StorefrontError::NotAccessed { domain } => {
                ("domain_not_accessed", "api.storefront.not_accessed", domain)
            }
            StorefrontError::OtherAccount { domain } => (
                "domain_of_other_account",
                "api.storefront.other_account",
                domain,
            ),
            StorefrontError::AlreadyBound { domain } => (
                "domain_already_bound",
                "api.storefront.already_bound",
                domain,
            ),
            _ => return None,
        };
        Some((code, Message::new(key).with_arg("domain", domain.clone())))
    }
}

/// Binds `domain` to `account_id`'s storefront.
pub async fn bind(
    store: &Store,
    gate: &GateIndex,
    actor: &str,
    account_id: &str,
    domain: &str,
) -> Result<StorefrontDomain, StorefrontError> {
    let domain = Domain::parse_registrable(domain).map_err(StorefrontError::Invalid)?;
    let name = domain.as_str().to_owned();
    if !gate.contains(&name) {
        return Err(StorefrontError::NotAccessed { domain: name });
    }
    let owner = match store.website_by_domain(&name).await? {
        Some(w) => store.sponsor(&w.data.sponsor_id).await?.data.account_id,
        None => None,
    };
    if owner.as_deref() != Some(account_id) {
        return Err(StorefrontError::OtherAccount { domain: name });
    }
    let mut tx = store.begin().await?;
    let bound = match tx.bind_storefront_domain(actor, account_id, &name).await {
        Ok(b) => b,
        Err(StoreError::Conflict { .. }) => {
            return Err(StorefrontError::AlreadyBound { domain: name });
        }
        Err(e) => return Err(e.into()),
    };
    tx.commit().await?;
    Ok(bound)
}

#[cfg(test)]
#[path = "storefront_tests.rs"]
mod tests;
