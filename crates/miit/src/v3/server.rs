//! The bureau's end: a transport-agnostic SOAP dispatcher ([`handle_soap`]) over an
//! [`IspBackend`] that holds the business logic (the regulator simulator implements it), and
//! the checks every upload goes through ([`verify_upload`]).
//!
//! Bad input never panics: an unreadable envelope gets a SOAP fault (HTTP 500, `999` in the
//! fault string); everything else gets a return document with the spec's `msg_code`.
//! Problems inside an accepted file (schema, version, requesting unit) are not return codes:
//! per §3-3-2-5 the bureau reports them later in a download (`BAJG`, codes 5001, 5003, 5004),
//! so [`DecodedUpload::data`] carries them as a [`ResultCode`].

use async_trait::async_trait;

use super::auth::{AuthParams, Credentials, check_auth};
use super::codec::{self, AesKey, Encoded};
use super::codes::{QueryConditionType, ReturnCode};
use super::download::DownloadData;
use super::results::ResultCode;
use super::returns::{FileInfos, MethodReturn, StatusInfo};
use super::sequence::DataSequence;
use super::soap::{self, Method, SoapRequest};
use super::upload::UploadData;
use super::xml;

/// The most records one file may hold (§3-3-1-3).
pub const MAX_RECORDS: usize = 1000;

/// What the bureau knows about a provider's account.
#[derive(Debug, Clone)]
pub struct IspAccount {
    pub credentials: Credentials,
    /// The AES key and IV issued to this provider, if it may encrypt.
    pub aes_key: Option<AesKey>,
    /// The last accepted `dataSequence` (none yet: `None`).
    pub last_sequence: Option<DataSequence>,
}

/// An upload that passed every check of the call itself. `Debug` omits the file's bytes.
#[derive(Clone)]
pub struct DecodedUpload {
    pub sequence: DataSequence,
    /// The file name inside the zip archive.
    pub file_name: String,
    /// The XML file as received (GBK).
    pub xml: Vec<u8>,
    /// The transfer fields as received, to answer `isp_querypreviousupload`.
    pub encoded: Encoded,
    /// The parsed file, or the processing result to report for it in a later download.
    pub data: Result<UploadData, ResultCode>,
}

impl std::fmt::Debug for DecodedUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodedUpload")
            .field("sequence", &self.sequence)
            .field("file_name", &self.file_name)
            .field("xml_len", &self.xml.len())
            .field("encoded", &self.encoded)
            .field("data_ok", &self.data.as_ref().map(|_| ()))
            .finish()
    }
}

/// A file the bureau hands out through `isp_download`.
#[derive(Debug, Clone)]
pub struct OutgoingFile {
    pub file_name: String,
    pub data: DownloadData,
    /// Whether more files wait after this one (return code 3 instead of 0).
    pub more: bool,
}

/// The last accepted upload, for `isp_querypreviousupload`.
#[derive(Debug, Clone)]
pub struct PreviousUpload {
    pub sequence: DataSequence,
    pub file_name: String,
    pub encoded: Encoded,
}

/// The business logic behind the methods. Authentication, the codec and sequence checks are
/// done before these are called.
#[async_trait]
pub trait IspBackend: Send + Sync {
    /// The account of `isp_id`, if the bureau knows it.
    async fn account(&self, isp_id: i64) -> Option<IspAccount>;
    /// Stores an accepted upload and its sequence number (which becomes the last one).
    async fn accept_upload(&self, isp_id: i64, upload: DecodedUpload) -> Result<(), ReturnCode>;
    /// The next file waiting for the provider, if any (it stays until acknowledged).
    async fn next_download(&self, isp_id: i64) -> Result<Option<OutgoingFile>, ReturnCode>;
    /// The provider received `file_name`.
    async fn ack_download(&self, isp_id: i64, file_name: &str) -> Result<(), ReturnCode>;
    /// The last accepted upload.
    async fn previous_upload(&self, isp_id: i64) -> Result<Option<PreviousUpload>, ReturnCode>;
    /// 是否备案查询.
    async fn query_status(
        &self,
        isp_id: i64,
        condition_type: QueryConditionType,
        condition: &str,
    ) -> Result<StatusInfo, ReturnCode>;
    /// 备案密码校验: whether `password` is the filing password of `icp_number`
    /// (`Err(PasswordCheckLimit)` when checked too often).
    async fn verify_password(
        &self,
        isp_id: i64,
        icp_number: &str,
        password: &str,
    ) -> Result<bool, ReturnCode>;
    /// beian's extension: the filing of `icp_number`, sent with a correct password check
    /// (`<Baxx>`). A backend that keeps no such record answers `None` (the default).
    async fn filing_record(
        &self,
        _isp_id: i64,
        _icp_number: &str,
    ) -> Result<Option<super::returns::FilingRecord>, ReturnCode> {
        Ok(None)
    }
}

/// A refusal of the call, with the missing numbers when the code is 14.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub code: ReturnCode,
    pub missing_sequences: Vec<u32>,
}

impl From<ReturnCode> for Rejection {
    fn from(code: ReturnCode) -> Self {
        Rejection {
            code,
            missing_sequences: Vec::new(),
        }
    }
}

impl Rejection {
    pub fn to_return(&self) -> MethodReturn {
        if self.code == ReturnCode::SequenceGap {
            MethodReturn::sequence_gap(&self.missing_sequences)
        } else {
            MethodReturn::of(self.code)
        }
    }
}

/// The parameters of `isp_upload`, raw as received. `Debug` shows the data's size only.
#[derive(Clone, PartialEq, Eq)]
pub struct UploadRequest {
    pub auth: AuthParams,
    pub beian_info: String,
    pub beian_info_hash: String,
    pub data_sequence: String,
    pub encrypt_algorithm: i64,
    pub compression_format: i64,
}

impl std::fmt::Debug for UploadRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadRequest")
            .field("isp_id", &self.auth.isp_id)
            .field("user_name", &self.auth.user_name)
            .field("beian_info_len", &self.beian_info.len())
            .field("data_sequence", &self.data_sequence)
            .field("encrypt_algorithm", &self.encrypt_algorithm)
            .field("compression_format", &self.compression_format)
            .finish()
    }
}

fn int_param(req: &SoapRequest, name: &str, bad: ReturnCode) -> Result<i64, ReturnCode> {
    req.param(name)
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or(bad)
}

fn str_param(req: &SoapRequest, name: &str) -> String {
    req.param(name).unwrap_or_default().to_owned()
}

/// The spellings of the provider's id accepted on input: the spec's parameter tables say
/// `ispId`; a production client (easynode-ipc) sends `ispID`.
pub const ISP_ID_SPELLINGS: [&str; 2] = ["ispId", "ispID"];

fn isp_id_param(req: &SoapRequest) -> Result<i64, ReturnCode> {
    ISP_ID_SPELLINGS
        .iter()
        .find_map(|name| req.param(name))
        .and_then(|v| v.trim().parse::<i64>().ok())
        .ok_or(ReturnCode::AuthenticationRejected)
}

/// The authentication parameters of any request (`ispId` or `ispID`).
pub fn auth_params(req: &SoapRequest) -> Result<AuthParams, ReturnCode> {
    Ok(AuthParams {
        isp_id: isp_id_param(req)?,
        user_name: str_param(req, "userName"),
        rand_val: str_param(req, "randVal"),
        pwd_hash: str_param(req, "pwdHash"),
        hash_algorithm: int_param(req, "hashAlgorithm", ReturnCode::BadHashAlgorithm)?,
    })
}

impl UploadRequest {
    pub fn from_soap(req: &SoapRequest) -> Result<UploadRequest, ReturnCode> {
        Ok(UploadRequest {
            auth: auth_params(req)?,
            beian_info: str_param(req, "beianInfo"),
            beian_info_hash: str_param(req, "beianInfoHash"),
            data_sequence: str_param(req, "dataSequence"),
            encrypt_algorithm: int_param(req, "encryptAlgorithm", ReturnCode::BadEncryptAlgorithm)?,
            compression_format: int_param(
                req,
                "compressionFormat",
                ReturnCode::BadCompressionFormat,
            )?,
        })
    }

    /// The SOAP parameters, in the prototype's order.
    pub fn to_params(&self) -> Vec<(&'static str, String)> {
        let mut p = auth_soap_params(&self.auth, false);
        p.extend([
            ("beianInfo", self.beian_info.clone()),
            ("beianInfoHash", self.beian_info_hash.clone()),
            ("dataSequence", self.data_sequence.clone()),
            ("encryptAlgorithm", self.encrypt_algorithm.to_string()),
            ("hashAlgorithm", self.auth.hash_algorithm.to_string()),
            ("compressionFormat", self.compression_format.to_string()),
        ]);
        p
    }
}

/// `ispId`, `userName`, `randVal`, `pwdHash` (and `hashAlgorithm` when `with_hash`).
pub fn auth_soap_params(auth: &AuthParams, with_hash: bool) -> Vec<(&'static str, String)> {
    let mut p = vec![
        ("ispId", auth.isp_id.to_string()),
        ("userName", auth.user_name.clone()),
        ("randVal", auth.rand_val.clone()),
        ("pwdHash", auth.pwd_hash.clone()),
    ];
    if with_hash {
        p.push(("hashAlgorithm", auth.hash_algorithm.to_string()));
    }
    p
}

/// Every check of an `isp_upload` call, in order: authentication (10, 16, 12, 4, 5),
/// algorithms (9, 11), sequence (14 with the missing numbers; 999 for a reused or invalid
/// number), transfer decoding (6, 7, 8, 17, 18). The file's content is then parsed into
/// [`DecodedUpload::data`].
pub fn verify_upload(
    req: &UploadRequest,
    expected: &Credentials,
    key: Option<&AesKey>,
    last_sequence: Option<DataSequence>,
) -> Result<DecodedUpload, Rejection> {
    check_auth(&req.auth, expected)?;
    let (encrypt_algorithm, hash_algorithm, compression_format) = codec::algorithms(
        req.encrypt_algorithm,
        req.auth.hash_algorithm,
        req.compression_format,
    )
    .map_err(|e| Rejection::from(e.return_code()))?;
    let sequence =
        DataSequence::parse(&req.data_sequence).map_err(|e| Rejection::from(e.return_code()))?;
    sequence
        .check_follows(last_sequence)
        .map_err(|e| Rejection {
            code: e.return_code(),
            missing_sequences: e.missing(),
        })?;
    let encoded = Encoded {
        beian_info: req.beian_info.clone(),
        beian_info_hash: req.beian_info_hash.clone(),
        encrypt_algorithm,
        hash_algorithm,
        compression_format,
    };
    let file = codec::decode(&encoded, key).map_err(|e| Rejection::from(e.return_code()))?;
    let data = parse_upload(&file.bytes, expected.isp_id);
    Ok(DecodedUpload {
        sequence,
        file_name: file.file_name,
        xml: file.bytes,
        encoded,
        data,
    })
}

/// Parses an uploaded file and checks what a bureau checks before processing its records.
pub fn parse_upload(bytes: &[u8], isp_id: i64) -> Result<UploadData, ResultCode> {
    let data: UploadData = xml::from_document_bytes(bytes).map_err(|e| e.result_code())?;
    xml::check_version(&data.version).map_err(|e| e.result_code())?;
    let icp = data.icp.as_ref().ok_or(ResultCode::NotOpen)?;
    if icp.requester_id != isp_id {
        return Err(ResultCode::RequesterMismatch);
    }
    if icp.record_count() == 0 || icp.record_count() > MAX_RECORDS {
        return Err(ResultCode::SchemaInvalid);
    }
    Ok(data)
}

/// The HTTP header with which a client asks for beian's extensions of the V3.0 returns
/// (`<Ztsf>` in the status query, `<Baxx>` after a correct filing-password check). A client
/// that does not send it (a bureau's own, zeep, any spec-strict one) gets answers exactly as
/// the spec's return XSD has them.
pub const EXTENSIONS_HEADER: &str = "x-beian-extensions";

/// The value of [`EXTENSIONS_HEADER`] this version understands.
pub const EXTENSIONS_V1: &str = "v1";

/// Handles one SOAP request body; returns the HTTP status and the response body. No
/// extensions (the spec's returns only).
pub async fn handle_soap(body: &[u8], backend: &dyn IspBackend) -> (u16, Vec<u8>) {
    dispatch(None, body, backend, false).await
}

/// As [`handle_soap`], refusing a method sent to another service's path.
/// The first bytes of a large envelope, read before the rest: they must hold the method and
/// the credentials (every client, ours included, writes `ispId`, `userName`, `randVal` and
/// `pwdHash` before the payload), which are checked before more is read.
pub const PREAMBLE_BYTES: usize = 64 * 1024;

/// The text of the first element named `local` (any namespace prefix) in `xml`, unescaped.
/// A rough reader for the preamble only; the envelope is parsed properly afterwards.
fn element_text(xml: &str, local: &str) -> Option<String> {
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find(|c: char| c == '>' || c == '/' || c.is_whitespace())?;
        let name = &rest[..end];
        let name = name.rsplit(':').next().unwrap_or(name);
        if name == local {
            let open_end = rest.find('>')?;
            let text = &rest[open_end + 1..];
            let text = &text[..text.find('<')?];
            return quick_xml::escape::unescape(text)
                .ok()
                .map(|t| t.trim().to_owned());
        }
    }
    None
}

/// The method of the first element in `xml` named like one (any namespace prefix).
fn first_method(xml: &str) -> Option<Method> {
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        rest = &rest[start + 1..];
        let end = rest.find(|c: char| c == '>' || c == '/' || c.is_whitespace())?;
        let name = &rest[..end];
        if let Some(m) = Method::from_name(name.rsplit(':').next().unwrap_or(name)) {
            return Some(m);
        }
    }
    None
}

/// Checks the credentials in the first bytes of a large envelope before the rest is read:
/// `Err` is the answer to send at once (the method's return with the refusal code, or a
/// fault when the method or the credentials are not in the preamble).
pub async fn precheck_credentials(
    preamble: &[u8],
    backend: &dyn IspBackend,
) -> Result<(), (u16, Vec<u8>)> {
    let text = String::from_utf8_lossy(preamble);
    let method = first_method(&text);
    let Some(method) = method else {
        let text = format!(
            "{}: no method in the envelope's first bytes",
            ReturnCode::Other
        );
        return Err((500, soap::write_fault("soapenv:Client", &text)));
    };
    let refuse = |code: ReturnCode| match xml::to_xml_body(&MethodReturn::of(code)) {
        Ok(body) => (200, soap::write_response(method, &body)),
        Err(e) => (500, soap::write_fault("soapenv:Server", &e.to_string())),
    };
    let isp_id = ISP_ID_SPELLINGS
        .iter()
        .find_map(|name| element_text(&text, name))
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or_else(|| refuse(ReturnCode::AuthenticationRejected))?;
    let account = backend
        .account(isp_id)
        .await
        .ok_or_else(|| refuse(ReturnCode::AuthenticationRejected))?;
    let user_name = element_text(&text, "userName").unwrap_or_default();
    if user_name != account.credentials.user_name {
        return Err(refuse(ReturnCode::WrongUserName));
    }
    let rand_val = element_text(&text, "randVal").unwrap_or_default();
    let pwd_hash = element_text(&text, "pwdHash").unwrap_or_default();
    let want = super::auth::pwd_hash(account.credentials.password.expose(), &rand_val);
    let same = want.len() == pwd_hash.len()
        && want
            .bytes()
            .zip(pwd_hash.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0;
    if !same {
        return Err(refuse(ReturnCode::WrongPassword));
    }
    Ok(())
}

pub async fn handle_soap_at(path: &str, body: &[u8], backend: &dyn IspBackend) -> (u16, Vec<u8>) {
    dispatch(Some(path), body, backend, false).await
}

/// As [`handle_soap_at`]; with `extensions` (the client asked: [`EXTENSIONS_HEADER`]) the
/// returns carry beian's extension elements where the backend has them.
pub async fn handle_soap_with(
    path: &str,
    body: &[u8],
    backend: &dyn IspBackend,
    extensions: bool,
) -> (u16, Vec<u8>) {
    dispatch(Some(path), body, backend, extensions).await
}

async fn dispatch(
    path: Option<&str>,
    body: &[u8],
    backend: &dyn IspBackend,
    extensions: bool,
) -> (u16, Vec<u8>) {
    let req = match soap::parse_request(body) {
        Ok(req) => req,
        Err(e) => {
            tracing::debug!(error = %e, "unreadable SOAP request");
            let text = format!("{}: {e}", ReturnCode::Other);
            return (500, soap::write_fault("soapenv:Client", &text));
        }
    };
    if path.is_some_and(|p| p.trim_end_matches('/') != req.method.path()) {
        let text = format!(
            "{}: {} is not served here",
            ReturnCode::Other,
            req.method.name()
        );
        return (500, soap::write_fault("soapenv:Client", &text));
    }
    let mut ret = match answer(&req, backend).await {
        Ok(ret) => ret,
        Err(rejection) => rejection.to_return(),
    };
    if !extensions {
        ret.strip_extensions();
    }
    match xml::to_xml_body(&ret) {
        Ok(text) => (200, soap::write_response(req.method, &text)),
        Err(e) => (500, soap::write_fault("soapenv:Server", &e.to_string())),
    }
}

async fn answer(req: &SoapRequest, backend: &dyn IspBackend) -> Result<MethodReturn, Rejection> {
    let auth = auth_params(req)?;
    let account = backend
        .account(auth.isp_id)
        .await
        .ok_or(ReturnCode::AuthenticationRejected)?;
    let isp_id = auth.isp_id;
    match req.method {
        Method::Upload => {
            let upload = UploadRequest::from_soap(req)?;
            let decoded = verify_upload(
                &upload,
                &account.credentials,
                account.aes_key.as_ref(),
                account.last_sequence,
            )?;
            backend.accept_upload(isp_id, decoded).await?;
            Ok(MethodReturn::of(ReturnCode::Success))
        }
        Method::Download => {
            check_auth(&auth, &account.credentials)?;
            let Some(file) = backend.next_download(isp_id).await? else {
                return Ok(MethodReturn::of(ReturnCode::NothingToDownload));
            };
            let bytes = xml::to_gbk_document(&file.data).map_err(|_| ReturnCode::Other)?;
            let enc = codec::encode(&file.file_name, &bytes, account.aes_key.as_ref())
                .map_err(|e| e.return_code())?;
            let code = if file.more {
                ReturnCode::MoreToDownload
            } else {
                ReturnCode::Success
            };
            Ok(MethodReturn {
                file_infos: Some(file_infos(&enc, None, &file.file_name)),
                ..MethodReturn::of(code)
            })
        }
        Method::DownloadAck => {
            check_auth(&auth, &account.credentials)?;
            let name = req.param("fileName").unwrap_or_default().trim();
            if name.is_empty() {
                return Err(ReturnCode::FileNameMissing.into());
            }
            backend.ack_download(isp_id, name).await?;
            Ok(MethodReturn::of(ReturnCode::Success))
        }
        Method::QueryPreviousUpload => {
            check_auth(&auth, &account.credentials)?;
            let infos = match backend.previous_upload(isp_id).await? {
                Some(prev) => file_infos(&prev.encoded, Some(prev.sequence.get()), &prev.file_name),
                None => FileInfos {
                    hash_algorithm: 0,
                    compression_format: 0,
                    encrypt_algorithm: 0,
                    data_sequence: Some(0),
                    file_name: String::new(),
                    beian_info: String::new(),
                    beian_info_hash: String::new(),
                },
            };
            Ok(MethodReturn {
                file_infos: Some(infos),
                ..MethodReturn::of(ReturnCode::Success)
            })
        }
        Method::QueryBeianStatus => {
            check_auth(&auth, &account.credentials)?;
            let kind = req
                .param("queryConditionType")
                .and_then(|v| v.trim().parse::<u8>().ok())
                .and_then(QueryConditionType::from_code)
                .ok_or(ReturnCode::Other)?;
            let condition = req.param("queryCondition").unwrap_or_default().trim();
            if condition.is_empty() {
                return Err(ReturnCode::Other.into());
            }
            let info = backend.query_status(isp_id, kind, condition).await?;
            Ok(MethodReturn {
                status_info: Some(info),
                ..MethodReturn::of(ReturnCode::Success)
            })
        }
        Method::VerifyBamm => {
            check_auth(&auth, &account.credentials)?;
            let number = req.param("baxh").unwrap_or_default().trim();
            let password = req.param("bamm").unwrap_or_default();
            if number.is_empty() {
                return Err(ReturnCode::Other.into());
            }
            let ok = backend.verify_password(isp_id, number, password).await?;
            let filing = if ok {
                backend.filing_record(isp_id, number).await?
            } else {
                None
            };
            Ok(MethodReturn {
                filing,
                verify_res: Some(if ok {
                    super::codes::PasswordCheck::Correct
                } else {
                    super::codes::PasswordCheck::Incorrect
                }),
                ..MethodReturn::of(ReturnCode::Success)
            })
        }
    }
}

fn file_infos(enc: &Encoded, sequence: Option<u32>, file_name: &str) -> FileInfos {
    FileInfos {
        hash_algorithm: enc.hash_algorithm.code(),
        compression_format: enc.compression_format.code(),
        encrypt_algorithm: enc.encrypt_algorithm.code(),
        data_sequence: sequence,
        file_name: file_name.to_owned(),
        beian_info: enc.beian_info.clone(),
        beian_info_hash: enc.beian_info_hash.clone(),
    }
}

#[cfg(test)]
mod preamble_tests {
    use super::*;

    #[test]
    fn the_preamble_names_its_method_and_credentials() {
        let xml = "<soapenv:Envelope><soapenv:Body><ns:isp_downloadack>\
                   <ispID> 7 </ispID><userName>a&amp;b</userName><beianInfo>AAA";
        assert_eq!(first_method(xml), Some(Method::DownloadAck));
        assert_eq!(element_text(xml, "ispID").as_deref(), Some("7"));
        assert_eq!(element_text(xml, "userName").as_deref(), Some("a&b"));
        assert_eq!(element_text(xml, "pwdHash"), None);
        assert_eq!(first_method("<a><b>no method</b></a>"), None);
    }
}
