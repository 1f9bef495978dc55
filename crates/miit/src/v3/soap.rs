//! SOAP 1.1 envelopes for the six methods, written and read by hand with quick-xml.
//!
//! A request is `Envelope/Body/<method>` with one child element per parameter, named as in
//! the method prototypes (`ispId`, `userName`, …); the answer is
//! `Envelope/Body/<method>Response/return` whose text is the return document (escaped).
//! The reference holds no WSDL; the service namespace [`NAMESPACE`] is the one reported for a
//! production client against a bureau (configurable per bureau on the client, see
//! `docs/bureau-interop.md`). Reading ignores namespaces and prefixes and matches local
//! names only, so a request in any namespace, or none, is understood.

use quick_xml::Reader;
use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;

/// SOAP 1.1 envelope namespace.
pub const ENVELOPE_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The service namespace, `http://www.miibeian.gov.cn`: reported (issue 19) as the one the
/// requests of NetEase's easynode-ipc carry against the Zhejiang bureau. That client builds
/// its requests from the bureau's WSDL at run time (node-soap), so the namespace is the
/// bureau's, not written in its source. The spec names none. A setting per bureau on the
/// client ([`super::client::HttpRegulatorClient::with_namespace`]).
pub const NAMESPACE: &str = "http://www.miibeian.gov.cn";
/// The namespace beian used before issue 19 (its own invention, in no bureau).
pub const OLD_BEIAN_NAMESPACE: &str = "http://webservice.beian.miit/isp/v3";
/// Requests larger than this are refused before parsing (a 50 MB file grows by base64).
pub const MAX_ENVELOPE_BYTES: usize = 80 * 1024 * 1024;
const MAX_DEPTH: usize = 16;

/// The methods of §3-3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Upload,
    Download,
    DownloadAck,
    QueryPreviousUpload,
    QueryBeianStatus,
    VerifyBamm,
}

impl Method {
    pub const ALL: [Method; 6] = [
        Method::Upload,
        Method::Download,
        Method::DownloadAck,
        Method::QueryPreviousUpload,
        Method::QueryBeianStatus,
        Method::VerifyBamm,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Method::Upload => "isp_upload",
            Method::Download => "isp_download",
            Method::DownloadAck => "isp_downloadack",
            Method::QueryPreviousUpload => "isp_querypreviousupload",
            Method::QueryBeianStatus => "isp_querybeianstatus",
            Method::VerifyBamm => "isp_verifybamm",
        }
    }

    pub fn from_name(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

    /// The service path the method is served at.
    pub fn path(self) -> &'static str {
        match self {
            Method::QueryBeianStatus => super::paths::QUERY_BEIAN_STATUS,
            Method::VerifyBamm => super::paths::VERIFY_BAMM,
            _ => super::paths::UP_DOWN_LOAD,
        }
    }
}

/// Why an envelope could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SoapError {
    #[error("envelope too large")]
    TooLarge,
    #[error("malformed envelope: {0}")]
    Malformed(String),
    #[error("no Envelope/Body/<operation> element")]
    NoOperation,
    #[error("unknown operation {0:?}")]
    UnknownMethod(String),
    #[error("no return element in the response")]
    NoReturn,
    #[error("SOAP fault: {0}")]
    Fault(String),
}

/// A parsed request: the method and its parameters by local name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapRequest {
    pub method: Method,
    pub params: Vec<(String, String)>,
}

impl SoapRequest {
    /// The first parameter with this name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Writes a request envelope.
pub fn write_request(namespace: &str, method: Method, params: &[(&str, String)]) -> Vec<u8> {
    let mut out = String::with_capacity(512 + params.iter().map(|(_, v)| v.len()).sum::<usize>());
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    out.push_str(&format!(
        "<soapenv:Envelope xmlns:soapenv=\"{ENVELOPE_NS}\" xmlns:isp=\"{}\"><soapenv:Body><isp:{}>",
        escape(namespace),
        method.name()
    ));
    for (name, value) in params {
        out.push_str(&format!("<{name}>{}</{name}>", escape(value.as_str())));
    }
    out.push_str(&format!(
        "</isp:{}></soapenv:Body></soapenv:Envelope>",
        method.name()
    ));
    out.into_bytes()
}

/// Writes a response envelope carrying the return document as text.
pub fn write_response(method: Method, return_xml: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{ENVELOPE_NS}\"><soapenv:Body><isp:{m}Response xmlns:isp=\"{NAMESPACE}\"><return>{}</return></isp:{m}Response></soapenv:Body></soapenv:Envelope>",
        escape(return_xml),
        m = method.name()
    )
    .into_bytes()
}

/// Writes a SOAP 1.1 fault (`faultcode` is `soapenv:Client` or `soapenv:Server`).
pub fn write_fault(fault_code: &str, fault_string: &str) -> Vec<u8> {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope xmlns:soapenv=\"{ENVELOPE_NS}\"><soapenv:Body><soapenv:Fault><faultcode>{}</faultcode><faultstring>{}</faultstring></soapenv:Fault></soapenv:Body></soapenv:Envelope>",
        escape(fault_code),
        escape(fault_string)
    )
    .into_bytes()
}

/// One element of the body: its local name, its text and its child elements.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

fn local(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    name.rsplit(':').next().unwrap_or_default().to_owned()
}

/// Reads the envelope and returns the first element inside `Body` as a tree.
fn body_element(body: &[u8]) -> Result<Node, SoapError> {
    if body.len() > MAX_ENVELOPE_BYTES {
        return Err(SoapError::TooLarge);
    }
    let mut reader = Reader::from_reader(body);
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    // Path of local names from the root, and the stack of nodes being built below Body.
    let mut path: Vec<String> = Vec::new();
    let mut stack: Vec<Node> = Vec::new();
    let malformed =
        |e: &dyn std::fmt::Display| SoapError::Malformed(e.to_string().chars().take(120).collect());
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| malformed(&e))?;
        match event {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                path.push(name.clone());
                if path.len() > MAX_DEPTH {
                    return Err(SoapError::Malformed("too deep".into()));
                }
                if in_body(&path) {
                    stack.push(Node {
                        name,
                        ..Node::default()
                    });
                }
            }
            Event::Empty(e) => {
                let name = local(e.name().as_ref());
                path.push(name.clone());
                if in_body(&path) {
                    let node = Node {
                        name,
                        ..Node::default()
                    };
                    if let Some(done) = attach(&mut stack, node) {
                        return Ok(done);
                    }
                }
                path.pop();
            }
            Event::End(_) => {
                if in_body(&path)
                    && let Some(node) = stack.pop()
                    && let Some(done) = attach(&mut stack, node)
                {
                    return Ok(done);
                }
                path.pop();
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    let text = t.decode().map_err(|e| malformed(&e))?;
                    top.text.push_str(&text);
                }
            }
            Event::CData(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(t.as_ref()));
                }
            }
            Event::GeneralRef(r) => {
                if let Some(top) = stack.last_mut() {
                    if let Ok(Some(c)) = r.resolve_char_ref() {
                        top.text.push(c);
                    } else {
                        let name = r.decode().map_err(|e| malformed(&e))?;
                        let value = resolve_predefined_entity(&name).ok_or_else(|| {
                            SoapError::Malformed(format!("unknown entity {name}"))
                        })?;
                        top.text.push_str(value);
                    }
                }
            }
            Event::Eof => return Err(SoapError::NoOperation),
            _ => {}
        }
        buf.clear();
    }
}

/// Whether the path is `Envelope/Body/<something>…`.
fn in_body(path: &[String]) -> bool {
    path.len() >= 3 && path[0] == "Envelope" && path[1] == "Body"
}

/// Attaches a finished node to its parent; returns it when it is the body element itself.
fn attach(stack: &mut [Node], node: Node) -> Option<Node> {
    match stack.last_mut() {
        Some(parent) => {
            parent.children.push(node);
            None
        }
        None => Some(node),
    }
}

/// Reads a request envelope.
pub fn parse_request(body: &[u8]) -> Result<SoapRequest, SoapError> {
    let op = body_element(body)?;
    let method = Method::from_name(&op.name)
        .ok_or_else(|| SoapError::UnknownMethod(op.name.chars().take(64).collect()))?;
    let params = op.children.into_iter().map(|c| (c.name, c.text)).collect();
    Ok(SoapRequest { method, params })
}

/// Reads a response envelope and returns the text of its `return` element.
pub fn parse_response(body: &[u8]) -> Result<String, SoapError> {
    let op = body_element(body)?;
    if op.name == "Fault" {
        let text = op
            .children
            .iter()
            .find(|c| c.name == "faultstring")
            .map(|c| c.text.clone())
            .unwrap_or_default();
        return Err(SoapError::Fault(text));
    }
    op.children
        .into_iter()
        .find(|c| c.name == "return")
        .map(|c| c.text)
        .ok_or(SoapError::NoReturn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trip() {
        let params = [
            ("ispId", "110000000211".to_owned()),
            ("userName", "a&b<c>".to_owned()),
            ("beianInfo", "UEsDBA==".to_owned()),
        ];
        let bytes = write_request(NAMESPACE, Method::Upload, &params);
        let req = parse_request(&bytes).unwrap();
        assert_eq!(req.method, Method::Upload);
        assert_eq!(req.param("userName"), Some("a&b<c>"));
        assert_eq!(req.param("ispId"), Some("110000000211"));
        assert_eq!(req.param("missing"), None);
    }

    #[test]
    fn foreign_prefixes_and_cdata_are_read() {
        let body = br#"<S:Envelope xmlns:S="http://schemas.xmlsoap.org/soap/envelope/"><S:Header/><S:Body><ns2:isp_download xmlns:ns2="urn:x"><ispId>7</ispId><userName><![CDATA[u<1>]]></userName><randVal/></ns2:isp_download></S:Body></S:Envelope>"#;
        let req = parse_request(body).unwrap();
        assert_eq!(req.method, Method::Download);
        assert_eq!(req.param("userName"), Some("u<1>"));
        assert_eq!(req.param("randVal"), Some(""));
    }

    #[test]
    fn requests_in_any_namespace_or_none_are_read() {
        for ns in [NAMESPACE, OLD_BEIAN_NAMESPACE, "urn:other"] {
            let bytes = write_request(ns, Method::VerifyBamm, &[("baxh", "x".to_owned())]);
            assert_eq!(parse_request(&bytes).unwrap().param("baxh"), Some("x"));
        }
        let bare = br#"<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><isp_verifybamm xmlns=""><ispID>7</ispID></isp_verifybamm></Body></Envelope>"#;
        let req = parse_request(bare).unwrap();
        assert_eq!(req.method, Method::VerifyBamm);
        assert_eq!(req.param("ispID"), Some("7"));
    }

    #[test]
    fn responses_are_in_the_service_namespace() {
        let bytes = write_response(Method::Download, "<return/>");
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.contains("xmlns:isp=\"http://www.miibeian.gov.cn\""),
            "{text}"
        );
    }

    #[test]
    fn response_and_fault() {
        let inner = "<return version=\"V.3.0\"><msg_code>0</msg_code><msg>操作成功</msg></return>";
        let bytes = write_response(Method::DownloadAck, inner);
        assert_eq!(parse_response(&bytes).unwrap(), inner);
        let fault = write_fault("soapenv:Client", "999 其他错误");
        assert_eq!(
            parse_response(&fault),
            Err(SoapError::Fault("999 其他错误".into()))
        );
    }

    #[test]
    fn malformed_envelopes_are_errors() {
        let cases: &[&[u8]] = &[
            b"",
            b"not xml",
            b"<Envelope><Body></Body></Envelope>",
            b"<Envelope><Body><isp_upload><ispId>1</isp_upload></Body></Envelope>",
            b"<Envelope><Body><isp_nope/></Body></Envelope>",
            b"<Envelope><Body><isp_upload><a>&bogus;</a></isp_upload></Body></Envelope>",
        ];
        for case in cases {
            assert!(
                parse_request(case).is_err(),
                "{:?}",
                String::from_utf8_lossy(case)
            );
        }
    }
}
