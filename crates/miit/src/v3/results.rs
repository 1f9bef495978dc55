//! 数据处理结果代码表 (§3-5, with 1055–1068 from the change notes §7): the `Jgdm` codes a
//! bureau puts in a filing result (`BAJG`) after processing an uploaded file. The ICP (1xxx) and
//! general (5xxx) codes are the [`ResultCode`] enum; the IP (2xxx) and domain (3xxx) codes,
//! whose parts are not built here, are kept as a description table ([`other_area_description`]).

use super::codes::code_enum;

code_enum! {
    /// A processing result for the ICP part, or a general one.
    pub enum ResultCode: u16 {
        BureauApproved = 1001 => "管局审核通过",
        BureauRejected = 1002 => "管局审核拒绝",
        SponsorConflict = 1003 => "网站主办者冲突，请核实后再次报备",
        InvalidDomain = 1004 => "无效域名，请核实后再次报备",
        DomainConflict = 1005 => "域名冲突，该域名在备案信息库中已存在，请核实后再次报备",
        InvalidIp = 1006 => "无效IP，请核实后再次报备",
        InvalidContact = 1007 => "无效联系方式，请核实后再次报备",
        InvalidCertificate = 1008 => "无效证件，请核实后再次报备",
        InvalidEmail = 1009 => "无效邮箱，请核实后再次报备",
        InvalidOfficePhone = 1010 => "无效办公电话，请核实后再次报备",
        InvalidMobile = 1011 => "无效手机号码，请核实后再次报备",
        InvalidMsn = 1012 => "无效MSN，请核实后再次报备",
        InvalidQq = 1013 => "无效QQ，请核实后再次报备",
        InvalidSponsorNature = 1014 => "无效主办单位性质，请核实后再次报备",
        InvalidResidentId = 1015 => "无效身份证号码，请核实后再次报备",
        NotInRegistry = 1016 => "备案申请中的数据在备案信息库中不存在，请核实后再次报备",
        ChangeInProgress = 1017 => "备案变更中，审核通过后可再次申请变更",
        WrongFilingPassword = 1018 => "ICP备案密码错误，请核实后再次报备",
        WrongDivisionCode = 1019 => "省市县代码错误，请核实后再次报备",
        WebsiteNameConflict = 1020 => "网站名称冲突，请核实后再次报备",
        HomeUrlConflict = 1021 => "网站首页地址冲突，在备案信息库中已存在该首页地址，请核实后再次报备",
        BadHomeUrl = 1022 => "网站首页地址格式错误，请核实后再次报备",
        IpNotInRegistry = 1023 => "备案申请中的IP数据在备案信息库中不存在，请核实后再次报备",
        IpConflict = 1024 => "备案信息中的IP地址冲突，请核实后再次报备",
        OnlyAccess = 1025 => "该网站只有一个接入，不能取消该接入",
        BadCancelReason = 1026 => "注销理由代码错误，请核实后再次报备",
        SponsorCancelPending = 1027 => "注销主体冲突，无需重复提交该主体的注销申请",
        WrongIcpUserName = 1028 => "ICP用户名错误，请核实后再次报备",
        DuplicateAccess = 1029 => "同一个网站不允许有相同的接入，请核实后再次报备",
        WebsiteCancelPending = 1030 => "注销网站冲突，无需重复提交该网站的注销申请",
        ResponsibleOfficePhoneMissing = 1031 => "网站负责人办公电话不能为空，请核实后再次报备",
        CancelAccessPending = 1032 => "接入商已经对该网站提出取消接入请求，无需重复提交",
        InvalidPreApprovalType = 1033 => "无效的前置或专项审批内容类型，请核实后再次报备",
        InvalidServiceContent = 1034 => "无效网站服务内容，请核实后再次报备",
        InvalidAccessMethod = 1035 => "无效网站接入方式，请核实后再次报备",
        InvalidServerLocation = 1036 => "无效服务器放置地点，请核实后再次报备",
        WebsiteAlreadyFiled = 1037 => "该网站已经报备，无需重复报备",
        AccessAlreadyFiled = 1038 => "该接入已经报备，无需重复报备",
        DomainAlreadyFiled = 1039 => "该备案信息中的网站域名已经报备，无需重复报备",
        IpAlreadyFiled = 1040 => "该备案接入信息中的IP信息已经报备，无需重复报备",
        HomeUrlWithoutDomain = 1041 => "网站首页URL中必须包含域名中的其中一项，请核实后再次报备",
        SponsorBeingCancelled = 1042 => "主体正在注销中，不允许注销网站",
        WebsiteBeingCancelled = 1043 => "网站正在注销中，不允许注销主体",
        SponsorResponsibleNameMissing = 1044 => "主体负责人姓名不能为空",
        WrongProvinceBureau = 1045 => "接入商只能到其所在省通信管理局系统进行ICP备案信息的报备",
        ProvinceChangeForbidden = 1046 => "变更备案时不能改变主体所在省，如果需要修改，请先申请注销主体，然后重新报备",
        NotOwnAccess = 1047 => "只能取消本接入商的接入信息，请核实后再次报备",
        NotAccessedByYou = 1048 => "您试图操作的不是您接入的备案，这种操作是非法的，请核实后再次报备",
        SponsorCancelled = 1049 => "主体已注销，您的请求被拒绝",
        WebsiteCancelled = 1050 => "网站已注销，您的请求被拒绝",
        TooManyChanges = 1051 => "同一个接入商对同一个主体变更备案申请超过最大数，请稍后再试",
        PendingInLegacySystem = 1052 => "您所提交的请求在原系统中正在受理，请稍后提交",
        UnitDeleted = 1053 => "您所提交的请求的单位已经被删除  请确认",
        InvalidFilingUnit = 1054 => "报备单位无效",
        WrongVerificationForm = 1055 => "核验单提交信息不是该备案核验单，请确认",
        BadAttachmentFormat = 1056 => "附件格式类型代码错误，请核实后再次报备",
        BadAttachmentPurpose = 1057 => "附件用途类型代码错误，请核实后再次报备",
        SponsorNotFound = 1058 => "主体信息不存在",
        WebsiteNotFound = 1059 => "网站信息不存在",
        VerificationFormStored = 1060 => "核验单信息成功入库",
        AttachmentPurposeMismatch = 1061 => "核验单用途类型与报备标识不匹配",
        AccessMatchesIpRegistry = 1062 => "ICP接入信息比对IP库信息成功",
        AccessIpMismatch = 1063 => "ICP备案接入信息中所使用的IP地址与你单位IP地址备案中报备的IP信息不一致，请核实后再次提交",
        DomainBlacklisted = 1064 => "“XX”网站的“XX域名”在黑名单中，请核实后再次报备",
        SponsorBlacklisted = 1065 => "主体在黑名单中，请核实后再次报备",
        BadLanguage = 1066 => "网站语言类别错误，请核实后再次报备",
        AmbiguousWebsite = 1067 => "网站备案号或主键对应多个网站，请核实后再报备",
        AmbiguousSummary = 1068 => "网站备案号或主键对应多个缩略信息，请核实后再报备",
        IcpOther = 1999 => "其他错误",
        SchemaInvalid = 5001 => "数据文件格式不符合接口XSD规范，请核实后再次报备",
        UnknownAttribute = 5002 => "该属性不存在，请核实后再次报备",
        RequesterMismatch = 5003 => "XML中请求单位Id和报备单位Id不一致，请核实后再次报备",
        WrongVersion = 5004 => "接口版本错误，当前接口版本为“当前版本信息”",
        UnfiledSiteNotYours = 5005 => "企业上报的未备案网站处理结果中的网站不属于该企业，请核实后再次报备",
        UnfiledResultDuplicate = 5006 => "该未备案网站的处理结果已经上报，无需重复上报",
        BadProcessingCode = 5007 => "处理结果代码错误，请核实后再次报备",
        IllegalCharacters = 5008 => "上报信息中存在非法字符，请核实后再次报备",
        NoPermission = 5009 => "报备单位无此业务权限",
        BadAttachment = 5010 => "您提交的附件格式不符合规范",
        NotOpen = 5011 => "该功能目前未开放",
        Other = 5999 => "其他错误",
    }
}

impl ResultCode {
    /// 1001 and the informational successes (1060, 1062) are not errors.
    pub fn is_success(self) -> bool {
        matches!(
            self,
            ResultCode::BureauApproved
                | ResultCode::VerificationFormStored
                | ResultCode::AccessMatchesIpRegistry
        )
    }
}

/// The IP (2xxx) and domain (3xxx) processing results, code and description.
pub const OTHER_AREA_RESULTS: &[(u16, &str)] = &[
    (2001, "没有此报备单位，请核实后再次报备"),
    (2002, "报备信息中的起始IP大于终止IP，请核实后再次报备"),
    (2003, "此IP段已报备，请核实后再次报备"),
    (2004, "此IP广播已经报备，请核查后再次报备"),
    (2005, "此IP段未报备来源信息，请首先报备来源信息"),
    (2006, "报备信息中的起始IP不是合法IP地址，请核实后再次报备"),
    (2007, "报备信息中的终止IP不是合法IP地址"),
    (2008, "报备信息中的网关地址不是合法IP地址，请核实后再次报备"),
    (2009, "报备信息中的单位分类不正确，请核实后再次报备"),
    (2010, "报备信息中的分配使用方式不能为空，请核实后再次报备"),
    (2011, "报备信息中的省市县信息错误，请核实后再次报备"),
    (
        2012,
        "报备信息中的电话号码不是合法的电话号码，请核实后再次报备",
    ),
    (
        2013,
        "报备信息中的Email不是有效的电子邮箱，请核实后再次报备",
    ),
    (2014, "报备信息中的起始IP不能为空，请核实后再次报备"),
    (2015, "报备信息中的终止IP不能为空，请核实后再次报备"),
    (2016, "报备信息中的广播单位不能为空，请核实后再次报备"),
    (2017, "报备信息中的广播单位不存在，请核实后再次报备"),
    (2018, "报备信息中的申请广播单位不存在，请核实后再次报备"),
    (2019, "报备信息中的单位性质无效，请核实后再次报备"),
    (2020, "报备信息中的单位行业分类无效，请核实后再次报备"),
    (2021, "报备信息中的IP使用方式无效，请核实后再次报备"),
    (2022, "报备信息中的经营许可证不能为空，请核实后再次报备"),
    (2023, "报备信息中的单位行政级别无效，请核实后再次报备"),
    (2024, "报备信息中的省信息无效，请核实后再次报备"),
    (2025, "报备信息中的市信息无效，请核实后再次报备"),
    (2026, "报备信息中的县信息无效，请核实后再次报备"),
    (2027, "报备信息中的报备单位不能为空，请核实后再次报备"),
    (2028, "报备信息中的来源单位不能为空，请核实后再次报备"),
    (2029, "报备信息中的来源单位不正确，请核实后再次报备"),
    (2030, "报备信息中的使用时间不能为空，请核实后再次报备"),
    (2031, "报备信息中的单位名称不能为空，请核实后再次报备"),
    (2032, "报备信息中的IP使用方式不能为空，请核实后再次报备"),
    (2033, "报备信息中的域名跳转不能为空，请核实后再次报备"),
    (2034, "报备信息中的单位性质不能为空，请核实后再次报备"),
    (2035, "报备信息中的单位分类不能为空，请核实后再次报备"),
    (2036, "报备信息中的单位详细地址不能为空，请核实后再次报备"),
    (2037, "报备信息中的省信息不能为空，请核实后再次报备"),
    (2038, "报备信息中的市信息不能为空，请核实后再次报备"),
    (2039, "报备信息中的联系人电话不能为空，请核实后再次报备"),
    (2040, "报备信息中的联系人姓名不能为空，请核实后再次报备"),
    (2041, "报备信息中的分配使用方式无效，请核实后再次报备"),
    (2042, "报备信息中的联系人邮件不能为空，请核实后再次报备"),
    (2043, "报备信息中的网关IP地址不能为空，请核实后再次报备"),
    (2044, "报备信息中的网关物理地址不能为空，请核实后再次报备"),
    (2045, "报备信息中的来源单位名称不能为空，请核实后再次报备"),
    (2046, "报备信息中的来源单位类型不能为空，请核实后再次报备"),
    (2047, "报备信息中的分配对象不能为空，请核实后再次报备"),
    (2048, "报备信息中的分配单位不存在，请核实后再次报备"),
    (2049, "此信息已经报备，请核实后再次报备"),
    (2050, "分配和使用单位不能相同，请核实后再次报备"),
    (2051, "无效的广播报备单位"),
    (
        2052,
        "报备信息中的来源单位和请求单位不能相同，请核实后再次报备",
    ),
    (
        2053,
        "报备信息中的申请广播单位与广播单位不能相同，请核实后再次报备",
    ),
    (
        2054,
        "接入商只能操作属于本接入商的IP备案信息，请核实后再次报备",
    ),
    (
        2055,
        "备案申请中的IP数据在备案信息库中不存在，请核实后再次报备",
    ),
    (2056, "备案信息中的IP地址冲突，请核实后再次报备"),
    (2998, "IP备案操作成功"),
    (2999, "其他错误"),
    (3001, "报备信息中的域名类型错误 ，请核实后再次报备"),
    (3002, "报备信息中的域名注册时间不能为空，请核实后再次报备"),
    (3003, "报备信息中的域名有效日期不能为空，请核实后再次报备"),
    (
        3004,
        "报备信息中的域名有效日期不能早于当前日期，请核实后再次报备",
    ),
    (3005, "报备信息中的域名服务器不能为空，请核实后再次报备"),
    (3006, "报备信息中的域名所属注册商不能为空，请核实后再次报备"),
    (
        3007,
        "报备信息中的域名所属注册商名称中包含特殊字符、格式不正确或为空，请核实后再次报备",
    ),
    (3008, "报备信息中的域名注册人名称不能为空，请核实后再次报备"),
    (
        3009,
        "报备信息中的域名注册人所在组织不能为空，请核实后再次报备",
    ),
    (
        3010,
        "报备信息中的域名注册人所在省不能为空，请核实后再次报备",
    ),
    (
        3011,
        "报备信息中的域名注册人所在城市不能为空，请核实后再次报备",
    ),
    (
        3012,
        "报备信息中的域名注册人电子邮件不能为空，请核实后再次报备",
    ),
    (
        3013,
        "报备信息中的域名注册人电子邮件格式错误，请核实后再次报备",
    ),
    (
        3014,
        "报备信息中的域名注册人电话号码不能为空，请核实后再次报备",
    ),
    (
        3015,
        "报备信息中的域名注册人电话号码格式错误，请核实后再次报备",
    ),
    (
        3016,
        "报备信息中的域名注册人通信地址不能为空，请核实后再次报备",
    ),
    (3017, "报备信息中的域名管理员名称不能为空，请核实后再次报备"),
    (
        3018,
        "报备信息中的域名管理员所在组织不能为空，请核实后再次报备",
    ),
    (
        3019,
        "报备信息中的域名管理员所在省不能为空，请核实后再次报备",
    ),
    (
        3020,
        "报备信息中的域名管理员所在城市不能为空，请核实后再次报备",
    ),
    (
        3021,
        "报备信息中的域名管理员电子邮件不能为空，请核实后再次报备",
    ),
    (
        3022,
        "报备信息中的域名管理员电子邮件格式错误，请核实后再次报备",
    ),
    (
        3023,
        "报备信息中的域名管理员电话号码不能为空，请核实后再次报备",
    ),
    (
        3024,
        "报备信息中的域名管理员电话号码格式错误，请核实后再次报备",
    ),
    (
        3025,
        "报备信息中的域名管理员通信地址不能为空，请核实后再次报备",
    ),
    (3026, "报备信息中的接入方式无效，请核实后再次报备"),
    (3027, "报备信息中的服务器放置地无效，请核实后再次报备"),
    (3028, "报备信息中的注册人省市错误，请核实后再次报备"),
    (3029, "报备信息中的管理员省市错误，请核实后再次报备"),
    (3030, "报备信息中的缴费人省市错误，请核实后再次报备"),
    (3031, "报备信息中的注册时间格式错误，请核实后再次报备"),
    (3032, "报备信息中的有效日期格式错误，请核实后再次报备"),
    (3033, "报备信息中的缴费人电话号码格式错误，请核实后再次报备"),
    (3034, "报备信息中的缴费人电子邮件格式错误，请核实后再次报备"),
    (
        3035,
        "报备信息中的域名注册时间超过当前时间，请核实后再次报备",
    ),
    (
        3036,
        "域名报备单位只能到工信部备案系统进行域名报备，请核实后再次报备",
    ),
    (
        3037,
        "接入商只能操作属于本接入商的域名备案信息，请核实后再次报备",
    ),
    (3998, "域名备案操作成功"),
    (3999, "其他错误"),
];

/// The description of an IP or domain processing result code.
pub fn other_area_description(code: u16) -> Option<&'static str> {
    OTHER_AREA_RESULTS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, d)| *d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_complete_and_distinct() {
        let mut codes: Vec<u16> = ResultCode::ALL.iter().map(|c| c.code()).collect();
        codes.extend(OTHER_AREA_RESULTS.iter().map(|(c, _)| *c));
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), n);
        assert_eq!(n, 178);
        // 69 ICP rows (1001–1068, 1999) and 12 general rows (5001–5011, 5999).
        assert_eq!(ResultCode::ALL.len(), 81);
        for &c in ResultCode::ALL {
            assert_eq!(ResultCode::from_code(c.code()), Some(c));
        }
        assert_eq!(ResultCode::from_code(5001), Some(ResultCode::SchemaInvalid));
        assert_eq!(
            ResultCode::SchemaInvalid.description_zh(),
            "数据文件格式不符合接口XSD规范，请核实后再次报备"
        );
        assert_eq!(ResultCode::from_code(2001), None);
        assert_eq!(other_area_description(2998), Some("IP备案操作成功"));
    }
}
