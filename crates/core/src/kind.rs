//! 备案类型: the kinds of order (DESIGN.md §4). Which kind an order is gets decided by
//! [`crate::filing`]; the applicant never picks it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The kind of an order. Serialised in snake case as API.md names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilingKind {
    /// 首次备案: the sponsor is not in the registry.
    FirstFiling,
    /// 新增网站: a new website of a sponsor filed through this provider.
    NewWebsite,
    /// 无主体新增网站: a new website of a sponsor filed through another provider.
    NewWebsiteElsewhereSponsor,
    /// 新增接入: a filed website moves (also) to this provider; the sponsor never filed here.
    NewAccess,
    /// 继续接入: as new access, for a sponsor that already filed here.
    ContinueAccess,
    /// 取消接入: this provider stops hosting a website; the number stays.
    CancelAccess,
    /// 变更主体: correct the sponsor's data.
    ChangeSponsor,
    /// 变更网站: correct a website's data.
    ChangeWebsite,
    /// 变更接入: correct the access data.
    ChangeAccess,
    /// 注销主体: cancel the sponsor's filing and all its websites.
    CancelSponsor,
    /// 注销网站: cancel one website's filing.
    CancelWebsite,
}

impl FilingKind {
    pub const ALL: [FilingKind; 11] = [
        FilingKind::FirstFiling,
        FilingKind::NewWebsite,
        FilingKind::NewWebsiteElsewhereSponsor,
        FilingKind::NewAccess,
        FilingKind::ContinueAccess,
        FilingKind::CancelAccess,
        FilingKind::ChangeSponsor,
        FilingKind::ChangeWebsite,
        FilingKind::ChangeAccess,
        FilingKind::CancelSponsor,
        FilingKind::CancelWebsite,
    ];

    /// The snake-case name used in the API and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FilingKind::FirstFiling => "first_filing",
            FilingKind::NewWebsite => "new_website",
            FilingKind::NewWebsiteElsewhereSponsor => "new_website_elsewhere_sponsor",
            FilingKind::NewAccess => "new_access",
            FilingKind::ContinueAccess => "continue_access",
            FilingKind::CancelAccess => "cancel_access",
            FilingKind::ChangeSponsor => "change_sponsor",
            FilingKind::ChangeWebsite => "change_website",
            FilingKind::ChangeAccess => "change_access",
            FilingKind::CancelSponsor => "cancel_sponsor",
            FilingKind::CancelWebsite => "cancel_website",
        }
    }

    pub fn parse(s: &str) -> Option<FilingKind> {
        FilingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The Chinese name the seeds and the bureau use.
    pub fn name_zh(self) -> &'static str {
        match self {
            FilingKind::FirstFiling => "首次备案",
            FilingKind::NewWebsite => "新增网站",
            FilingKind::NewWebsiteElsewhereSponsor => "无主体新增网站",
            FilingKind::NewAccess => "新增接入",
            FilingKind::ContinueAccess => "继续接入",
            FilingKind::CancelAccess => "取消接入",
            FilingKind::ChangeSponsor => "变更主体",
            FilingKind::ChangeWebsite => "变更网站",
            FilingKind::ChangeAccess => "变更接入",
            FilingKind::CancelSponsor => "注销主体",
            FilingKind::CancelWebsite => "注销网站",
        }
    }

    /// Access kinds only add this provider's access; sponsor and website data come from the
    /// registry and are locked ("接入备案只是增加一个服务商数据"). They need the filing password.
    pub fn is_access(self) -> bool {
        matches!(self, FilingKind::NewAccess | FilingKind::ContinueAccess)
    }

    /// Kinds that need the sponsor's filing password (备案密码). 注销主体 too: the bureau's
    /// cancellation of a sponsor carries `ICPmm`.
    pub fn needs_filing_password(self) -> bool {
        matches!(
            self,
            FilingKind::NewAccess
                | FilingKind::ContinueAccess
                | FilingKind::CancelAccess
                | FilingKind::NewWebsiteElsewhereSponsor
                | FilingKind::CancelSponsor
        )
    }

    /// Kinds that need a product (备案服务号 or storefront subscription): every kind that ends
    /// with this provider hosting a website, and 变更接入 (the new server's service number
    /// gives the new IP addresses).
    pub fn needs_product(self) -> bool {
        self.creates_access() || self == FilingKind::ChangeAccess
    }

    /// Kinds that end with a new access record here (the five that file or add a website).
    pub fn creates_access(self) -> bool {
        matches!(
            self,
            FilingKind::FirstFiling
                | FilingKind::NewWebsite
                | FilingKind::NewWebsiteElsewhereSponsor
                | FilingKind::NewAccess
                | FilingKind::ContinueAccess
        )
    }

    /// Kinds whose responsible person is photo-verified.
    pub fn needs_photo(self) -> bool {
        self.creates_access()
    }

    /// The change and cancellation kinds made for a filed sponsor (`POST /sponsor/orders`,
    /// `POST /websites/{id}/orders`), never by the filing check.
    pub fn is_after_filing(self) -> bool {
        matches!(
            self,
            FilingKind::ChangeSponsor
                | FilingKind::ChangeWebsite
                | FilingKind::ChangeAccess
                | FilingKind::CancelSponsor
                | FilingKind::CancelWebsite
        )
    }

    /// After-filing kinds about one website (the others are about the sponsor).
    pub fn names_website(self) -> bool {
        matches!(
            self,
            FilingKind::ChangeWebsite | FilingKind::ChangeAccess | FilingKind::CancelWebsite
        )
    }
}

impl fmt::Display for FilingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in FilingKind::ALL {
            assert_eq!(FilingKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(FilingKind::parse("first"), None);
    }

    #[test]
    fn access_kinds() {
        let access: Vec<_> = FilingKind::ALL
            .into_iter()
            .filter(|k| k.is_access())
            .collect();
        assert_eq!(access, [FilingKind::NewAccess, FilingKind::ContinueAccess]);
        assert!(FilingKind::CancelAccess.needs_filing_password());
        assert!(!FilingKind::FirstFiling.needs_filing_password());
        assert!(!FilingKind::CancelAccess.needs_product());
        assert!(FilingKind::ChangeAccess.needs_product());
        assert!(!FilingKind::ChangeAccess.needs_photo());
        assert!(FilingKind::CancelSponsor.needs_filing_password());
    }
}
