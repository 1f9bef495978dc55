//! The inputs of photo verification and how they are checked: the backdrop request
//! ([`BackdropRequestInput`] → [`ValidBackdropRequest`], every field at once), the tracking
//! number, the Shanghai bureau app code ([`ShanghaiAppCode`]) and the reviewer's reject reason
//! ([`PhotoRejectReason`]); plus [`PhotoRefusal`], the photo step's own refusals. Texts are in
//! `messages/photo.toml`.
//!
//! # The address is in mainland China (seed 1: 地址必须为中国大陆境内地址)
//! `address.province` is one of the 31 [`Province`]s, by GB/T 2260 code (`33`, or a six-digit
//! division code) or by name (`浙江省`, `浙江`, `Zhejiang`). Hong Kong, Macao and Taiwan (codes
//! 81, 82, 71 and their names) are refused with their own message, anything else as unknown.
//!
//! # The Shanghai app code (an assumption, documented)
//! Neither the seeds nor the V3.0 interface define the code the Shanghai bureau's app shows
//! after its face check (上海管局 app 人像核验). We accept what such apps show: 6 to 32 ASCII
//! letters or digits, case-insensitive (kept upper-case), spaces and hyphens dropped. The
//! platform cannot ask the Shanghai bureau whether the code is real (no interface for it); it
//! is kept with the order for the bureau upload, and the bureau judges it.

use beian_core::contact::Mobile;
use beian_core::mask::mask;
use beian_core::province::{PROVINCES, Province};
use serde::{Deserialize, Serialize};

use super::error::{FieldError, FieldErrors};
use crate::workflow::mask_person_name;

/// Longest recipient name.
pub const RECIPIENT_MAX: usize = 30;
/// Longest city or district.
pub const ADDRESS_PART_MAX: usize = 30;
/// Shortest and longest street address.
pub const DETAIL_MIN: usize = 4;
pub const DETAIL_MAX: usize = 120;
/// Longest free text of a reject reason.
pub const REASON_TEXT_MAX: usize = 500;

/// The postal address of a backdrop request, as sent.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct AddressInput {
    /// A mainland province: GB/T 2260 code (`"33"`) or name (`浙江省`).
    pub province: String,
    pub city: String,
    pub district: String,
    /// Street, building, room.
    pub detail: String,
}

/// `POST /orders/{id}/backdrop-requests`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct BackdropRequestInput {
    pub recipient: String,
    pub mobile: String,
    pub address: AddressInput,
}

/// Personal data: only the province shows.
impl std::fmt::Debug for BackdropRequestInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackdropRequestInput")
            .field("recipient", &mask_person_name(&self.recipient))
            .field("mobile", &mask(self.mobile.trim(), 3, 4))
            .field("province", &self.address.province)
            .finish_non_exhaustive()
    }
}

/// A checked backdrop request: what is sealed with it (see [`ValidBackdropRequest::contact`]).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidBackdropRequest {
    pub recipient: String,
    /// The 11 digits.
    pub mobile: String,
    /// The province's GB/T 2260 code.
    pub province: String,
    pub city: String,
    pub district: String,
    pub detail: String,
}

impl std::fmt::Debug for ValidBackdropRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValidBackdropRequest")
            .field("recipient", &mask_person_name(&self.recipient))
            .field("mobile", &mask(&self.mobile, 3, 4))
            .field("province", &self.province)
            .finish_non_exhaustive()
    }
}

/// Hong Kong, Macao and Taiwan: codes and names, refused with their own message.
const OUTSIDE_MAINLAND: &[&str] = &[
    "81",
    "82",
    "71",
    "810000",
    "820000",
    "710000",
    "香港",
    "香港特别行政区",
    "香港特別行政區",
    "澳门",
    "澳門",
    "澳门特别行政区",
    "澳門特別行政區",
    "台湾",
    "臺灣",
    "台灣",
    "台湾省",
    "hong kong",
    "hongkong",
    "hk",
    "macao",
    "macau",
    "mo",
    "taiwan",
    "tw",
];

/// The province an address names, or the message key of why not.
pub fn address_province(value: &str) -> Result<Province, &'static str> {
    let v = value.trim();
    if v.is_empty() {
        return Err("workflow.required");
    }
    let lower = v.to_lowercase();
    if OUTSIDE_MAINLAND.contains(&lower.as_str()) {
        return Err("photo.address.outside_mainland");
    }
    if let Ok(p) = Province::parse(v) {
        return Ok(p);
    }
    PROVINCES
        .iter()
        .position(|p| p.name == v || p.short_name == v || p.name_en.eq_ignore_ascii_case(v))
        .and_then(|i| Province::parse(PROVINCES[i].code).ok())
        .ok_or("photo.address.province_unknown")
}

/// A trimmed text of `min..=max` characters without control characters.
fn text_field(value: &str, min: usize, max: usize) -> Option<String> {
    let v = value.trim();
    let n = v.chars().count();
    (n >= min.max(1) && n <= max && !v.chars().any(char::is_control)).then(|| v.to_owned())
}

fn shape_error(key: &'static str, min: Option<usize>, max: usize) -> FieldError {
    let mut e = FieldError::new(key);
    if let Some(min) = min {
        e.args.push(("min", min.to_string()));
    }
    e.args.push(("max", max.to_string()));
    e
}

impl BackdropRequestInput {
    /// Checks every field, reporting all errors by path (`recipient`, `mobile`,
    /// `address.province`, `address.city`, `address.district`, `address.detail`).
    pub fn validate(&self) -> Result<ValidBackdropRequest, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut required_or = |path: &str, value: &str, e: FieldError| {
            let e = if value.trim().is_empty() {
                FieldError::new("workflow.required")
            } else {
                e
            };
            errors.insert(path.to_owned(), e);
        };
        let recipient = text_field(&self.recipient, 1, RECIPIENT_MAX);
        if recipient.is_none() {
            required_or(
                "recipient",
                &self.recipient,
                shape_error("photo.recipient_shape", None, RECIPIENT_MAX),
            );
        }
        let a = &self.address;
        let city = text_field(&a.city, 1, ADDRESS_PART_MAX);
        if city.is_none() {
            required_or(
                "address.city",
                &a.city,
                shape_error("photo.address.part_shape", None, ADDRESS_PART_MAX),
            );
        }
        let district = text_field(&a.district, 1, ADDRESS_PART_MAX);
        if district.is_none() {
            required_or(
                "address.district",
                &a.district,
                shape_error("photo.address.part_shape", None, ADDRESS_PART_MAX),
            );
        }
        let detail = text_field(&a.detail, DETAIL_MIN, DETAIL_MAX);
        if detail.is_none() {
            required_or(
                "address.detail",
                &a.detail,
                shape_error("photo.address.detail_shape", Some(DETAIL_MIN), DETAIL_MAX),
            );
        }
        let mobile = match Mobile::parse(&self.mobile) {
            Ok(m) => Some(m),
            Err(e) => {
                errors.insert("mobile".into(), FieldError::from_localized(&e));
                None
            }
        };
        let province = match address_province(&a.province) {
            Ok(p) => Some(p),
            Err(key) => {
                errors.insert("address.province".into(), FieldError::new(key));
                None
            }
        };
        match (recipient, mobile, province, city, district, detail) {
            (
                Some(recipient),
                Some(mobile),
                Some(province),
                Some(city),
                Some(district),
                Some(detail),
            ) if errors.is_empty() => Ok(ValidBackdropRequest {
                recipient,
                mobile: mobile.as_str().to_owned(),
                province: province.code().to_owned(),
                city,
                district,
                detail,
            }),
            _ => Err(errors),
        }
    }
}

/// A courier's tracking number: 6 to 40 ASCII letters, digits or hyphens.
pub fn tracking_number(value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new("workflow.required"));
    }
    let ok =
        (6..=40).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(v.to_ascii_uppercase())
    } else {
        Err(FieldError::new("photo.tracking_number_shape"))
    }
}

/// The code the Shanghai bureau's app shows after its face check (see the module doc).
#[derive(Clone, PartialEq, Eq)]
pub struct ShanghaiAppCode(String);

impl std::fmt::Debug for ShanghaiAppCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShanghaiAppCode({})", mask(&self.0, 2, 2))
    }
}

impl ShanghaiAppCode {
    /// Parses a code: spaces and hyphens dropped, upper-cased, 6 to 32 ASCII letters or
    /// digits. The error is the field's message.
    pub fn parse(value: &str) -> Result<ShanghaiAppCode, FieldError> {
        let compact: String = value
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.is_empty() {
            return Err(FieldError::new("workflow.required"));
        }
        if (6..=32).contains(&compact.len()) && compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(ShanghaiAppCode(compact.to_ascii_uppercase()))
        } else {
            Err(FieldError::new("photo.shanghai_code_shape"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a reviewer rejects a photo (the list of seed 1's photo rules, plus free text).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PhotoRejectCode {
    /// 红色或蓝色上衣 (seed 1: 避免身着红色或蓝色上衣进行拍照).
    RedOrBlueTop,
    /// 面部不清晰.
    FaceUnclear,
    /// 未使用幕布.
    NoBackdrop,
    /// 其他 (text required).
    Other,
}

impl PhotoRejectCode {
    pub const ALL: [PhotoRejectCode; 4] = [
        PhotoRejectCode::RedOrBlueTop,
        PhotoRejectCode::FaceUnclear,
        PhotoRejectCode::NoBackdrop,
        PhotoRejectCode::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PhotoRejectCode::RedOrBlueTop => "red_or_blue_top",
            PhotoRejectCode::FaceUnclear => "face_unclear",
            PhotoRejectCode::NoBackdrop => "no_backdrop",
            PhotoRejectCode::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<PhotoRejectCode> {
        PhotoRejectCode::ALL
            .into_iter()
            .find(|c| c.as_str() == s.trim())
    }

    /// The message key of the reason's text.
    pub fn message_key(self) -> &'static str {
        match self {
            PhotoRejectCode::RedOrBlueTop => "photo.reason.red_or_blue_top",
            PhotoRejectCode::FaceUnclear => "photo.reason.face_unclear",
            PhotoRejectCode::NoBackdrop => "photo.reason.no_backdrop",
            PhotoRejectCode::Other => "photo.reason.other",
        }
    }
}

/// `{code, text?}` as sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct RejectReasonInput {
    /// `red_or_blue_top`, `face_unclear`, `no_backdrop` or `other`.
    pub code: String,
    /// Free text; required with `other`.
    pub text: Option<String>,
}

/// A checked reject reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoRejectReason {
    pub code: PhotoRejectCode,
    pub text: Option<String>,
}

impl RejectReasonInput {
    /// Checks the reason; errors by path (`reason.code`, `reason.text`).
    pub fn validate(&self) -> Result<PhotoRejectReason, FieldErrors> {
        let mut errors = FieldErrors::new();
        let code = if self.code.trim().is_empty() {
            errors.insert("reason.code".into(), FieldError::new("workflow.required"));
            None
        } else {
            let parsed = PhotoRejectCode::parse(&self.code);
            if parsed.is_none() {
                errors.insert(
                    "reason.code".into(),
                    FieldError::new("photo.reason_unknown"),
                );
            }
            parsed
        };
        let text = self
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        match &text {
            Some(t) if t.chars().count() > REASON_TEXT_MAX => {
                let mut e = FieldError::new("workflow.too_long");
                e.args.push(("max", REASON_TEXT_MAX.to_string()));
                errors.insert("reason.text".into(), e);
            }
            None if code == Some(PhotoRejectCode::Other) => {
                errors.insert(
                    "reason.text".into(),
                    FieldError::new("photo.reason_text_required"),
                );
            }
            _ => {}
        }
        match code {
            Some(code) if errors.is_empty() => Ok(PhotoRejectReason { code, text }),
            _ => Err(errors),
        }
    }
}

/// The photo step's own refusals (beyond the state machine's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoRefusal {
    /// The order already has a backdrop request not yet shipped. (409)
    BackdropRequestOpen,
    /// The order's flow has no backdrop photo (Shanghai app, storefront, kinds without photo). (409)
    NoBackdropStep,
    /// The order is closed or its photo was approved: no backdrop is needed. (409)
    BackdropNotNeeded,
    /// The backdrop request was shipped already. (409)
    BackdropAlreadyShipped,
    /// The order has no photo waiting for a decision. (409)
    NoPendingPhoto,
}

impl PhotoRefusal {
    pub fn code(self) -> &'static str {
        match self {
            PhotoRefusal::BackdropRequestOpen => "backdrop_request_open",
            PhotoRefusal::NoBackdropStep => "no_backdrop_step",
            PhotoRefusal::BackdropNotNeeded => "backdrop_not_needed",
            PhotoRefusal::BackdropAlreadyShipped => "backdrop_already_shipped",
            PhotoRefusal::NoPendingPhoto => "no_pending_photo",
        }
    }

    pub fn status(self) -> u16 {
        409
    }

    pub fn message_key(self) -> &'static str {
        match self {
            PhotoRefusal::BackdropRequestOpen => "photo.backdrop_request_open",
            PhotoRefusal::NoBackdropStep => "photo.no_backdrop_step",
            PhotoRefusal::BackdropNotNeeded => "photo.backdrop_not_needed",
            PhotoRefusal::BackdropAlreadyShipped => "photo.backdrop_already_shipped",
            PhotoRefusal::NoPendingPhoto => "photo.no_pending_photo",
        }
    }
}

#[cfg(test)]
#[path = "photo_input_tests.rs"]
mod tests;
