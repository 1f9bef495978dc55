//! Sample messages of every kind and a test backend, shared by the integration tests.
#![allow(dead_code)]

pub mod backend;

use beian_core::province::Province;
use beian_miit::v3::codes::*;
use beian_miit::v3::download::*;
use beian_miit::v3::mapping::*;
use beian_miit::v3::personal::PersonalData;
use beian_miit::v3::upload::*;

pub const ISP_ID: i64 = 110000000211;

pub fn responsible(name: &str) -> Responsible {
    Responsible {
        name: Some(name.to_owned()),
        office_phone: Some("0571-88888888".into()),
        mobile: "13800138000".into(),
        email: "zhang@example.cn".into(),
        msn: None,
        qq: Some("12345678".into()),
        certificate_type: Some(CertificateType::ResidentId.code()),
        certificate_number: Some("330106199001011234".into()),
    }
}

pub fn address() -> Address {
    Address {
        province_id: division_code(Province::ZHEJIANG),
        city_id: Some(330100),
        county_id: Some(330106),
        detail: Some("浙江省杭州市西湖区文三路1号".into()),
    }
}

pub fn certificate() -> Certificate {
    Certificate {
        kind: CertificateType::BusinessLicence.code(),
        number: "91330106MA2XXXXX1A".into(),
        residence: "杭州市西湖区文三路1号".into(),
    }
}

fn website_parts() -> (ServiceContents, Languages, ServerLocations, AccessMethods) {
    (
        ServiceContents { ids: vec![1] },
        Languages {
            ids: vec![Language::Chinese.code(), Language::English.code()],
        },
        ServerLocations { ids: vec![33] },
        AccessMethods {
            ids: vec![AccessMethod::CloudServer.code()],
        },
    )
}

pub fn new_website_info(id: i64, domain: &str) -> NewWebsiteInfo {
    let (service_content, languages, locations, methods) = website_parts();
    NewWebsiteInfo {
        isp_website_id: id,
        name: "示例科技官网".into(),
        pre_approvals: Some(PreApprovals {
            items: vec![PreApproval {
                kind: 3,
                number: "浙新出网证(2020)001号".into(),
                scans: vec!["/9j/4AAQSkZJRg==".into()],
            }],
        }),
        service_content,
        languages,
        domains: vec![NewDomain {
            isp_domain_id: id * 10,
            domain: domain.into(),
        }],
        accesses: vec![NewAccessInfo {
            isp_access_id: id * 100,
            locations,
            methods,
            ips: vec![NewIpRange {
                isp_ip_id: id * 1000,
                start: 0x0A00_0001,
                end: 0x0A00_00FF,
            }],
        }],
        responsible: responsible("张三"),
        home_url: Some(format!("http://www.{domain}/")),
        remark: Some("网站备注 & <特殊字符>".into()),
    }
}

pub fn attachment_owner_ref(kind: AttachmentOwner, icp_number: &str) -> AttachmentOwnerRef {
    AttachmentOwnerRef {
        kind,
        record: RecordRef {
            id: None,
            icp_number: Some(icp_number.into()),
        },
    }
}

pub fn attachment(purpose: AttachmentPurpose) -> Attachment {
    Attachment {
        format: AttachmentFormat::Jpg.code(),
        purpose: purpose.code(),
        content: "/9j/4AAQSkZJRgABAQ==".into(),
        owner: attachment_owner_ref(AttachmentOwner::Sponsor, "浙ICP备2021012345号"),
        remark: None,
    }
}

fn icp(f: impl FnOnce(&mut IcpUpload)) -> UploadData {
    let mut icp = IcpUpload {
        requester_id: ISP_ID,
        ..IcpUpload::default()
    };
    f(&mut icp);
    UploadData::icp(icp)
}

/// 新增备案.
pub fn first_filing() -> UploadData {
    icp(|icp| {
        icp.first_filings = Some(FirstFilings {
            items: vec![FirstFiling {
                sponsor: NewSponsor {
                    isp_sponsor_id: 1,
                    name: "杭州示例科技有限公司".into(),
                    nature: Some(SponsorNature::Enterprise.code()),
                    investor: Some("张三".into()),
                    address: address(),
                    certificate: certificate(),
                    responsible: responsible("张三"),
                    filing_mode: FilingMode::ByProvider,
                    remark: None,
                },
                websites: vec![new_website_info(11, "example.cn")],
                attachments: vec![FirstFilingAttachmentSlot {
                    attachment: FirstFilingAttachment {
                        format: AttachmentFormat::Jpg.code(),
                        purpose: AttachmentPurpose::VerificationForm.code(),
                        content: "/9j/4AAQSkZJRgABAQ==".into(),
                        owner: FirstFilingAttachmentOwner {
                            kind: AttachmentOwner::Website,
                            isp_id: 11,
                        },
                        remark: Some("核验单".into()),
                    },
                }],
            }],
        });
    })
}

/// 新增网站.
pub fn new_website() -> UploadData {
    icp(|icp| {
        icp.new_websites = Some(NewWebsites {
            items: vec![NewWebsite {
                sponsor: SponsorRef {
                    icp_number: Some("浙ICP备2021012345号".into()),
                    id: None,
                },
                websites: vec![new_website_info(12, "example.com.cn")],
                attachments: vec![AttachmentSlot {
                    attachment: attachment(AttachmentPurpose::WebsiteOwnerIdFront),
                }],
                password_hash: Some(beian_miit::v3::auth::icp_password_hash("Beian2024")),
            }],
        });
    })
}

/// 新增接入.
pub fn new_access() -> UploadData {
    let (_, _, locations, methods) = website_parts();
    icp(|icp| {
        icp.new_accesses = Some(NewAccesses {
            items: vec![NewAccess {
                website: WebsiteRef {
                    icp_number: None,
                    id: Some(4_400_001),
                },
                isp_access_id: 3001,
                locations,
                methods,
                ips: vec![NewIpRange {
                    isp_ip_id: 3002,
                    start: 0x7B00_0001,
                    end: 0x7B00_0001,
                }],
                attachments: vec![],
                password_hash: beian_miit::v3::auth::icp_password_hash("Beian2024"),
            }],
        });
    })
}

/// 变更备案.
pub fn change() -> UploadData {
    let (service_content, languages, locations, methods) = website_parts();
    icp(|icp| {
        icp.changes = Some(Changes {
            items: vec![Change {
                sponsor: ChangedSponsor {
                    id: 330_001,
                    name: "杭州示例科技有限公司".into(),
                    icp_number: "浙ICP备2021012345号".into(),
                    nature: Some(SponsorNature::Enterprise.code()),
                    investor: None,
                    address: address(),
                    certificate: certificate(),
                    responsible: responsible("李四"),
                    remark: None,
                },
                websites: vec![ChangedWebsite {
                    id: 330_011,
                    name: "示例科技".into(),
                    pre_approvals: None,
                    service_content,
                    languages,
                    domains: vec![
                        ChangedDomain {
                            isp_domain_id: 110,
                            id: Some(330_111),
                            domain: "example.cn".into(),
                        },
                        ChangedDomain {
                            isp_domain_id: 111,
                            id: None,
                            domain: "example.net".into(),
                        },
                    ],
                    accesses: vec![ChangedAccess {
                        id: 330_211,
                        locations,
                        methods,
                        ips: vec![ChangedIpRange {
                            isp_ip_id: 1100,
                            id: Some(330_311),
                            start: 0x0A00_0001,
                            end: 0x0A00_0002,
                        }],
                    }],
                    responsible: responsible("李四"),
                    icp_number: "浙ICP备2021012345号-1".into(),
                    home_url: Some("http://www.example.cn/".into()),
                    remark: None,
                }],
                attachments: vec![AttachmentSlot {
                    attachment: attachment(AttachmentPurpose::BusinessLicense),
                }],
                password_hash: Some(beian_miit::v3::auth::icp_password_hash("Beian2024")),
            }],
        });
    })
}

/// 注销备案: sponsor, website and cancel access, one of each.
pub fn cancellations() -> UploadData {
    icp(|icp| {
        icp.cancellations = Some(Cancellations {
            items: vec![
                Cancellation {
                    category: CancelCategory::Sponsor,
                    record_id: 330_001,
                    reason: 1,
                    reason_remark: Some("不再经营".into()),
                    password_hash: Some(beian_miit::v3::auth::icp_password_hash("Beian2024")),
                },
                Cancellation {
                    category: CancelCategory::Website,
                    record_id: 330_011,
                    reason: 2,
                    reason_remark: None,
                    password_hash: None,
                },
                Cancellation {
                    category: CancelCategory::Access,
                    record_id: 330_211,
                    reason: 3,
                    reason_remark: None,
                    password_hash: None,
                },
            ],
        });
    })
}

/// 真实性核验材料.
pub fn materials() -> UploadData {
    icp(|icp| {
        icp.materials = Some(Materials {
            items: vec![
                attachment(AttachmentPurpose::VerificationForm),
                Attachment {
                    owner: AttachmentOwnerRef {
                        kind: AttachmentOwner::Website,
                        record: RecordRef {
                            id: Some(330_011),
                            icp_number: None,
                        },
                    },
                    ..attachment(AttachmentPurpose::Photo)
                },
            ],
        });
    })
}

pub fn upload_samples() -> Vec<(&'static str, UploadData)> {
    vec![
        ("first_filing", first_filing()),
        ("new_website", new_website()),
        ("new_access", new_access()),
        ("change", change()),
        ("cancellations", cancellations()),
        ("materials", materials()),
    ]
}

fn dl(f: impl FnOnce(&mut IcpDownload)) -> DownloadData {
    let mut icp = IcpDownload::default();
    f(&mut icp);
    DownloadData::icp(icp)
}

fn registered_responsible(name: &str) -> RegisteredResponsible {
    RegisteredResponsible {
        name: Some(name.into()),
        office_phone: None,
        mobile: Some("13800138000".into()),
        email: Some(PersonalData::from("zhang@example.cn")),
        msn: None,
        qq: None,
        certificate_type: Some(2),
        certificate_number: Some("330106199001011234".into()),
    }
}

/// ICP备案数据.
pub fn registrations() -> DownloadData {
    let (service_content, languages, locations, methods) = website_parts();
    dl(|icp| {
        icp.registrations = Some(Registrations {
            items: vec![Registration {
                sponsor: RegisteredSponsor {
                    isp_sponsor_id: Some(1),
                    id: 330_001,
                    name: "杭州示例科技有限公司".into(),
                    nature: Some(SponsorNature::Enterprise.code()),
                    address: Address {
                        city_id: None,
                        ..address()
                    },
                    certificate: certificate(),
                    responsible: registered_responsible("张三"),
                    icp_number: Some("浙ICP备2021012345号".into()),
                    filing_mode: FilingMode::ByProvider,
                    investor: None,
                    first_filed: "2021-03-01".into(),
                    last_changed: "2024-05-06".into(),
                    certificate_valid_until: None,
                    certificate_path: None,
                    certificate_serial: None,
                    reviewer: Some("王审核".into()),
                    reviewed: Some("2021-03-05".into()),
                    remark: None,
                },
                websites: vec![RegisteredWebsite {
                    isp_website_id: Some(11),
                    id: 330_011,
                    name: "示例科技官网".into(),
                    pre_approvals: None,
                    service_content: Some(service_content),
                    languages,
                    domains: vec![RegisteredDomain {
                        isp_domain_id: Some(110),
                        id: 330_111,
                        domain: "example.cn".into(),
                    }],
                    accesses: vec![RegisteredAccess {
                        isp_access_id: Some(1100),
                        id: 330_211,
                        provider_id: ISP_ID,
                        locations,
                        methods,
                        ips: vec![RegisteredIpRange {
                            isp_ip_id: Some(11000),
                            id: 330_311,
                            start: 0x0A00_0001,
                            end: 0x0A00_00FF,
                        }],
                    }],
                    responsible: registered_responsible("张三"),
                    home_url: Some("http://www.example.cn/".into()),
                    remark: None,
                    first_filed: Some("2021-03-05".into()),
                    last_changed: Some("2024-05-06".into()),
                    icp_number: Some("浙ICP备2021012345号-1".into()),
                }],
                apps: vec![],
                remark: None,
            }],
        });
    })
}

/// 注销数据.
pub fn cancelled() -> DownloadData {
    dl(|icp| {
        icp.cancelled = Some(CancelledRecords {
            items: vec![
                CancelledRecord {
                    category: CancelCategory::Sponsor,
                    record_id: 330_001,
                    remark: Some("主体注销".into()),
                },
                CancelledRecord {
                    category: CancelCategory::Website,
                    record_id: 330_011,
                    remark: None,
                },
            ],
        });
    })
}

/// 黑名单.
pub fn blacklist() -> DownloadData {
    dl(|icp| {
        icp.blacklist = Some(Blacklist {
            sponsors: vec![SponsorBlacklistEntry {
                sponsor: Some(BlacklistedSponsor {
                    name: "违规公司".into(),
                    nature: Some(SponsorNature::Enterprise.code()),
                    certificate: BlacklistedCertificate {
                        kind: 1,
                        number: "91330106MA2YYYYY2B".into(),
                    },
                }),
                operation: BlacklistOperation::Add,
                remark: None,
            }],
            websites: vec![WebsiteBlacklistEntry {
                website: BlacklistedWebsite {
                    name: "违规网站".into(),
                    domains: vec![BlacklistedDomain {
                        domain: "bad.example".into(),
                    }],
                    home_url: Some("http://bad.example/".into()),
                },
                operation: BlacklistOperation::Delete,
                remark: Some("已整改".into()),
            }],
        });
    })
}

/// 备案结果, with review opinions.
pub fn results() -> DownloadData {
    use beian_miit::v3::results::ResultCode;
    dl(|icp| {
        icp.results = Some(FilingResults {
            results: vec![
                FilingResult {
                    items: vec![ResultItem::of(ResultCode::BureauApproved)],
                    operation: OperationType::FirstFiling,
                    subject: Some("1".into()),
                    remark: None,
                },
                FilingResult {
                    items: vec![
                        ResultItem::of(ResultCode::DomainConflict),
                        ResultItem::of(ResultCode::InvalidMobile),
                    ],
                    operation: OperationType::NewAccess,
                    subject: Some("浙ICP备2021012345号-1".into()),
                    remark: None,
                },
            ],
            reviews: Some(Reviews {
                items: vec![Review {
                    reviewer: Some("王审核".into()),
                    reviewer_phone: Some("0571-87654321".into()),
                    reviewed: "2024-05-06".into(),
                    opinion: Some("网站名称不符合要求".into()),
                    outcome: ReviewOutcome::Rejected,
                    operation: Some(OperationType::NewWebsite),
                    record_id: Some(12),
                }],
            }),
        });
    })
}

/// 相关通知.
pub fn notices() -> DownloadData {
    dl(|icp| {
        icp.notices = Some(Notices {
            items: vec![Notice {
                category: NoticeCategory::WebsiteRectification,
                icp_number: Some("浙ICP备2021012345号-1".into()),
                record_id: Some(330_011),
                content: "请于10个工作日内更正网站负责人信息".into(),
                remark: None,
            }],
        });
    })
}

pub fn download_samples() -> Vec<(&'static str, DownloadData)> {
    vec![
        ("registrations", registrations()),
        ("cancelled", cancelled()),
        ("blacklist", blacklist()),
        ("results", results()),
        ("notices", notices()),
    ]
}
