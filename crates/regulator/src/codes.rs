//! The codes of the spec's 数据处理结果代码表 (V3.0 §3-5) that the simulated bureau produces,
//! with their texts exactly as the spec gives them. They are protocol data, sent verbatim in
//! download results, not interface text of this product.

use serde::{Deserialize, Serialize};

/// A data-processing result code of the ICP part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ResultCode {
    Approved,
    Refused,
    SponsorConflict,
    DomainConflict,
    NotInRegistry,
    WrongPassword,
    OnlyAccess,
    AccessAlreadyFiled,
    HomeUrlWithoutDomain,
    ProvinceChanged,
    OnlyOwnAccess,
    NotYourFiling,
    SponsorCancelled,
    WebsiteCancelled,
    DomainBlacklisted,
    SponsorBlacklisted,
}

impl ResultCode {
    /// Every code the simulator produces.
    pub const ALL: [ResultCode; 16] = [
        ResultCode::Approved,
        ResultCode::Refused,
        ResultCode::SponsorConflict,
        ResultCode::DomainConflict,
        ResultCode::NotInRegistry,
        ResultCode::WrongPassword,
        ResultCode::OnlyAccess,
        ResultCode::AccessAlreadyFiled,
        ResultCode::HomeUrlWithoutDomain,
        ResultCode::ProvinceChanged,
        ResultCode::OnlyOwnAccess,
        ResultCode::NotYourFiling,
        ResultCode::SponsorCancelled,
        ResultCode::WebsiteCancelled,
        ResultCode::DomainBlacklisted,
        ResultCode::SponsorBlacklisted,
    ];

    /// The spec's numeric code.
    pub fn code(self) -> u32 {
        match self {
            ResultCode::Approved => 1001,
            ResultCode::Refused => 1002,
            ResultCode::SponsorConflict => 1003,
            ResultCode::DomainConflict => 1005,
            ResultCode::NotInRegistry => 1016,
            ResultCode::WrongPassword => 1018,
            ResultCode::OnlyAccess => 1025,
            ResultCode::AccessAlreadyFiled => 1038,
            ResultCode::HomeUrlWithoutDomain => 1041,
            ResultCode::ProvinceChanged => 1046,
            ResultCode::OnlyOwnAccess => 1047,
            ResultCode::NotYourFiling => 1048,
            ResultCode::SponsorCancelled => 1049,
            ResultCode::WebsiteCancelled => 1050,
            ResultCode::DomainBlacklisted => 1064,
            ResultCode::SponsorBlacklisted => 1065,
        }
    }

    /// The spec's text for the code.
    pub fn text(self) -> &'static str {
        match self {
            ResultCode::Approved => "管局审核通过",
            ResultCode::Refused => "管局审核拒绝",
            ResultCode::SponsorConflict => "网站主办者冲突，请核实后再次报备",
            ResultCode::DomainConflict => "域名冲突，该域名在备案信息库中已存在，请核实后再次报备",
            ResultCode::NotInRegistry => "备案申请中的数据在备案信息库中不存在，请核实后再次报备",
            ResultCode::WrongPassword => "ICP备案密码错误，请核实后再次报备",
            ResultCode::OnlyAccess => "该网站只有一个接入，不能取消该接入",
            ResultCode::AccessAlreadyFiled => "该接入已经报备，无需重复报备",
            ResultCode::HomeUrlWithoutDomain => {
                "网站首页URL中必须包含域名中的其中一项，请核实后再次报备"
            }
            ResultCode::ProvinceChanged => {
                "变更备案时不能改变主体所在省，如果需要修改，请先申请注销主体，然后重新报备"
            }
            ResultCode::OnlyOwnAccess => "只能取消本接入商的接入信息，请核实后再次报备",
            ResultCode::NotYourFiling => {
                "您试图操作的不是您接入的备案，这种操作是非法的，请核实后再次报备"
            }
            ResultCode::SponsorCancelled => "主体已注销，您的请求被拒绝",
            ResultCode::WebsiteCancelled => "网站已注销，您的请求被拒绝",
            ResultCode::DomainBlacklisted => "“XX”网站的“XX域名”在黑名单中，请核实后再次报备",
            ResultCode::SponsorBlacklisted => "主体在黑名单中，请核实后再次报备",
        }
    }

    /// The code for a numeric value, if the simulator produces it.
    pub fn from_code(code: u32) -> Option<ResultCode> {
        ResultCode::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// `msg_code` 22 of the interface return codes (§3-4): 备案密码校验超过X次.
pub const MSG_CODE_PASSWORD_LOCKED: u32 = 22;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_round_trip() {
        for code in ResultCode::ALL {
            assert_eq!(ResultCode::from_code(code.code()), Some(code));
            assert!(!code.text().is_empty());
        }
        assert_eq!(ResultCode::from_code(1999), None);
    }

    #[test]
    fn texts_follow_the_spec_table() {
        let spec_rows = [
            (1005, "域名冲突"),
            (1018, "ICP备案密码错误"),
            (1025, "该网站只有一个接入"),
            (1041, "网站首页URL中必须包含域名"),
            (1046, "变更备案时不能改变主体所在省"),
            (1065, "主体在黑名单中"),
        ];
        for (code, start) in spec_rows {
            let found = ResultCode::from_code(code).unwrap();
            assert!(found.text().starts_with(start), "{code}: {}", found.text());
        }
    }
}
