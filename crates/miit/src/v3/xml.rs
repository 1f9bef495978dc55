//! Writing and reading the V3.0 documents: serde over quick-xml, with the GBK encoding the
//! spec mandates on the wire (§1-2) and a UTF-8 form for SOAP strings and schema checks.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::VERSION;
use super::results::ResultCode;

/// Why a document could not be written or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    #[error("document is not valid {0} text")]
    Encoding(&'static str),
    #[error("document does not match the schema: {0}")]
    Syntax(String),
    #[error("document version is {found:?}, expected {VERSION}")]
    Version { found: String },
    #[error("document could not be written: {0}")]
    Write(String),
}

impl XmlError {
    /// The processing result a bureau reports for a file failing this way.
    pub fn result_code(&self) -> ResultCode {
        match self {
            XmlError::Encoding(_) => ResultCode::IllegalCharacters,
            XmlError::Syntax(_) | XmlError::Write(_) => ResultCode::SchemaInvalid,
            XmlError::Version { .. } => ResultCode::WrongVersion,
        }
    }
}

/// The document without an XML declaration, as a string.
pub fn to_xml_body<T: Serialize>(doc: &T) -> Result<String, XmlError> {
    quick_xml::se::to_string(doc).map_err(|e| XmlError::Write(e.to_string()))
}

/// The document with a `UTF-8` declaration (what the schema test validates).
pub fn to_utf8_document<T: Serialize>(doc: &T) -> Result<String, XmlError> {
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}",
        to_xml_body(doc)?
    ))
}

/// The document as the wire wants it: a `GBK` declaration and GBK bytes. Characters GBK
/// cannot encode become numeric character references, which XML reads back unchanged.
pub fn to_gbk_document<T: Serialize>(doc: &T) -> Result<Vec<u8>, XmlError> {
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"GBK\"?>\n{}",
        to_xml_body(doc)?
    );
    let (bytes, _, _) = encoding_rs::GBK.encode(&text);
    Ok(bytes.into_owned())
}

/// Decodes document bytes using the encoding its declaration names (GBK when it names none
/// or an unknown one; a GB18030 superset reading is used so every GBK byte sequence decodes).
pub fn decode_document(bytes: &[u8]) -> Result<String, XmlError> {
    let head = &bytes[..bytes.len().min(200)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let is_utf8 = head.starts_with("<?xml")
        && head
            .split("?>")
            .next()
            .is_some_and(|decl| decl.contains("utf-8") || decl.contains("utf8"));
    if is_utf8 || bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        let body = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
        return std::str::from_utf8(body)
            .map(str::to_owned)
            .map_err(|_| XmlError::Encoding("UTF-8"));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|c| c.into_owned())
        .ok_or(XmlError::Encoding("GBK"))
}

/// Parses a document from text; unknown elements are ignored.
pub fn from_xml_str<T: DeserializeOwned>(text: &str) -> Result<T, XmlError> {
    quick_xml::de::from_str(text).map_err(|e| XmlError::Syntax(short(&e.to_string())))
}

/// Parses a document from wire bytes (GBK unless declared otherwise).
pub fn from_document_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, XmlError> {
    from_xml_str(&decode_document(bytes)?)
}

/// Checks the `version` attribute of a parsed document.
pub fn check_version(found: &str) -> Result<(), XmlError> {
    if found.trim() == VERSION {
        Ok(())
    } else {
        Err(XmlError::Version {
            found: short(found),
        })
    }
}

/// Keeps error texts short (they may quote document content).
fn short(s: &str) -> String {
    s.chars().take(160).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gbk_round_trip_keeps_chinese_and_unencodable_characters() {
        #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(rename = "T")]
        struct T {
            #[serde(rename = "A")]
            a: String,
        }
        let doc = T {
            a: "浙江省杭州市 & <x> 😀".to_owned(),
        };
        let bytes = to_gbk_document(&doc).unwrap();
        assert!(bytes.starts_with(b"<?xml version=\"1.0\" encoding=\"GBK\"?>"));
        // 浙 in GBK is D5 E3.
        assert!(bytes.windows(2).any(|w| w == [0xD5, 0xE3]));
        assert_eq!(from_document_bytes::<T>(&bytes).unwrap(), doc);
        let utf8 = to_utf8_document(&doc).unwrap();
        assert_eq!(from_document_bytes::<T>(utf8.as_bytes()).unwrap(), doc);
    }

    #[test]
    fn bad_input_maps_to_result_codes() {
        let cases: &[(&[u8], ResultCode)] = &[
            (b"<T><A>x</T>", ResultCode::SchemaInvalid),
            (
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><T>\xff</T>",
                ResultCode::IllegalCharacters,
            ),
        ];
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            #[serde(rename = "A")]
            a: String,
        }
        for (input, want) in cases {
            let err = from_document_bytes::<T>(input).unwrap_err();
            assert_eq!(err.result_code(), *want, "{err}");
        }
        assert_eq!(
            check_version("V.2.1").unwrap_err().result_code(),
            ResultCode::WrongVersion
        );
        assert!(check_version("V.3.0").is_ok());
    }
}
