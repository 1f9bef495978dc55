//! The provider's end: [`RegulatorClient`], the six methods as typed async calls, and
//! [`HttpRegulatorClient`], which speaks SOAP over HTTP to a bureau (or the simulator).
//! Each call signs itself with a fresh `randVal`; downloaded files are checked (hash) and
//! decoded before they are returned.

use async_trait::async_trait;

use super::auth::Credentials;
use super::codec::{self, AesKey, Encoded};
use super::codes::{
    CompressionFormat, EncryptAlgorithm, HashAlgorithm, QueryConditionType, ReturnCode,
};
use super::download::DownloadData;
use super::returns::MethodReturn;
use super::sequence::DataSequence;
use super::server::{UploadRequest, auth_soap_params};
use super::soap::{self, Method};
use super::upload::UploadData;
use super::xml::{self, XmlError};

/// Why a call failed before a return document could be read.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("HTTP: {0}")]
    Http(String),
    #[error("SOAP: {0}")]
    Soap(#[from] soap::SoapError),
    #[error("return document: {0}")]
    Return(XmlError),
    #[error("document: {0}")]
    Document(XmlError),
    #[error("codec: {0}")]
    Codec(#[from] codec::CodecError),
}

/// The outcome of `isp_download`: the return, and the file when there was one.
#[derive(Debug, Clone)]
pub struct DownloadOutcome {
    pub ret: MethodReturn,
    pub file: Option<ReceivedFile>,
}

/// A downloaded file, decoded.
#[derive(Debug, Clone)]
pub struct ReceivedFile {
    /// `return_FileName`, to acknowledge with `isp_downloadack`.
    pub file_name: String,
    pub data: DownloadData,
}

/// The outcome of `isp_querypreviousupload`: the last sequence number the bureau accepted
/// (0 when none) and that file's XML, if any.
#[derive(Debug, Clone)]
pub struct PreviousUploadOutcome {
    pub ret: MethodReturn,
    pub last_sequence: Option<DataSequence>,
    pub xml: Option<Vec<u8>>,
}

/// The methods of the interface, as the provider's side calls them.
#[async_trait]
pub trait RegulatorClient: Send + Sync {
    /// `isp_upload`: encodes `data` as file `file_name` with number `sequence`.
    async fn upload(
        &self,
        data: &UploadData,
        sequence: DataSequence,
        file_name: &str,
    ) -> Result<MethodReturn, ClientError>;
    /// `isp_upload` of a document already written as GBK XML: beian's APP extension
    /// (`urn:beian:miit-ext:app:1`, `crate::ext::app`), which travels as a V3.0 upload does.
    /// Only the HTTP client speaks it; the default refuses.
    async fn upload_document(
        &self,
        gbk_xml: &[u8],
        sequence: DataSequence,
        file_name: &str,
    ) -> Result<MethodReturn, ClientError> {
        let _ = (gbk_xml, sequence, file_name);
        Err(ClientError::Http(
            "this client does not send extension documents".to_owned(),
        ))
    }
    /// `isp_download`: the next file, decoded (acknowledge it with [`Self::download_ack`]).
    async fn download(&self) -> Result<DownloadOutcome, ClientError>;
    /// `isp_downloadack`.
    async fn download_ack(&self, file_name: &str) -> Result<MethodReturn, ClientError>;
    /// `isp_querypreviousupload`.
    async fn query_previous_upload(&self) -> Result<PreviousUploadOutcome, ClientError>;
    /// `isp_querybeianstatus`.
    async fn query_beian_status(
        &self,
        condition_type: QueryConditionType,
        condition: &str,
    ) -> Result<MethodReturn, ClientError>;
    /// `isp_verifybamm`: whether `password` is the filing password of `icp_number`.
    async fn verify_password(
        &self,
        icp_number: &str,
        password: &str,
    ) -> Result<MethodReturn, ClientError>;
}

/// How the provider's id parameter is spelled in requests: the spec's tables say `ispId`
/// (the default); the production client easynode-ipc sends `ispID`. A setting per bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IspIdSpelling {
    /// `ispId`, as the spec's parameter tables.
    #[default]
    Spec,
    /// `ispID`.
    UpperId,
}

impl IspIdSpelling {
    pub fn name(self) -> &'static str {
        match self {
            IspIdSpelling::Spec => "ispId",
            IspIdSpelling::UpperId => "ispID",
        }
    }

    /// `ispId` or `ispID`.
    pub fn from_name(name: &str) -> Option<IspIdSpelling> {
        [IspIdSpelling::Spec, IspIdSpelling::UpperId]
            .into_iter()
            .find(|s| s.name() == name)
    }
}

/// A client over HTTP.
#[derive(Debug, Clone)]
pub struct HttpRegulatorClient {
    /// `http://host[:port]`, without a path.
    pub base_url: String,
    pub credentials: Credentials,
    /// Set to encrypt uploads (and to decrypt encrypted downloads).
    pub aes_key: Option<AesKey>,
    /// The service namespace written in requests ([`soap::NAMESPACE`] unless set).
    pub namespace: String,
    /// How `ispId` is spelled in requests.
    pub isp_id_spelling: IspIdSpelling,
    /// Whether to ask for beian's extensions of the returns (`<Ztsf>`, `<Baxx>`): only the
    /// bundled simulator has them; a bureau ignores the header.
    pub extensions: bool,
    http: reqwest::Client,
}

/// An error with its causes, `outer: inner: …` (reqwest's own text omits them, and with them
/// what went wrong: refused, TLS, timeout).
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A bureau that stops answering mid-call must not hold the caller (a job's lease) for long:
/// 10 s to connect, 60 s for a whole call.
pub const CONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(CALL_TIMEOUT)
        .build()
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "regulator HTTP client without timeouts");
            reqwest::Client::new()
        })
}

impl HttpRegulatorClient {
    pub fn new(
        base_url: &str,
        credentials: Credentials,
        aes_key: Option<AesKey>,
    ) -> HttpRegulatorClient {
        HttpRegulatorClient {
            base_url: base_url.trim_end_matches('/').to_owned(),
            credentials,
            aes_key,
            namespace: soap::NAMESPACE.to_owned(),
            isp_id_spelling: IspIdSpelling::default(),
            extensions: false,
            http: http_client(),
        }
    }

    /// The service namespace to write in requests (a bureau may use another than
    /// [`soap::NAMESPACE`]).
    pub fn with_namespace(mut self, namespace: &str) -> HttpRegulatorClient {
        namespace.clone_into(&mut self.namespace);
        self
    }

    /// How to spell the provider's id parameter.
    pub fn with_isp_id_spelling(mut self, spelling: IspIdSpelling) -> HttpRegulatorClient {
        self.isp_id_spelling = spelling;
        self
    }

    /// Asks for beian's extensions of the returns (see [`super::server::EXTENSIONS_HEADER`]).
    pub fn with_extensions(mut self, extensions: bool) -> HttpRegulatorClient {
        self.extensions = extensions;
        self
    }

    /// The URL of a service path (`/ISPWebService/upDownLoad`, …) at this bureau.
    pub fn url_of(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    /// The underlying HTTP client (timeouts as [`CONNECT_TIMEOUT`] and [`CALL_TIMEOUT`]).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    async fn call(
        &self,
        method: Method,
        params: &[(&str, String)],
    ) -> Result<MethodReturn, ClientError> {
        let respelled: Vec<(&str, String)>;
        let params = if self.isp_id_spelling == IspIdSpelling::Spec {
            params
        } else {
            respelled = params
                .iter()
                .map(|(name, value)| match *name {
                    "ispId" => (self.isp_id_spelling.name(), value.clone()),
                    _ => (*name, value.clone()),
                })
                .collect();
            &respelled
        };
        let body = soap::write_request(&self.namespace, method, params);
        let mut request = self
            .http
            .post(self.url_of(method.path()))
            .header("Content-Type", "text/xml; charset=utf-8")
            .header("SOAPAction", "\"\"");
        if self.extensions {
            request = request.header(
                super::server::EXTENSIONS_HEADER,
                super::server::EXTENSIONS_V1,
            );
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| ClientError::Http(error_chain(&e)))?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| ClientError::Http(error_chain(&e)))?;
        let text = soap::parse_response(&bytes)?;
        xml::from_xml_str(&text).map_err(ClientError::Return)
    }

    fn signed(&self) -> Vec<(&'static str, String)> {
        auth_soap_params(&self.credentials.sign(), true)
    }
}

fn encoded_of(infos: &super::returns::FileInfos) -> Result<Encoded, ClientError> {
    let bad = |what: &str, v: u8| codec::CodecError::Zip(format!("unknown {what} {v}"));
    Ok(Encoded {
        beian_info: infos.beian_info.clone(),
        beian_info_hash: infos.beian_info_hash.clone(),
        encrypt_algorithm: EncryptAlgorithm::from_code(infos.encrypt_algorithm)
            .ok_or(bad("encryptAlgorithm", infos.encrypt_algorithm))?,
        hash_algorithm: HashAlgorithm::from_code(infos.hash_algorithm)
            .ok_or(bad("hashAlgorithm", infos.hash_algorithm))?,
        compression_format: CompressionFormat::from_code(infos.compression_format)
            .ok_or(bad("compressionFormat", infos.compression_format))?,
    })
}

#[async_trait]
impl RegulatorClient for HttpRegulatorClient {
    async fn upload(
        &self,
        data: &UploadData,
        sequence: DataSequence,
        file_name: &str,
    ) -> Result<MethodReturn, ClientError> {
        let bytes = xml::to_gbk_document(data).map_err(ClientError::Document)?;
        self.upload_document(&bytes, sequence, file_name).await
    }

    async fn upload_document(
        &self,
        bytes: &[u8],
        sequence: DataSequence,
        file_name: &str,
    ) -> Result<MethodReturn, ClientError> {
        let enc = codec::encode(file_name, bytes, self.aes_key.as_ref())?;
        let req = UploadRequest {
            auth: self.credentials.sign(),
            beian_info: enc.beian_info,
            beian_info_hash: enc.beian_info_hash,
            data_sequence: sequence.to_string(),
            encrypt_algorithm: i64::from(enc.encrypt_algorithm.code()),
            compression_format: i64::from(enc.compression_format.code()),
        };
        self.call(Method::Upload, &req.to_params()).await
    }

    async fn download(&self) -> Result<DownloadOutcome, ClientError> {
        let ret = self.call(Method::Download, &self.signed()).await?;
        let file = match (&ret.file_infos, ret.code()) {
            (Some(infos), Some(code)) if code.is_success() => {
                let decoded = codec::decode(&encoded_of(infos)?, self.aes_key.as_ref())?;
                let data =
                    xml::from_document_bytes(&decoded.bytes).map_err(ClientError::Document)?;
                Some(ReceivedFile {
                    file_name: infos.file_name.clone(),
                    data,
                })
            }
            _ => None,
        };
        Ok(DownloadOutcome { ret, file })
    }

    async fn download_ack(&self, file_name: &str) -> Result<MethodReturn, ClientError> {
        let mut params = self.signed();
        params.push(("fileName", file_name.to_owned()));
        self.call(Method::DownloadAck, &params).await
    }

    async fn query_previous_upload(&self) -> Result<PreviousUploadOutcome, ClientError> {
        let ret = self
            .call(Method::QueryPreviousUpload, &self.signed())
            .await?;
        let mut last_sequence = None;
        let mut xml = None;
        if let Some(infos) = ret
            .file_infos
            .as_ref()
            .filter(|_| ret.code() == Some(ReturnCode::Success))
        {
            last_sequence = infos.data_sequence.and_then(|n| DataSequence::new(n).ok());
            if !infos.beian_info.trim().is_empty() {
                xml = Some(codec::decode(&encoded_of(infos)?, self.aes_key.as_ref())?.bytes);
            }
        }
        Ok(PreviousUploadOutcome {
            ret,
            last_sequence,
            xml,
        })
    }

    async fn query_beian_status(
        &self,
        condition_type: QueryConditionType,
        condition: &str,
    ) -> Result<MethodReturn, ClientError> {
        let mut params = self.signed();
        params.push(("queryConditionType", condition_type.code().to_string()));
        params.push(("queryCondition", condition.to_owned()));
        self.call(Method::QueryBeianStatus, &params).await
    }

    async fn verify_password(
        &self,
        icp_number: &str,
        password: &str,
    ) -> Result<MethodReturn, ClientError> {
        let mut params = self.signed();
        params.push(("baxh", icp_number.to_owned()));
        params.push(("bamm", password.to_owned()));
        self.call(Method::VerifyBamm, &params).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1
                .as_deref()
                .map(|l| l as &(dyn std::error::Error + 'static))
        }
    }

    #[test]
    fn error_chain_names_every_cause_once() {
        let e = Layer(
            "error sending request",
            Some(Box::new(Layer(
                "tcp connect error",
                Some(Box::new(Layer("Connection refused", None))),
            ))),
        );
        assert_eq!(
            error_chain(&e),
            "error sending request: tcp connect error: Connection refused"
        );
        let repeated = Layer(
            "io: Connection refused",
            Some(Box::new(Layer("Connection refused", None))),
        );
        assert_eq!(error_chain(&repeated), "io: Connection refused");
    }

    #[test]
    fn per_bureau_settings() {
        let creds = Credentials {
            isp_id: 7,
            user_name: "u".to_owned(),
            password: crate::v3::personal::Secret::new("p"),
        };
        let c = HttpRegulatorClient::new("http://h/", creds, None);
        assert_eq!(c.base_url, "http://h");
        assert_eq!(c.namespace, soap::NAMESPACE);
        assert_eq!(c.isp_id_spelling, IspIdSpelling::Spec);
        let c = c
            .with_namespace("urn:x")
            .with_isp_id_spelling(IspIdSpelling::UpperId);
        assert_eq!(c.namespace, "urn:x");
        assert_eq!(c.isp_id_spelling.name(), "ispID");
        assert_eq!(
            c.url_of(crate::v3::paths::VERIFY_BAMM),
            "http://h/BeianStatusWebService/verifyBamm"
        );
    }
}
