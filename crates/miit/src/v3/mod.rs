//! The enterprise interface specification V3.0 (October 2013): message types per its XSDs,
//! its code tables, the codec, the SOAP methods, and the client and server ends.
//!
//! - [`upload`] and [`download`]: the ICP part of 《企业上报数据格式.xsd》 and
//!   《企业下载数据格式.xsd》; [`returns`]: the method return documents.
//! - [`codes`]: 接口返回状态代码表 and the small code sets the spec fixes; [`results`]:
//!   数据处理结果代码表; [`mapping`]: conversions to beian's own names and provinces.
//! - [`codec`]: XML → GBK → zip → MD5/AES-CBC → base64 and back; [`auth`]: `pwdHash`;
//!   [`sequence`]: `dataSequence`.
//! - [`soap`]: SOAP 1.1 envelopes; [`server`]: the dispatcher and the [`server::IspBackend`]
//!   trait; [`client`]: the [`client::RegulatorClient`] trait and its HTTP implementation;
//!   [`wsdl`]: the services' WSDL documents; [`check`]: the dry run against a bureau.

pub mod auth;
pub mod check;
pub mod client;
pub mod codec;
pub mod codes;
pub mod download;
pub mod mapping;
pub mod parts;
pub mod personal;
pub mod results;
pub mod returns;
#[cfg(feature = "axum")]
pub mod routes;
pub mod sequence;
pub mod server;
pub mod soap;
pub mod upload;
pub mod wsdl;
pub mod xml;

/// The value of the `version` attribute every V3.0 document carries (§3-2).
pub const VERSION: &str = "V.3.0";

/// The service paths of §3-3 (without the `?wsdl` suffix).
pub mod paths {
    /// `isp_upload`, `isp_download`, `isp_downloadack`, `isp_querypreviousupload`.
    pub const UP_DOWN_LOAD: &str = "/ISPWebService/upDownLoad";
    /// `isp_querybeianstatus`.
    pub const QUERY_BEIAN_STATUS: &str = "/BeianStatusWebService/queryBeianStatus";
    /// `isp_verifybamm` (added in V3.0, see the change notes §9).
    pub const VERIFY_BAMM: &str = "/BeianStatusWebService/verifyBamm";
}
