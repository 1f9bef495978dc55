//! The V3.0 SOAP services of the simulator: [`SoapBackend`] implements `beian-miit`'s
//! [`IspBackend`] over [`Regulator`] (authentication, the codec and the sequence checks are
//! `beian-miit`'s), [`soap_router`] mounts them at the spec's paths with their WSDLs, and
//! [`simulator_router`] is the whole simulator (HTTP pages and SOAP) on one router.

pub mod download;
pub mod upload;

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use beian_miit::v3::auth::Credentials;
use beian_miit::v3::codec::{AesKey, Encoded};
use beian_miit::v3::codes::{
    CompressionFormat, EncryptAlgorithm, FilingStatus as V3Status, HashAlgorithm,
    QueryConditionType, ReturnCode,
};
use beian_miit::v3::mapping::{
    CertificateType as MiitCertificateType, SponsorNature as MiitNature,
};
use beian_miit::v3::personal::Secret;
use beian_miit::v3::returns::{StatusInfo, StatusSponsor};
pub use beian_miit::v3::routes::ServiceOptions;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::server::{DecodedUpload, IspAccount, IspBackend, OutgoingFile, PreviousUpload};
use serde::{Deserialize, Serialize};

use crate::model::FilingStatus;
use crate::password::PasswordCheck;
use crate::{Error, Regulator};
use beian_miit::v3::results::ResultCode;
use upload::UploadRef;

/// The simulated bureau's end of the interface.
#[derive(Debug, Clone)]
pub struct SoapBackend {
    regulator: Regulator,
}

impl SoapBackend {
    /// Submits each planned record, or reports why it was refused before review.
    async fn submit_planned(
        &self,
        isp_id: i64,
        planned: Vec<upload::Planned>,
    ) -> Result<(), ReturnCode> {
        let r = &self.regulator;
        for p in planned {
            let reference = p.reference.encode();
            match p.request {
                Ok(request) => {
                    r.submit(isp_id, &reference, &request)
                        .await
                        .map_err(internal)?;
                }
                Err(code) => {
                    r.report_upload_problem(
                        isp_id,
                        &reference,
                        u32::from(code.code()),
                        code.description_zh(),
                    )
                    .await
                    .map_err(internal)?;
                }
            }
        }
        Ok(())
    }

    pub fn new(regulator: Regulator) -> SoapBackend {
        SoapBackend { regulator }
    }

    pub fn regulator(&self) -> &Regulator {
        &self.regulator
    }
}

/// The SOAP services at `/ISPWebService/upDownLoad`, `/BeianStatusWebService/queryBeianStatus`
/// and `/BeianStatusWebService/verifyBamm`, and their WSDLs at `?wsdl` (addressed at the
/// request's host).
pub fn soap_router(regulator: Regulator) -> Router {
    soap_router_with(regulator, ServiceOptions::default())
}

/// As [`soap_router`], the WSDLs addressed as `options` say (a configured public URL).
pub fn soap_router_with(regulator: Regulator, options: ServiceOptions) -> Router {
    beian_miit::v3::routes::router_with(Arc::new(SoapBackend::new(regulator)), options)
}

/// The whole simulator: its HTTP pages ([`crate::http::router`]) and the SOAP services.
pub fn simulator_router(regulator: Regulator) -> Router {
    simulator_router_with(regulator, ServiceOptions::default())
}

/// The simulator without its controls: the public pages ([`crate::http::public_router`]) and
/// the SOAP services (which authenticate their callers). `/sim/*` is [`crate::http::control_router`].
pub fn public_simulator_router(regulator: Regulator) -> Router {
    crate::http::public_router(regulator.clone()).merge(soap_router(regulator))
}

/// As [`simulator_router`], with the SOAP services' options.
pub fn simulator_router_with(regulator: Regulator, options: ServiceOptions) -> Router {
    crate::http::router(regulator.clone()).merge(soap_router_with(regulator, options))
}

/// Serves [`simulator_router`] alone on `listener` with the review driver (a pass every 5 s
/// of real time, and at once when the simulated clock moves): `beian regulator serve`.
pub async fn serve(listener: tokio::net::TcpListener, regulator: Regulator) -> std::io::Result<()> {
    serve_with(listener, regulator, ServiceOptions::default()).await
}

/// As [`serve`], with the SOAP services' options (`beian regulator serve --public-url`).
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    regulator: Regulator,
    options: ServiceOptions,
) -> std::io::Result<()> {
    let driver = regulator.spawn_driver(std::time::Duration::from_secs(5));
    let served = axum::serve(listener, simulator_router_with(regulator, options)).await;
    driver.abort();
    served
}

/// `beian regulator serve`: opens (or creates) the registry in `data_dir` and serves the whole
/// simulator ([`serve`]) on `listener` until the server stops.
pub async fn serve_data_dir(
    listener: tokio::net::TcpListener,
    data_dir: &std::path::Path,
    clock: crate::SharedClock,
    config: crate::Config,
) -> Result<(), Error> {
    serve_data_dir_with(listener, data_dir, clock, config, ServiceOptions::default()).await
}

/// As [`serve_data_dir`], with the SOAP services' options.
pub async fn serve_data_dir_with(
    listener: tokio::net::TcpListener,
    data_dir: &std::path::Path,
    clock: crate::SharedClock,
    config: crate::Config,
    options: ServiceOptions,
) -> Result<(), Error> {
    let regulator = Regulator::open(data_dir, clock, config).await?;
    serve_with(listener, regulator, options).await?;
    Ok(())
}

/// The transfer fields of an upload as kept in the regulator's `uploads.transfer`.
#[derive(Debug, Serialize, Deserialize)]
struct Transfer {
    beian_info: String,
    beian_info_hash: String,
    encrypt_algorithm: u8,
    hash_algorithm: u8,
    compression_format: u8,
}

impl Transfer {
    fn of(e: &Encoded) -> Transfer {
        Transfer {
            beian_info: e.beian_info.clone(),
            beian_info_hash: e.beian_info_hash.clone(),
            encrypt_algorithm: e.encrypt_algorithm.code(),
            hash_algorithm: e.hash_algorithm.code(),
            compression_format: e.compression_format.code(),
        }
    }

    fn encoded(self) -> Option<Encoded> {
        Some(Encoded {
            beian_info: self.beian_info,
            beian_info_hash: self.beian_info_hash,
            encrypt_algorithm: EncryptAlgorithm::from_code(self.encrypt_algorithm)?,
            hash_algorithm: HashAlgorithm::from_code(self.hash_algorithm)?,
            compression_format: CompressionFormat::from_code(self.compression_format)?,
        })
    }
}

/// A regulator failure as the interface reports it: 999, the cause logged.
fn internal(error: Error) -> ReturnCode {
    tracing::error!(%error, "SOAP call failed in the regulator");
    ReturnCode::Other
}

fn sequence_of(n: i64) -> Option<DataSequence> {
    u32::try_from(n)
        .ok()
        .and_then(|n| DataSequence::new(n).ok())
}

#[async_trait]
impl IspBackend for SoapBackend {
    async fn account(&self, isp_id: i64) -> Option<IspAccount> {
        let provider = match self.regulator.provider(isp_id).await {
            Ok(p) => p?,
            Err(e) => {
                internal(e);
                return None;
            }
        };
        let last = match self.regulator.last_upload(isp_id).await {
            Ok(last) => last,
            Err(e) => {
                internal(e);
                return None;
            }
        };
        let aes_key = if provider.aes_key.is_empty() {
            None
        } else {
            match AesKey::parse(&provider.aes_key, &provider.aes_iv) {
                Ok(key) => Some(key),
                Err(error) => {
                    // Encrypted calls of this provider then fail with 6 (解密失败).
                    tracing::warn!(isp_id, %error, "provider's AES key is unusable");
                    None
                }
            }
        };
        Some(IspAccount {
            credentials: Credentials {
                isp_id: provider.id,
                user_name: provider.username,
                password: Secret::new(provider.password),
            },
            aes_key,
            last_sequence: last.and_then(|u| sequence_of(u.sequence)),
        })
    }

    async fn accept_upload(&self, isp_id: i64, upload: DecodedUpload) -> Result<(), ReturnCode> {
        let transfer =
            serde_json::to_string(&Transfer::of(&upload.encoded)).map_err(|_| ReturnCode::Other)?;
        let r = &self.regulator;
        match r
            .record_upload(
                isp_id,
                i64::from(upload.sequence.get()),
                &upload.file_name,
                &transfer,
            )
            .await
        {
            Ok(()) => {}
            Err(Error::Conflict(_)) => return Err(ReturnCode::Other),
            Err(e) => return Err(internal(e)),
        }
        // beian's APP extension (urn:beian:miit-ext:app:1) travels the same way as a V3.0
        // upload; its root tells it apart.
        if let Ok(text) = beian_miit::v3::xml::decode_document(&upload.xml)
            && beian_miit::ext::app::is_app_upload(&text)
        {
            let planned = match beian_miit::ext::app::parse(&text) {
                Ok(doc) if doc.requester_id == isp_id => upload::plan_apps(&upload.file_name, &doc),
                Ok(_) => vec![upload::Planned {
                    reference: UploadRef::new(
                        &upload.file_name,
                        beian_miit::v3::codes::OperationType::FirstFiling,
                        "",
                    ),
                    request: Err(ResultCode::RequesterMismatch),
                }],
                Err(e) => vec![upload::Planned {
                    reference: UploadRef::new(
                        &upload.file_name,
                        beian_miit::v3::codes::OperationType::FirstFiling,
                        "",
                    ),
                    request: Err(e.result_code()),
                }],
            };
            return self.submit_planned(isp_id, planned).await;
        }
        let icp = match &upload.data {
            Ok(data) => data.icp.as_ref(),
            Err(code) => {
                // A problem with the whole file has no operation of its own; the result
                // names the file and carries Czlx 1 because the schema requires one.
                let reference = UploadRef::new(
                    &upload.file_name,
                    beian_miit::v3::codes::OperationType::FirstFiling,
                    "",
                );
                r.report_upload_problem(
                    isp_id,
                    &reference.encode(),
                    u32::from(code.code()),
                    code.description_zh(),
                )
                .await
                .map_err(internal)?;
                return Ok(());
            }
        };
        let Some(icp) = icp else {
            return Ok(());
        };
        let planned = upload::plan(r, &upload.file_name, icp)
            .await
            .map_err(internal)?;
        self.submit_planned(isp_id, planned).await
    }

    async fn next_download(&self, isp_id: i64) -> Result<Option<OutgoingFile>, ReturnCode> {
        let Some((file, waiting)) = self
            .regulator
            .next_download(isp_id)
            .await
            .map_err(internal)?
        else {
            return Ok(None);
        };
        let data = download::render(&self.regulator, &file.result)
            .await
            .map_err(internal)?;
        Ok(Some(OutgoingFile {
            file_name: file.file_name,
            data,
            more: waiting > 1,
        }))
    }

    async fn ack_download(&self, isp_id: i64, file_name: &str) -> Result<(), ReturnCode> {
        if self
            .regulator
            .ack_download(isp_id, file_name)
            .await
            .map_err(internal)?
        {
            Ok(())
        } else {
            Err(ReturnCode::Other)
        }
    }

    async fn previous_upload(&self, isp_id: i64) -> Result<Option<PreviousUpload>, ReturnCode> {
        let Some(last) = self.regulator.last_upload(isp_id).await.map_err(internal)? else {
            return Ok(None);
        };
        let encoded = serde_json::from_str::<Transfer>(&last.transfer)
            .ok()
            .and_then(Transfer::encoded)
            .ok_or(ReturnCode::Other)?;
        let sequence = sequence_of(last.sequence).ok_or(ReturnCode::Other)?;
        Ok(Some(PreviousUpload {
            sequence,
            file_name: last.file_name,
            encoded,
        }))
    }

    async fn query_status(
        &self,
        _isp_id: i64,
        condition_type: QueryConditionType,
        condition: &str,
    ) -> Result<StatusInfo, ReturnCode> {
        let status = if condition_type == QueryConditionType::AppPackage {
            // beian's APP extension: a filed APP answers as a website would.
            self.regulator
                .app_status_by_package(condition)
                .await
                .map(|found| match found {
                    Some((website_name, sponsor_number, website_number)) => FilingStatus::Website {
                        website_name,
                        sponsor_number,
                        website_number,
                    },
                    None => FilingStatus::NotFiled,
                })
        } else if condition_type == QueryConditionType::Domain {
            self.regulator.status_by_domain(condition).await
        } else {
            self.regulator.status_by_certificate(condition).await
        }
        .map_err(internal)?;
        let mut info = StatusInfo {
            condition_type,
            condition: condition.to_owned(),
            website_name: None,
            sponsor_number: None,
            website_number: None,
            status: V3Status::NotFiled,
            sponsor: None,
        };
        match status {
            FilingStatus::NotFiled => {}
            FilingStatus::Website {
                website_name,
                sponsor_number,
                website_number,
            } => {
                info.website_name = Some(website_name);
                info.sponsor_number = Some(sponsor_number);
                info.website_number = Some(website_number);
                info.status = V3Status::Filed;
            }
            FilingStatus::Sponsor { sponsor_number } => {
                info.sponsor_number = Some(sponsor_number);
                info.status = V3Status::Filed;
                info.sponsor = self
                    .regulator
                    .sponsor_identity_by_certificate(condition)
                    .await
                    .map_err(internal)?
                    .and_then(|(name, nature, certificate_type)| {
                        Some(StatusSponsor {
                            name,
                            nature: MiitNature::from_api_name(&nature).ok()?.code(),
                            certificate_type: MiitCertificateType::from_api_name(&certificate_type)
                                .ok()?
                                .code(),
                        })
                    });
            }
        }
        Ok(info)
    }

    async fn filing_record(
        &self,
        _isp_id: i64,
        icp_number: &str,
    ) -> Result<Option<beian_miit::v3::returns::FilingRecord>, ReturnCode> {
        self.regulator
            .filing_record(icp_number)
            .await
            .map_err(internal)
    }

    async fn verify_password(
        &self,
        _isp_id: i64,
        icp_number: &str,
        password: &str,
    ) -> Result<bool, ReturnCode> {
        match self
            .regulator
            .verify_password(icp_number, password)
            .await
            .map_err(internal)?
        {
            PasswordCheck::Correct => Ok(true),
            PasswordCheck::Wrong { .. } | PasswordCheck::UnknownNumber => Ok(false),
            PasswordCheck::Locked { .. } => Err(ReturnCode::PasswordCheckLimit),
        }
    }
}
