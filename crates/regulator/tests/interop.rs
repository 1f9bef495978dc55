//! Interop with clients that are not ours (issue 19), over a real listener: each service
//! answers `GET <path>?wsdl` with a WSDL that `xmllint` reads as well-formed and whose
//! address follows the request's host (or the configured public URL); a request that spells
//! the provider's id `ispID`, in no namespace, is authenticated; our client set to send
//! `ispID` or another namespace is served the same.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod soap_common;

use std::process::Command;
use std::sync::Arc;

use beian_miit::v3::auth::{Credentials, pwd_hash, random_value};
use beian_miit::v3::check::{QueryProbe, WsdlProbe, dry_run};
use beian_miit::v3::client::{HttpRegulatorClient, IspIdSpelling, RegulatorClient};
use beian_miit::v3::codes::{FilingStatus, PasswordCheck, QueryConditionType, ReturnCode};
use beian_miit::v3::personal::Secret;
use beian_miit::v3::returns::MethodReturn;
use beian_miit::v3::soap::{self, NAMESPACE};
use beian_miit::v3::wsdl::Service;
use beian_miit::v3::xml::from_xml_str;
use beian_regulator::fixture::{self, PROVIDER_A};
use beian_regulator::soap::{ServiceOptions, simulator_router_with};
use beian_regulator::{Config, Regulator, SimulatedClock};
use chrono::{TimeZone, Utc};
use soap_common::{client, start};

fn xmllint_available() -> bool {
    let found = Command::new("xmllint").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "xmllint is required when CI=true (apt-get install libxml2-utils)"
        );
        eprintln!("NOTICE: xmllint not found; the WSDL well-formedness check is skipped");
    }
    found
}

fn well_formed(name: &str, text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{name}.wsdl"));
    std::fs::write(&file, text).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn each_service_answers_its_wsdl() {
    let sim = start().await;
    let http = reqwest::Client::new();
    let check = xmllint_available();
    for service in Service::ALL {
        let url = format!("{}{}?wsdl", sim.base, service.path());
        let response = http.get(&url).send().await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(content_type.starts_with("text/xml"), "{content_type}");
        let text = response.text().await.unwrap();
        if check {
            well_formed(service.name(), &text);
        }
        // The address is the host the request named, at the service's path.
        let location = format!("location=\"{}{}\"", sim.base, service.path());
        assert!(text.contains(&location), "{text}");
        assert!(text.contains(&format!("targetNamespace=\"{NAMESPACE}\"")));
        for method in service.methods() {
            assert!(text.contains(&format!("<xs:element name=\"{}\">", method.name())));
        }
        // Another host name for the same server gives another address.
        let text = http
            .get(&url)
            .header("Host", "bureau.example.cn:8081")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            text.contains(&format!(
                "location=\"http://bureau.example.cn:8081{}\"",
                service.path()
            )),
            "{text}"
        );
        // GET without ?wsdl is still refused; POST still serves SOAP.
        let plain = http
            .get(format!("{}{}", sim.base, service.path()))
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), 405);
        assert_eq!(plain.headers()["allow"], "POST");
    }
    let upper = http
        .get(format!("{}/ISPWebService/upDownLoad?WSDL", sim.base))
        .send()
        .await
        .unwrap();
    assert_eq!(upper.status(), 200);
}

#[tokio::test]
async fn the_configured_public_url_is_the_address() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(SimulatedClock::new(
        Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap(),
    ));
    let regulator = Regulator::open(dir.path(), clock, Config::default())
        .await
        .unwrap();
    let options = ServiceOptions {
        public_url: Some("https://bureau.example.cn:8443".to_owned()),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, simulator_router_with(regulator, options)).into_future());
    let text = reqwest::get(format!(
        "http://{addr}/BeianStatusWebService/verifyBamm?wsdl"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    assert!(
        text.contains(
            "<soap:address location=\"https://bureau.example.cn:8443/BeianStatusWebService/verifyBamm\"/>"
        ),
        "{text}"
    );
}

/// A request as a client of another make writes it: `ispID`, the operation element in no
/// namespace, a default-namespace envelope.
fn foreign_request(isp_id_name: &str, password: &str, domain: &str) -> String {
    let rand = random_value();
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
         <Envelope xmlns=\"http://schemas.xmlsoap.org/soap/envelope/\"><Body>\
         <isp_querybeianstatus xmlns=\"\">\
         <{isp_id_name}>{PROVIDER_A}</{isp_id_name}><userName>isp-zj</userName>\
         <randVal>{rand}</randVal><pwdHash>{}</pwdHash><hashAlgorithm>0</hashAlgorithm>\
         <queryConditionType>0</queryConditionType><queryCondition>{domain}</queryCondition>\
         </isp_querybeianstatus></Body></Envelope>",
        pwd_hash(password, &rand)
    )
}

async fn post_query(base: &str, body: String) -> (MethodReturn, String) {
    let text = reqwest::Client::new()
        .post(format!("{base}/BeianStatusWebService/queryBeianStatus"))
        .header("Content-Type", "text/xml; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let inner = soap::parse_response(text.as_bytes()).unwrap();
    (from_xml_str(&inner).unwrap(), text)
}

#[tokio::test]
async fn a_request_spelling_isp_id_upper_case_is_authenticated() {
    let sim = start().await;
    let (ret, envelope) = post_query(
        &sim.base,
        foreign_request("ispID", "isp-zj-secret", "yunqi-example.com"),
    )
    .await;
    assert_eq!(ret.code(), Some(ReturnCode::Success), "{ret:?}");
    let info = ret.status_info.unwrap();
    assert_eq!(info.status, FilingStatus::Filed);
    assert_eq!(info.condition, "yunqi-example.com");
    // The answer is in the bureaus' namespace.
    assert!(
        envelope.contains("xmlns:isp=\"http://www.miibeian.gov.cn\""),
        "{envelope}"
    );
    // The spelling is the only tolerance: a wrong password under ispID is still refused,
    // and so is a request naming the id neither way.
    let (ret, _) = post_query(
        &sim.base,
        foreign_request("ispID", "wrong", "yunqi-example.com"),
    )
    .await;
    assert_eq!(ret.code(), Some(ReturnCode::WrongPassword), "{ret:?}");
    let (ret, _) = post_query(
        &sim.base,
        foreign_request("IspId", "isp-zj-secret", "yunqi-example.com"),
    )
    .await;
    assert_eq!(
        ret.code(),
        Some(ReturnCode::AuthenticationRejected),
        "{ret:?}"
    );
}

#[tokio::test]
async fn our_client_may_spell_isp_id_and_name_the_namespace_per_bureau() {
    let sim = start().await;
    for (spelling, namespace) in [
        (IspIdSpelling::Spec, NAMESPACE),
        (IspIdSpelling::UpperId, NAMESPACE),
        (IspIdSpelling::UpperId, soap::OLD_BEIAN_NAMESPACE),
    ] {
        let c = client(&sim)
            .with_isp_id_spelling(spelling)
            .with_namespace(namespace);
        let ret = c
            .query_beian_status(QueryConditionType::Domain, "yunqi-example.com")
            .await
            .unwrap();
        assert_eq!(
            ret.code(),
            Some(ReturnCode::Success),
            "{spelling:?} {namespace}"
        );
        let ret = c
            .verify_password(fixture::SPONSORS[0].0, fixture::PASSWORD)
            .await
            .unwrap();
        assert_eq!(ret.verify_res, Some(PasswordCheck::Correct));
    }
    assert_eq!(
        IspIdSpelling::from_name("ispID"),
        Some(IspIdSpelling::UpperId)
    );
    assert_eq!(IspIdSpelling::from_name("ispId"), Some(IspIdSpelling::Spec));
    assert_eq!(IspIdSpelling::from_name("ISPID"), None);
}

#[tokio::test]
async fn the_dry_run_reports_what_it_saw() {
    let sim = start().await;
    let report = dry_run(&client(&sim), "yunqi-example.com").await;
    eprintln!("{report}");
    assert!(report.passed(), "{report}");
    assert_eq!(
        report.wsdl,
        WsdlProbe::Read {
            target_namespace: Some(NAMESPACE.to_owned()),
            isp_id_names: vec!["ispId".to_owned()],
            address: Some(format!(
                "{}/BeianStatusWebService/queryBeianStatus",
                sim.base
            )),
        }
    );
    let QueryProbe::Answered { ret, .. } = &report.query else {
        panic!("{report}");
    };
    assert_eq!(
        ret.status_info.as_ref().map(|i| i.status),
        Some(FilingStatus::Filed)
    );
    let text = report.to_string();
    assert!(text.contains("msg_code 0"), "{text}");
    assert!(text.contains("Bazt 0"), "{text}");
    assert!(text.ends_with("result: PASS"), "{text}");

    // A client set to another namespace is told the bureau's; a wrong password fails.
    let mut wrong = client(&sim).with_namespace("urn:elsewhere");
    wrong.credentials.password = Secret::new("nope");
    let report = dry_run(&wrong, "yunqi-example.com").await;
    assert!(!report.passed());
    let text = report.to_string();
    assert!(
        text.contains(&format!("set the bureau's namespace to {NAMESPACE}")),
        "{text}"
    );
    assert!(text.contains("msg_code 5"), "{text}");

    // Nothing listening: the query fails and says why.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut gone = client(&sim);
    gone.base_url = closed;
    let report = dry_run(&gone, "yunqi-example.com").await;
    eprintln!("{report}");
    assert!(!report.passed());
    let QueryProbe::Failed(why) = &report.query else {
        panic!("{report}");
    };
    // The cause is named, not only "error sending request".
    assert!(why.to_lowercase().contains("refused"), "{why}");
    assert!(matches!(report.wsdl, WsdlProbe::Unavailable(_)), "{report}");
}

/// A stand-in bureau that records each request body and answers success.
async fn recording_bureau() -> (String, Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::routing::post;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let app = axum::Router::new().route(
        "/BeianStatusWebService/queryBeianStatus",
        post(move |body: String| {
            let record = record.clone();
            async move {
                record.lock().unwrap().push(body);
                let ret = beian_miit::v3::xml::to_xml_body(&MethodReturn::of(ReturnCode::Success))
                    .unwrap();
                soap::write_response(soap::Method::QueryBeianStatus, &ret)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(axum::serve(listener, app).into_future());
    (format!("http://{addr}"), seen)
}

#[tokio::test]
async fn our_client_writes_the_configured_spelling_and_namespace() {
    let (base, seen) = recording_bureau().await;
    let credentials = Credentials {
        isp_id: PROVIDER_A,
        user_name: "isp-zj".to_owned(),
        password: Secret::new("isp-zj-secret"),
    };
    let default = HttpRegulatorClient::new(&base, credentials, None);
    let ret = default
        .query_beian_status(QueryConditionType::Domain, "a.cn")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::Success));
    let tuned = default
        .clone()
        .with_isp_id_spelling(IspIdSpelling::UpperId)
        .with_namespace("urn:bureau");
    tuned
        .query_beian_status(QueryConditionType::Domain, "a.cn")
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[0].contains(&format!("xmlns:isp=\"{NAMESPACE}\"")),
        "{}",
        seen[0]
    );
    assert!(
        seen[0].contains(&format!("<ispId>{PROVIDER_A}</ispId>")),
        "{}",
        seen[0]
    );
    assert!(!seen[0].contains("ispID"), "{}", seen[0]);
    assert!(seen[1].contains("xmlns:isp=\"urn:bureau\""), "{}", seen[1]);
    assert!(
        seen[1].contains(&format!("<ispID>{PROVIDER_A}</ispID>")),
        "{}",
        seen[1]
    );
    assert!(!seen[1].contains("<ispId>"), "{}", seen[1]);
}

/// beian's extensions of the returns (`<Ztsf>` in the status query, `<Baxx>` after a correct
/// password) go only to a client that asks for them (`X-Beian-Extensions: v1`): a
/// spec-strict client (zeep, a bureau's own tools) gets the spec's returns and nothing else.
#[tokio::test]
async fn the_extensions_go_only_to_a_client_that_asks() {
    let sim = start().await;
    let (number, code, name, _) = fixture::SPONSORS[0];
    for asks in [false, true] {
        let c = client(&sim).with_extensions(asks);
        let ret = c
            .query_beian_status(QueryConditionType::BusinessLicence, code)
            .await
            .unwrap();
        let info = ret.status_info.clone().unwrap();
        assert_eq!(info.status, FilingStatus::Filed, "{ret:?}");
        assert_eq!(
            info.sponsor.as_ref().map(|s| s.name.as_str()),
            asks.then_some(name),
            "asks: {asks}"
        );
        let ret = c.verify_password(number, fixture::PASSWORD).await.unwrap();
        assert_eq!(ret.verify_res, Some(PasswordCheck::Correct));
        assert_eq!(ret.filing.is_some(), asks, "asks: {asks}");
    }
    // On the wire: the plain answer has no extension element at all.
    let plain = client(&sim)
        .query_beian_status(QueryConditionType::BusinessLicence, code)
        .await
        .unwrap();
    let text = beian_miit::v3::xml::to_xml_body(&plain).unwrap();
    assert!(!text.contains("Ztsf"), "{text}");
}
