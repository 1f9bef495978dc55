//! The dry run a provider does before pointing the platform at a real bureau
//! (`beian bureau check --regulator-url URL`, see `docs/bureau-interop.md`): it reads the
//! status-query service's WSDL, if the bureau serves one, to compare the bureau's namespace
//! and its spelling of `ispId` with the client's settings, then calls `isp_querybeianstatus`
//! for one known domain and reports what it saw. Nothing is uploaded, downloaded or
//! acknowledged, so the call changes nothing at the bureau.

use std::fmt;
use std::time::{Duration, Instant};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::client::{
    ClientError, HttpRegulatorClient, IspIdSpelling, RegulatorClient, error_chain,
};
use super::codes::{QueryConditionType, ReturnCode};
use super::paths;
use super::returns::MethodReturn;
use super::server::ISP_ID_SPELLINGS;

/// What the bureau's WSDL says, where it serves one at `queryBeianStatus?wsdl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WsdlProbe {
    /// A WSDL was read.
    Read {
        /// Its `targetNamespace`.
        target_namespace: Option<String>,
        /// The spellings of the provider's id among its element names (`ispId`, `ispID`).
        isp_id_names: Vec<String>,
        /// Its `soap:address location`.
        address: Option<String>,
    },
    /// No usable WSDL (an HTTP error, or not XML): the bureau may simply not serve one.
    Unavailable(String),
}

/// What the status query returned.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryProbe {
    /// A return document was read.
    Answered {
        ret: Box<MethodReturn>,
        elapsed: Duration,
    },
    /// No return document: the cause (connection, TLS, SOAP fault, unreadable answer).
    Failed(String),
}

/// The printable result of [`dry_run`].
#[derive(Debug, Clone, PartialEq)]
pub struct DryRunReport {
    pub regulator_url: String,
    pub isp_id: i64,
    pub namespace: String,
    pub isp_id_spelling: IspIdSpelling,
    pub encrypting: bool,
    pub domain: String,
    pub wsdl: WsdlProbe,
    pub query: QueryProbe,
}

impl DryRunReport {
    /// Whether the bureau answered the query with `msg_code` 0 (authenticated and served).
    pub fn passed(&self) -> bool {
        matches!(&self.query, QueryProbe::Answered { ret, .. } if ret.code() == Some(ReturnCode::Success))
    }

    /// Advice drawn from what was seen, one line each (none when nothing needs changing).
    pub fn advice(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.regulator_url.starts_with("https://") {
            out.push(
                "the URL is plain http://: the spec's addresses are http://; use https:// if the bureau offers it"
                    .to_owned(),
            );
        }
        if let WsdlProbe::Read {
            target_namespace,
            isp_id_names,
            ..
        } = &self.wsdl
        {
            if let Some(ns) = target_namespace
                .as_deref()
                .filter(|ns| *ns != self.namespace)
            {
                out.push(format!(
                    "the bureau's WSDL is in namespace {ns}, the client writes {}: set the bureau's namespace to {ns}",
                    self.namespace
                ));
            }
            let ours = self.isp_id_spelling.name();
            if !isp_id_names.is_empty() && !isp_id_names.iter().any(|n| n == ours) {
                out.push(format!(
                    "the bureau's WSDL names the provider's id {}, the client sends {ours}: change the spelling setting",
                    isp_id_names.join(" / ")
                ));
            }
        }
        if let QueryProbe::Answered { ret, .. } = &self.query {
            match ret.code() {
                Some(ReturnCode::WrongUserName) => out.push("msg_code 4: check userName".to_owned()),
                Some(ReturnCode::WrongPassword) => {
                    out.push("msg_code 5: check the password".to_owned())
                }
                Some(ReturnCode::AuthenticationRejected) => out.push(
                    "msg_code 12: check ispId, and try the other spelling (ispId / ispID) and namespace"
                        .to_owned(),
                ),
                Some(ReturnCode::NotThisProvince) => out.push(
                    "msg_code 13: this bureau does not serve this ispId (another province's bureau?)"
                        .to_owned(),
                ),
                Some(ReturnCode::NotPermitted) => out.push(
                    "msg_code 19: the account's filing rights are not open; ask the bureau".to_owned(),
                ),
                _ => {}
            }
        }
        out
    }
}

impl fmt::Display for DryRunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "bureau dry run: {}", self.regulator_url)?;
        writeln!(
            f,
            "  settings: ispId {} sent as {}, namespace {}, AES {}",
            self.isp_id,
            self.isp_id_spelling.name(),
            self.namespace,
            if self.encrypting {
                "key and IV set"
            } else {
                "none (plain transfers)"
            }
        )?;
        match &self.wsdl {
            WsdlProbe::Read {
                target_namespace,
                isp_id_names,
                address,
            } => {
                writeln!(
                    f,
                    "  WSDL {}?wsdl: namespace {}, provider id named {}, address {}",
                    paths::QUERY_BEIAN_STATUS,
                    target_namespace.as_deref().unwrap_or("(none)"),
                    if isp_id_names.is_empty() {
                        "(not found)".to_owned()
                    } else {
                        isp_id_names.join(" / ")
                    },
                    address.as_deref().unwrap_or("(none)")
                )?;
            }
            WsdlProbe::Unavailable(why) => {
                writeln!(
                    f,
                    "  WSDL {}?wsdl: not read ({why})",
                    paths::QUERY_BEIAN_STATUS
                )?;
            }
        }
        match &self.query {
            QueryProbe::Answered { ret, elapsed } => {
                writeln!(
                    f,
                    "  isp_querybeianstatus(domain {}): msg_code {} {} ({} ms)",
                    self.domain,
                    ret.msg_code,
                    ret.msg,
                    elapsed.as_millis()
                )?;
                if let Some(info) = &ret.status_info {
                    writeln!(
                        f,
                        "    StatusInfo: Cxtj {}, Bazt {} {}, Ztbah {}, Wzbah {}, Wzmc {}",
                        info.condition,
                        info.status.code(),
                        info.status.description_zh(),
                        info.sponsor_number.as_deref().unwrap_or("-"),
                        info.website_number.as_deref().unwrap_or("-"),
                        info.website_name.as_deref().unwrap_or("-"),
                    )?;
                }
            }
            QueryProbe::Failed(why) => {
                writeln!(
                    f,
                    "  isp_querybeianstatus(domain {}): failed: {why}",
                    self.domain
                )?;
            }
        }
        for line in self.advice() {
            writeln!(f, "  advice: {line}")?;
        }
        write!(
            f,
            "  result: {}",
            if self.passed() { "PASS" } else { "FAIL" }
        )
    }
}

/// Reads the bureau's WSDL of the status query, then asks whether `domain` is filed.
pub async fn dry_run(client: &HttpRegulatorClient, domain: &str) -> DryRunReport {
    let wsdl = probe_wsdl(client).await;
    let started = Instant::now();
    let query = match client
        .query_beian_status(QueryConditionType::Domain, domain)
        .await
    {
        Ok(ret) => QueryProbe::Answered {
            ret: Box::new(ret),
            elapsed: started.elapsed(),
        },
        Err(e) => QueryProbe::Failed(describe(&e)),
    };
    DryRunReport {
        regulator_url: client.base_url.clone(),
        isp_id: client.credentials.isp_id,
        namespace: client.namespace.clone(),
        isp_id_spelling: client.isp_id_spelling,
        encrypting: client.aes_key.is_some(),
        domain: domain.to_owned(),
        wsdl,
        query,
    }
}

fn describe(e: &ClientError) -> String {
    e.to_string().chars().take(300).collect()
}

async fn probe_wsdl(client: &HttpRegulatorClient) -> WsdlProbe {
    let url = format!("{}?wsdl", client.url_of(paths::QUERY_BEIAN_STATUS));
    let response = match client.http().get(&url).send().await {
        Ok(r) => r,
        Err(e) => return WsdlProbe::Unavailable(error_chain(&e).chars().take(300).collect()),
    };
    let status = response.status();
    if !status.is_success() {
        return WsdlProbe::Unavailable(format!("HTTP {status}"));
    }
    match response.bytes().await {
        Ok(bytes) => read_wsdl(&bytes),
        Err(e) => WsdlProbe::Unavailable(error_chain(&e).chars().take(300).collect()),
    }
}

fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|b| *b == b':').next().unwrap_or(name)
}

/// The namespace, the provider id's spellings and the address of a WSDL document.
pub fn read_wsdl(bytes: &[u8]) -> WsdlProbe {
    let mut reader = Reader::from_reader(bytes);
    let mut buf = Vec::new();
    let mut target_namespace = None;
    let mut isp_id_names: Vec<String> = Vec::new();
    let mut address = None;
    let mut saw_definitions = false;
    loop {
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => return WsdlProbe::Unavailable(format!("not XML: {e}")),
        };
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let attr = |key: &[u8]| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == key)
                        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
                };
                match local(e.name().as_ref()) {
                    b"definitions" => {
                        saw_definitions = true;
                        target_namespace = attr(b"targetNamespace");
                    }
                    b"element" => {
                        if let Some(name) = attr(b"name")
                            && ISP_ID_SPELLINGS.contains(&name.as_str())
                            && !isp_id_names.contains(&name)
                        {
                            isp_id_names.push(name);
                        }
                    }
                    b"address" => address = attr(b"location"),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !saw_definitions {
        return WsdlProbe::Unavailable("no wsdl:definitions".to_owned());
    }
    WsdlProbe::Read {
        target_namespace,
        isp_id_names,
        address,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v3::soap::NAMESPACE;
    use crate::v3::wsdl::{Service, document};

    #[test]
    fn our_wsdl_reads_back() {
        let doc = document(Service::QueryBeianStatus, NAMESPACE, "http://h:1");
        assert_eq!(
            read_wsdl(doc.as_bytes()),
            WsdlProbe::Read {
                target_namespace: Some(NAMESPACE.to_owned()),
                isp_id_names: vec!["ispId".to_owned()],
                address: Some(format!("http://h:1{}", paths::QUERY_BEIAN_STATUS)),
            }
        );
        assert!(matches!(read_wsdl(b"<html/>"), WsdlProbe::Unavailable(_)));
        assert!(matches!(
            read_wsdl(b"<a><b></a>"),
            WsdlProbe::Unavailable(_)
        ));
    }

    fn report(wsdl: WsdlProbe, query: QueryProbe) -> DryRunReport {
        DryRunReport {
            regulator_url: "http://bureau".to_owned(),
            isp_id: 7,
            namespace: NAMESPACE.to_owned(),
            isp_id_spelling: IspIdSpelling::Spec,
            encrypting: true,
            domain: "example.cn".to_owned(),
            wsdl,
            query,
        }
    }

    #[test]
    fn a_differing_bureau_gets_advice() {
        let r = report(
            WsdlProbe::Read {
                target_namespace: Some("urn:other".to_owned()),
                isp_id_names: vec!["ispID".to_owned()],
                address: None,
            },
            QueryProbe::Answered {
                ret: Box::new(MethodReturn::of(ReturnCode::AuthenticationRejected)),
                elapsed: Duration::from_millis(3),
            },
        );
        assert!(!r.passed());
        let text = r.to_string();
        assert!(
            text.contains("set the bureau's namespace to urn:other"),
            "{text}"
        );
        assert!(text.contains("names the provider's id ispID"), "{text}");
        assert!(text.contains("msg_code 12"), "{text}");
        assert!(text.ends_with("result: FAIL"), "{text}");
    }

    #[test]
    fn a_success_passes() {
        let r = report(
            WsdlProbe::Unavailable("HTTP 404".to_owned()),
            QueryProbe::Answered {
                ret: Box::new(MethodReturn::of(ReturnCode::Success)),
                elapsed: Duration::from_millis(3),
            },
        );
        assert!(r.passed());
        let text = r.to_string();
        assert!(text.contains("not read (HTTP 404)"), "{text}");
        assert!(text.ends_with("result: PASS"), "{text}");
        let failed = report(
            WsdlProbe::Unavailable("x".to_owned()),
            QueryProbe::Failed("connection refused".to_owned()),
        );
        assert!(!failed.passed());
        assert!(failed.to_string().contains("failed: connection refused"));
    }
}
