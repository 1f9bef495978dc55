//! Access prefill (issue 17, 5): once the filing password is verified, the registry's record
//! of the filing (the password check's `<Baxx>` extension) fills what the order's forms still
//! lack — the sponsor's address and responsible person, and the website's name, home URL,
//! service content and responsible person — without overwriting what the customer typed.
//! What the registry does not keep (the emergency mobile, the office phone, …) stays for the
//! customer: [`incomplete_fields`] names every field a later step will ask for.

use beian_miit::v3::returns::{FiledPerson, FilingRecord};

use beian_core::kind::FilingKind;

use super::error::FieldErrors;
use super::forms::{PersonForm, validate_app, validate_sponsor, validate_website};
use super::view::Forms;

fn fill(slot: &mut String, value: &str) {
    if slot.trim().is_empty() && !value.trim().is_empty() {
        value.trim().clone_into(slot);
    }
}

fn fill_person(form: &mut PersonForm, filed: &FiledPerson) {
    fill(&mut form.name, &filed.name);
    fill(&mut form.certificate_type, &filed.certificate_type);
    fill(&mut form.certificate_number, &filed.certificate_number);
    fill(&mut form.mobile, &filed.mobile);
    fill(&mut form.email, &filed.email);
}

/// Fills the empty fields of `forms` from the registry's `record`; whether anything changed.
pub fn apply_record(forms: &mut Forms, record: &FilingRecord) -> bool {
    let before = forms.clone();
    fill(&mut forms.sponsor.address, &record.sponsor.address);
    fill_person(&mut forms.sponsor.responsible, &record.sponsor.responsible);
    let domain = forms.website.domain.trim().to_lowercase();
    if let Some(site) = record
        .websites
        .iter()
        .find(|w| w.domain.trim().to_lowercase() == domain)
    {
        fill(&mut forms.website.name, &site.name);
        fill(&mut forms.website.home_url, &site.home_url);
        fill(&mut forms.website.service_content, &site.service_content);
        fill_person(&mut forms.website.responsible, &site.responsible);
    }
    *forms != before
}

/// The form fields (API paths) that submission and the verification form will still ask
/// for: empty or invalid now.
pub fn incomplete_fields(kind: FilingKind, forms: &Forms) -> Vec<String> {
    validate_forms(kind, forms).into_keys().collect()
}

/// The forms' errors: both forms, none for 注销 (nothing is filed; the forms show what ends).
pub fn validate_forms(kind: FilingKind, forms: &Forms) -> FieldErrors {
    match kind {
        FilingKind::CancelSponsor | FilingKind::CancelWebsite => FieldErrors::new(),
        _ => {
            let mut errors = validate_sponsor(&forms.sponsor);
            match &forms.app {
                Some(app) => errors.append(&mut validate_app(app)),
                None => errors.append(&mut validate_website(&forms.website)),
            }
            errors
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use beian_miit::v3::returns::{FiledSponsor, FiledWebsite};

    fn record() -> FilingRecord {
        let person = |name: &str, mobile: &str| FiledPerson {
            name: name.into(),
            certificate_type: "resident_id".into(),
            certificate_number: "11010519491231002X".into(),
            mobile: mobile.into(),
            email: "w@example.cn".into(),
        };
        FilingRecord {
            sponsor: FiledSponsor {
                name: "杭州示例有限公司".into(),
                address: "杭州市西湖区文三路1号".into(),
                responsible: person("张伟", "13900000000"),
            },
            websites: vec![FiledWebsite {
                name: "示例官网".into(),
                domain: "example.cn".into(),
                home_url: "http://www.example.cn/".into(),
                service_content: "综合门户".into(),
                responsible: person("李娜", "13700000000"),
            }],
        }
    }

    #[test]
    fn empty_fields_are_filled_and_typed_ones_kept() {
        let mut forms = Forms::default();
        forms.website.domain = "Example.cn".into();
        forms.sponsor.responsible.mobile = "13812345678".into();
        assert!(apply_record(&mut forms, &record()));
        assert_eq!(forms.sponsor.address, "杭州市西湖区文三路1号");
        assert_eq!(forms.sponsor.responsible.name, "张伟");
        assert_eq!(
            forms.sponsor.responsible.mobile, "13812345678",
            "typed, kept"
        );
        assert_eq!(forms.website.name, "示例官网");
        assert_eq!(forms.website.responsible.name, "李娜");
        assert_eq!(
            forms.website.responsible.certificate_number,
            "11010519491231002X"
        );
        assert!(
            !apply_record(&mut forms, &record()),
            "a second time changes nothing"
        );
    }

    #[test]
    fn what_the_registry_lacks_is_named() {
        let mut forms = Forms::default();
        forms.website.domain = "example.cn".into();
        apply_record(&mut forms, &record());
        let missing = incomplete_fields(FilingKind::NewAccess, &forms);
        for field in [
            "sponsor.responsible.emergency_mobile",
            "website.responsible.emergency_mobile",
        ] {
            assert!(missing.iter().any(|m| m == field), "{field}: {missing:?}");
        }
        assert!(
            !missing.iter().any(|m| m == "sponsor.address"),
            "{missing:?}"
        );
    }
}
