//! WSDL 1.1 descriptions of the three services, served at `<path>?wsdl` (§3-3-1-1 to
//! §3-3-6-1 give every method's address in that form; the spec itself holds no WSDL).
//!
//! Document/literal, wrapped: each operation's input is an element named after the method
//! whose children are its parameters in the prototype's order with the prototype's names and
//! types (`Long` → `xs:long`, `int` → `xs:int`, `String` → `xs:string`), unqualified; the
//! output is `<method>Response` with one `return` string, the return document as text (its
//! own schema is the spec's return XSD named in [`Operation::return_schema`]). This is the
//! shape our client sends and the simulator answers, so a client generated from the WSDL
//! (zeep, JAX-WS, node-soap) and ours speak the same messages.

use quick_xml::escape::escape;

use super::paths;
use super::soap::{ENVELOPE_NS, Method};

/// One of the three services of §3-3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `upDownLoad`: upload, download, download ack, query previous upload.
    UpDownLoad,
    /// `queryBeianStatus`.
    QueryBeianStatus,
    /// `verifyBamm`.
    VerifyBamm,
}

/// XML Schema types of the prototypes' parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// `Long`.
    Long,
    /// `int`.
    Int,
    /// `String`.
    String,
}

impl ParamType {
    pub fn xsd(self) -> &'static str {
        match self {
            ParamType::Long => "xs:long",
            ParamType::Int => "xs:int",
            ParamType::String => "xs:string",
        }
    }
}

/// A method as its prototype in §3-3 states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    pub method: Method,
    pub params: &'static [(&'static str, ParamType)],
}

/// A prototype's parameters: the four of authentication (`ispId`, `userName`, `randVal`,
/// `pwdHash`) that every method starts with, then the listed ones.
macro_rules! params {
    ($($name:literal: $ty:ident),* $(,)?) => {
        &[
            ("ispId", ParamType::Long),
            ("userName", ParamType::String),
            ("randVal", ParamType::String),
            ("pwdHash", ParamType::String),
            $(($name, ParamType::$ty)),*
        ]
    };
}

impl Operation {
    /// The prototype of `method`.
    pub fn of(method: Method) -> Operation {
        let params: &'static [(&'static str, ParamType)] = match method {
            Method::Upload => params![
                "beianInfo": String,
                "beianInfoHash": String,
                "dataSequence": Long,
                "encryptAlgorithm": Int,
                "hashAlgorithm": Int,
                "compressionFormat": Int,
            ],
            Method::Download | Method::QueryPreviousUpload => params!["hashAlgorithm": Int],
            Method::DownloadAck => params!["hashAlgorithm": Int, "fileName": String],
            Method::QueryBeianStatus => params![
                "hashAlgorithm": Int,
                "queryConditionType": Int,
                "queryCondition": String,
            ],
            Method::VerifyBamm => params!["hashAlgorithm": Int, "baxh": String, "bamm": String],
        };
        Operation { method, params }
    }

    /// The spec's schema of the return document carried in `return` (`isp_verifybamm` has
    /// none in the reference; its return is described in §3-3-6-5 only).
    pub fn return_schema(self) -> Option<&'static str> {
        match self.method {
            Method::Upload => Some("企业上报数据方法调用返回数据格式.xsd"),
            Method::Download => Some("企业下载数据方法调用返回数据格式.xsd"),
            Method::DownloadAck => Some("企业数据下载确认方法调用返回数据格式.xsd"),
            Method::QueryPreviousUpload => Some("企业最近上载数据查询方法调用返回数据格式.xsd"),
            Method::QueryBeianStatus => Some("是否备案查询方法调用返回数据格式.xsd"),
            Method::VerifyBamm => None,
        }
    }
}

impl Service {
    pub const ALL: [Service; 3] = [
        Service::UpDownLoad,
        Service::QueryBeianStatus,
        Service::VerifyBamm,
    ];

    /// The service at `path` (a trailing `/` ignored).
    pub fn at(path: &str) -> Option<Service> {
        let path = path.trim_end_matches('/');
        Service::ALL.into_iter().find(|s| s.path() == path)
    }

    pub fn path(self) -> &'static str {
        match self {
            Service::UpDownLoad => paths::UP_DOWN_LOAD,
            Service::QueryBeianStatus => paths::QUERY_BEIAN_STATUS,
            Service::VerifyBamm => paths::VERIFY_BAMM,
        }
    }

    /// The WSDL service name (the last path segment, as the paths name them).
    pub fn name(self) -> &'static str {
        match self {
            Service::UpDownLoad => "upDownLoad",
            Service::QueryBeianStatus => "queryBeianStatus",
            Service::VerifyBamm => "verifyBamm",
        }
    }

    /// The methods served here.
    pub fn methods(self) -> Vec<Method> {
        Method::ALL
            .into_iter()
            .filter(|m| m.path() == self.path())
            .collect()
    }
}

/// The WSDL of `service` in `namespace`, its `soap:address` at `base_url` (`http://host[:port]`,
/// without the service path) followed by the service's path.
pub fn document(service: Service, namespace: &str, base_url: &str) -> String {
    let ns = escape(namespace);
    let name = service.name();
    let operations: Vec<Operation> = service.methods().into_iter().map(Operation::of).collect();
    let mut out = String::with_capacity(8 * 1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<wsdl:definitions name=\"{name}\" targetNamespace=\"{ns}\" xmlns:tns=\"{ns}\" \
         xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" \
         xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\" \
         xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n"
    ));
    out.push_str(&format!(
        "  <wsdl:documentation>MIIT enterprise interface V3.0 (ICP/IP/domain filing), service \
         {name}, SOAP 1.1 ({ENVELOPE_NS}). Every method returns its return document as the \
         string value of the element return.</wsdl:documentation>\n"
    ));
    // Types: one wrapper element per request and per response.
    out.push_str(&format!(
        "  <wsdl:types>\n    <xs:schema targetNamespace=\"{ns}\" elementFormDefault=\"unqualified\">\n"
    ));
    for op in &operations {
        out.push_str(&wrapper_elements(op));
    }
    out.push_str("    </xs:schema>\n  </wsdl:types>\n");
    out.push_str(&each(&operations, |m| {
        format!(
            "  <wsdl:message name=\"{m}Request\">\n    <wsdl:part name=\"parameters\" element=\"tns:{m}\"/>\n  </wsdl:message>\n  <wsdl:message name=\"{m}Response\">\n    <wsdl:part name=\"parameters\" element=\"tns:{m}Response\"/>\n  </wsdl:message>\n"
        )
    }));
    out.push_str(&format!("  <wsdl:portType name=\"{name}PortType\">\n"));
    out.push_str(&each(&operations, |m| {
        format!(
            "    <wsdl:operation name=\"{m}\">\n      <wsdl:input message=\"tns:{m}Request\"/>\n      <wsdl:output message=\"tns:{m}Response\"/>\n    </wsdl:operation>\n"
        )
    }));
    out.push_str("  </wsdl:portType>\n");
    out.push_str(&format!(
        "  <wsdl:binding name=\"{name}SoapBinding\" type=\"tns:{name}PortType\">\n    <soap:binding style=\"document\" transport=\"http://schemas.xmlsoap.org/soap/http\"/>\n"
    ));
    out.push_str(&each(&operations, |m| {
        format!(
            "    <wsdl:operation name=\"{m}\">\n      <soap:operation soapAction=\"\" style=\"document\"/>\n      <wsdl:input><soap:body use=\"literal\"/></wsdl:input>\n      <wsdl:output><soap:body use=\"literal\"/></wsdl:output>\n    </wsdl:operation>\n"
        )
    }));
    out.push_str("  </wsdl:binding>\n");
    let location = escape(format!(
        "{}{}",
        base_url.trim_end_matches('/'),
        service.path()
    ));
    out.push_str(&format!(
        "  <wsdl:service name=\"{name}\">\n    <wsdl:port name=\"{name}Port\" binding=\"tns:{name}SoapBinding\">\n      <soap:address location=\"{location}\"/>\n    </wsdl:port>\n  </wsdl:service>\n</wsdl:definitions>\n"
    ));
    out
}

/// `part(method name)` for each operation, concatenated.
fn each(operations: &[Operation], part: impl Fn(&str) -> String) -> String {
    operations.iter().map(|op| part(op.method.name())).collect()
}

/// The request wrapper `<method>` (the parameters in order) and the response wrapper
/// `<method>Response` (one `return` string).
fn wrapper_elements(op: &Operation) -> String {
    let m = op.method.name();
    let params: String = op
        .params
        .iter()
        .map(|(param, ty)| {
            format!(
                "            <xs:element name=\"{param}\" type=\"{}\"/>\n",
                ty.xsd()
            )
        })
        .collect();
    let doc = op.return_schema().map_or_else(
        || "the return document of §3-3-6-5".to_owned(),
        |xsd| format!("a return document per {xsd}"),
    );
    format!(
        "      <xs:element name=\"{m}\">\n        <xs:complexType>\n          <xs:sequence>\n{params}          </xs:sequence>\n        </xs:complexType>\n      </xs:element>\n      <xs:element name=\"{m}Response\">\n        <xs:complexType>\n          <xs:sequence>\n            <xs:element name=\"return\" type=\"xs:string\">\n              <xs:annotation><xs:documentation>{doc}</xs:documentation></xs:annotation>\n            </xs:element>\n          </xs:sequence>\n        </xs:complexType>\n      </xs:element>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v3::soap::NAMESPACE;

    #[test]
    fn every_method_is_described_once_at_its_path() {
        let mut seen = Vec::new();
        for service in Service::ALL {
            assert_eq!(Service::at(service.path()), Some(service));
            assert_eq!(Service::at(&format!("{}/", service.path())), Some(service));
            let doc = document(service, NAMESPACE, "http://h:1");
            for method in service.methods() {
                assert!(doc.contains(&format!("<wsdl:operation name=\"{}\">", method.name())));
                seen.push(method);
            }
            assert!(doc.contains(&format!(
                "<soap:address location=\"http://h:1{}\"/>",
                service.path()
            )));
            assert!(doc.contains(&format!("targetNamespace=\"{NAMESPACE}\"")));
        }
        seen.sort_by_key(|m| m.name());
        let mut all = Method::ALL.to_vec();
        all.sort_by_key(|m| m.name());
        assert_eq!(seen, all);
        assert_eq!(Service::at("/ISPWebService/other"), None);
    }

    #[test]
    fn prototypes_match_the_spec_parameter_counts() {
        // §3-3-x-4: "本方法共使用N个参数".
        let counts = [
            (Method::Upload, 10),
            (Method::Download, 5),
            (Method::DownloadAck, 6),
            (Method::QueryPreviousUpload, 5),
            (Method::QueryBeianStatus, 7),
            (Method::VerifyBamm, 7),
        ];
        for (method, n) in counts {
            let op = Operation::of(method);
            assert_eq!(op.params.len(), n, "{}", method.name());
            assert_eq!(op.params[0], ("ispId", ParamType::Long));
        }
        let upload = Operation::of(Method::Upload);
        assert_eq!(upload.params[6], ("dataSequence", ParamType::Long));
    }

    #[test]
    fn the_address_is_escaped() {
        let doc = document(Service::VerifyBamm, "urn:a&b", "http://a&b");
        assert!(doc.contains("targetNamespace=\"urn:a&amp;b\""));
        assert!(doc.contains("location=\"http://a&amp;b/BeianStatusWebService/verifyBamm\""));
    }
}
