//! The abuse suite of issue 15: each finding of the outside probe, reproduced as a request an
//! attacker would send, and the refusal the fix gives. Before the fixes every one of these
//! tests failed (the finding's number is in each test's doc).

use beian_store::accounts::Role;
use beian_store::testing;
use beian_web::settings::{Settings, SimulatorSettings};
use beian_web::startup::Application;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::harness::{Session, TestApp};

/// The `/sim` controls an attacker tried (finding 1).
const SIM_CONTROLS: [(&str, &str); 5] = [
    ("GET", "/sim/bureau/reviews"),
    ("GET", "/sim/phone-inbox?mobile=13800138000"),
    ("POST", "/sim/bureau/reviews/1/decide"),
    ("POST", "/sim/clock/advance"),
    ("GET", "/sim/bureau/console"),
];

fn method(m: &str) -> Method {
    Method::from_bytes(m.as_bytes()).unwrap()
}

/// Finding 1: a plain `beian serve` (simulator in-process, not in demo mode) and one against
/// an external bureau mount none of the simulator's controls.
#[tokio::test]
async fn sim_controls_are_not_mounted_outside_demo_mode() {
    let http = reqwest::Client::new();
    for external in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::embedded(dir.path(), "127.0.0.1:0".parse().unwrap());
        settings.simulator = Some(SimulatorSettings::default());
        if external {
            settings.simulator = None;
            settings.regulator.base_url = Some("http://127.0.0.1:9".into());
            settings.regulator.user = Some("isp".into());
            settings.regulator.password = Some("secret".into());
        }
        let app = Application::build(settings).await.unwrap();
        let base = format!("http://{}", app.addr());
        tokio::spawn(app.run_until_stopped());
        for (m, path) in SIM_CONTROLS {
            let res = http
                .request(method(m), format!("{base}{path}"))
                .header("X-Simulator-Token", "")
                .json(&json!({"minutes": 66240, "approve": true}))
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status(),
                StatusCode::NOT_FOUND,
                "{m} {path} external={external}"
            );
        }
        // What a real bureau offers the public is still there with the in-process simulator.
        let query = http
            .get(format!("{base}/miit/query?domain=example.com"))
            .send()
            .await
            .unwrap();
        let want = if external { 404 } else { 200 };
        assert_eq!(query.status(), want);
    }
}

/// Finding 1: in demo/test mode the controls answer only the operator token or a
/// bureau officer's session; nobody else reads the reviews or moves the clock.
#[tokio::test]
async fn sim_controls_need_the_simulator_operator() {
    testing::each_backend(async |t| {
        let api = TestApp::new().simulated_clock().admin().start(t).await;
        let alice = api.new_applicant("alice").await;
        let officer = api.new_user("officer", Role::BureauOfficer).await;
        let before = api.clock.now();
        for (m, path) in SIM_CONTROLS {
            let body = json!({"minutes": 66240, "approve": true});
            let anonymous = api.anon(method(m), path).json(&body).send().await.unwrap();
            assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "{m} {path}");
            let error: Value = anonymous.json().await.unwrap();
            assert_eq!(error["error"]["code"], "simulator_operator_required");
            let wrong = api
                .anon(method(m), path)
                .header("X-Simulator-Token", "guess")
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "{m} {path}");
            for who in [&alice, api.admin()] {
                let res = api
                    .anon(method(m), path)
                    .header("cookie", format!("beian_session={}", who.cookie))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{m} {path}");
            }
        }
        assert_eq!(api.clock.now(), before, "the clock was moved");

        // The operator token and a bureau officer get through.
        let res = api
            .sim(Method::GET, "/sim/bureau/reviews")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let as_officer = |m: Method, path: &str| {
            api.anon(m, path)
                .header("cookie", format!("beian_session={}", officer.cookie))
        };
        let res = as_officer(Method::GET, "/sim/bureau/reviews")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        // An officer's browser session does not move the clock from another site.
        let res = as_officer(Method::POST, "/sim/clock/advance")
            .header("Origin", "https://evil.example")
            .json(&json!({"minutes": 60}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(api.clock.now(), before);
        api.advance_over_http(60).await;
        assert!(api.clock.now() > before);
    })
    .await;
}

/// Finding 8: query-string and path rejections are the JSON error body, and they come after
/// the role check (an applicant gets 403, an anonymous caller 401, never a 400).
#[tokio::test]
async fn query_and_path_rejections_are_json_and_come_after_the_role_check() {
    testing::each_backend(async |t| {
        let api = TestApp::new().admin().start(t).await;
        let alice = api.new_applicant("alice").await;
        let cases = [
            ("/admin/accounts?page=abc", 400, "invalid_query"),
            ("/admin/holidays/notayear", 404, "not_found"),
            ("/admin/outbox", 400, "invalid_query"),
            ("/admin/audit?limit=lots", 400, "invalid_query"),
        ];
        for (path, status, code) in cases {
            let (s, body) = api.admin().send(api.admin().req(Method::GET, path)).await;
            assert_eq!(
                (s.as_u16(), body["error"]["code"].as_str()),
                (status, Some(code)),
                "{path}"
            );
            let (s, body) = alice.send(alice.req(Method::GET, path)).await;
            assert_eq!(s, StatusCode::FORBIDDEN, "{path}");
            assert_eq!(body["error"]["code"], "forbidden");
            let res = api
                .anon(Method::GET, &format!("/api/v1{path}"))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthenticated");
        }
        // A wrong method is a JSON error too.
        let (s, body) = alice.send(alice.req(Method::PATCH, "/orders")).await;
        assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error"]["code"], "method_not_allowed");
    })
    .await;
}

/// Finding 5: a logged-in browser's unsafe request from another site, or with a body a
/// cross-site form can send, is refused; API keys are not affected.
#[tokio::test]
async fn cookie_requests_from_another_site_or_not_json_are_refused() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let keys = |s: &Session| s.req(Method::POST, "/api-keys");
        let (status, body) = alice
            .send(
                keys(&alice)
                    .header("Origin", "https://evil.example")
                    .header("Content-Type", "text/plain")
                    .body(r#"{"name":"csrf"}"#),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(body["error"]["code"], "cross_site_request");
        let (status, _) = alice
            .send(
                keys(&alice)
                    .header("Sec-Fetch-Site", "cross-site")
                    .json(&json!({})),
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        for content_type in ["text/plain", "application/x-www-form-urlencoded"] {
            let (status, body) = alice
                .send(
                    keys(&alice)
                        .header("Content-Type", content_type)
                        .body(r#"{"name":"csrf"}"#),
                )
                .await;
            assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{content_type}");
            assert_eq!(body["error"]["code"], "unsupported_media_type");
        }
        let (status, key) = alice
            .send(
                keys(&alice)
                    .header("Origin", api.base.clone())
                    .json(&json!({"name": "mine"})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
        // A key is not a browser's ambient credential: no Origin rule for it.
        let res = api
            .anon(Method::POST, "/api/v1/api-keys")
            .bearer_auth(key["key"].as_str().unwrap())
            .header("Origin", "https://elsewhere.example")
            .json(&json!({"name": "from a script"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
    })
    .await;
}

/// A client whose connections come from `127.0.0.N` (every loopback address reaches the
/// server on 127.0.0.1): another source address.
fn client_from(n: u8) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, n]))
        .build()
        .unwrap()
}

async fn login_from(
    api: &TestApp,
    client: &reqwest::Client,
    username: &str,
    password: &str,
) -> StatusCode {
    client
        .post(format!("{}/api/v1/sessions", api.base))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

/// Finding 2: 100 wrong logins for `admin` from 7 addresses do not lock the admin out from
/// an address that did not fail; admins see the delays and lift one.
#[tokio::test]
async fn a_login_flood_from_elsewhere_does_not_lock_the_owner_out() {
    testing::each_backend(async |t| {
        let api = TestApp::new().simulated_clock().admin().start(t).await;
        let attackers: Vec<reqwest::Client> = (2..=8).map(client_from).collect();
        let mut refused = 0;
        for i in 0..100 {
            let status = login_from(&api, &attackers[i % 7], "admin", "wrong password 1").await;
            assert!(
                status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
                "{status}"
            );
            refused += usize::from(status == StatusCode::TOO_MANY_REQUESTS);
        }
        assert!(refused > 0, "the flood was never delayed");
        // An attacker's address is delayed even with the right password …
        assert_eq!(
            login_from(
                &api,
                &attackers[0],
                "admin",
                crate::harness::session::PASSWORD
            )
            .await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // … but the owner, from an address that did not fail, logs in.
        let owner = client_from(1);
        assert_eq!(
            login_from(&api, &owner, "admin", crate::harness::session::PASSWORD).await,
            StatusCode::OK
        );

        // The admin sees the delays and lifts one.
        let (status, list) = api
            .admin()
            .send(
                api.admin()
                    .req(Method::GET, "/admin/login-throttles?contains=admin"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let subject = "pair:127.0.0.2 admin";
        let entry = list["throttles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["subject"] == subject)
            .unwrap_or_else(|| panic!("{list}"))
            .clone();
        assert!(entry["failures"].as_i64().unwrap() >= 5, "{entry}");
        assert!(entry["delayed_until"].is_i64(), "{entry}");
        let alice = api.new_applicant("alice").await;
        let clear = format!("/admin/login-throttles?subject={}", urlencode(subject));
        let (status, _) = alice.send(alice.req(Method::DELETE, &clear)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = api
            .admin()
            .send(api.admin().req(Method::DELETE, &clear))
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = api
            .admin()
            .send(api.admin().req(Method::DELETE, &clear))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Lifted: the right password works from there again.
        assert_eq!(
            login_from(
                &api,
                &attackers[0],
                "admin",
                crate::harness::session::PASSWORD
            )
            .await,
            StatusCode::OK
        );
        let audit = api.store.audit_before(None, 50).await.unwrap();
        assert!(audit.iter().any(|r| r.action == "login_throttle.clear"));
    })
    .await;
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A PNG of `width`×`height` whose header is honest and whose pixel data is a stub: what a
/// decoder learns before decoding is the size (a real 9000×9000 bomb compresses to 236 KB).
fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend_from_slice(&u32::try_from(data.len()).unwrap().to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend_from_slice(data);
        out.extend_from_slice(&typed);
        out.extend_from_slice(&crc32(&typed).to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]); // 8-bit RGB
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Finding 4: a 9000×9000 image (81 megapixels, about 230 MiB decoded) is refused from its
/// header, naming the field and the 40-megapixel limit, before any pixel is decoded.
#[tokio::test]
async fn a_pixel_bomb_is_refused_from_its_header() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = crate::api_materials::draft(&alice, "bomb-example.cn", 41).await;
        let body = crate::api_materials::multipart(
            "sponsor_id_front",
            &png_claiming(9000, 9000),
            "image/png",
        );
        let (status, error) = crate::api_materials::upload(&alice, &id, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        let message = error["error"]["fields"]["file"]
            .as_str()
            .unwrap_or_default();
        assert!(message.contains("40"), "{error}");
        assert!(message.contains("像素"), "{error}");
    })
    .await;
}

/// Finding 4: the SOAP services answer a large envelope with wrong credentials after its
/// first 64 KiB (the rest is never read: this one never comes), and refuse a status query
/// bigger than its small cap.
#[tokio::test]
async fn soap_reads_little_before_the_credentials_are_checked() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let mut envelope = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><soapenv:Envelope \
             xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
             xmlns:ns=\"http://www.miibeian.gov.cn\"><soapenv:Body><ns:isp_upload>\
             <ispId>1</ispId><userName>intruder</userName><randVal>abcdefghijklmnopqrst</randVal>\
             <pwdHash>AAAA</pwdHash><beianInfo>",
        );
        envelope.push_str(&"A".repeat(80 * 1024));
        let mut stream = tokio::net::TcpStream::connect(api.addr).await.unwrap();
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: text/xml; charset=utf-8\r\n\
             Content-Length: {}\r\n\r\n",
            beian_miit::v3::paths::UP_DOWN_LOAD,
            api.addr,
            50 * 1024 * 1024
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(envelope.as_bytes()).await.unwrap();
        // The answer comes though 50 MiB were announced and only ~80 KiB sent.
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        while !String::from_utf8_lossy(&answer).contains("</soapenv:Envelope>") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed without an answer");
            answer.extend_from_slice(&buf[..n]);
        }
        let answer = String::from_utf8_lossy(&answer);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        // 4: wrong user name.
        assert!(
            answer.contains("&lt;msg_code&gt;4&lt;/msg_code&gt;"),
            "{answer}"
        );

        // With the right credentials, a status query is still capped small (256 KiB).
        let stored: Value = serde_json::from_slice(
            &std::fs::read(
                api.data_dir
                    .join(beian_platform::regulator_link::CREDENTIALS_FILE),
            )
            .unwrap(),
        )
        .unwrap();
        let rand = "abcdefghijklmnopqrst";
        let pwd_hash = beian_miit::v3::auth::pwd_hash(stored["password"].as_str().unwrap(), rand);
        let big = format!(
            "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">\
             <soapenv:Body><isp_querybeianstatus><ispId>1</ispId><userName>{}</userName>\
             <randVal>{rand}</randVal><pwdHash>{pwd_hash}</pwdHash><hashAlgorithm>0</hashAlgorithm>\
             <queryConditionType>0</queryConditionType><queryCondition>{}</queryCondition>\
             </isp_querybeianstatus></soapenv:Body></soapenv:Envelope>",
            stored["user"].as_str().unwrap(),
            "x".repeat(300 * 1024)
        );
        let res = api
            .anon(Method::POST, beian_miit::v3::paths::QUERY_BEIAN_STATUS)
            .header("Content-Type", "text/xml; charset=utf-8")
            .body(big)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    })
    .await;
}

/// Finding 6: NUL bytes in a text field, a 100,000-item `languages` list and a domain with
/// a Greek letter among Latin ones are refused, each naming its field.
#[tokio::test]
async fn control_characters_huge_lists_and_mixed_scripts_are_refused() {
    use crate::harness::{check, credit_code, person, website};
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let alice = api.new_applicant("alice").await;
        let body = check("nul-example.cn", &credit_code(51), "杭州己科技有限公司");
        let (status, created) = alice.post("/orders", body.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let id = created["order_id"].as_str().unwrap();
        let mut sponsor = body["sponsor"].clone();
        sponsor["address"] = json!("浙江省杭州市\u{0}西湖区");
        sponsor["responsible"] = person();
        sponsor["responsible"]["name"] = json!("张\u{0}三");
        let (status, error) = alice.put(&format!("/orders/{id}/sponsor"), sponsor).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        let fields = &error["error"]["fields"];
        assert!(fields["address"].is_string(), "{error}");
        assert!(fields["responsible.name"].is_string(), "{error}");

        let mut site = website("nul-example.cn");
        site["languages"] = json!(vec!["zh_cn"; 100_000]);
        let (status, error) = alice
            .put(&format!("/orders/{id}/website"), site.clone())
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(error["error"]["fields"]["languages"].is_string(), "{error}");
        // Below the generic cap, the field's own maximum (the number of languages there are).
        site["languages"] = json!(vec!["zh_cn"; 150]);
        let (status, error) = alice.put(&format!("/orders/{id}/website"), site).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(
            error["error"]["fields"]["website.languages"].is_string(),
            "{error}"
        );

        let greek = check("carοl-shop.cn", &credit_code(52), "杭州庚科技有限公司");
        let (status, error) = alice.post("/filing-checks", greek).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(error.to_string().contains("carοl-shop"), "{error}");
    })
    .await;
}

/// Finding 7: common passwords, with digits added, and passwords built from the username
/// are refused at registration.
#[tokio::test]
async fn common_and_username_passwords_are_refused() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        for password in ["password12", "Password123", "alice2024!x", "ecila-Secret1"] {
            let res = api
                .anon(Method::POST, "/api/v1/accounts")
                .json(&json!({"username": "alice", "password": password,
                              "email": "alice@example.com", "mobile": "13812345678"}))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
            let body: Value = res.json().await.unwrap();
            assert!(
                body["error"]["fields"]["password"].is_string(),
                "{password}: {body}"
            );
        }
    })
    .await;
}

/// Finding 3: a password change ends the account's other sessions, and revokes its API
/// keys when asked.
#[tokio::test]
async fn a_password_change_ends_other_sessions_and_can_revoke_keys() {
    testing::each_backend(async |t| {
        let api = TestApp::new().start(t).await;
        let first = api.new_applicant("alice").await;
        let second = api.login("alice").await;
        let (status, key) = first.post("/api-keys", json!({"name": "ci"})).await;
        assert_eq!(status, StatusCode::CREATED);
        let key = key["key"].as_str().unwrap().to_owned();
        let with_key = || api.anon(Method::GET, "/api/v1/orders").bearer_auth(&key);

        let wrong =
            json!({"current_password": "not it at all 9", "new_password": "a new horse 22"});
        let (status, error) = first.put("/account/password", wrong).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            error["error"]["fields"]["current_password"].is_string(),
            "{error}"
        );
        let change = json!({"current_password": crate::harness::session::PASSWORD,
                            "new_password": "a new horse 22"});
        let (status, done) = first.put("/account/password", change).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["sessions_ended"], 1);
        assert_eq!(done["api_keys_revoked"], 0);
        assert_eq!(first.get("/orders").await.0, StatusCode::OK);
        assert_eq!(second.get("/orders").await.0, StatusCode::UNAUTHORIZED);
        assert_eq!(with_key().send().await.unwrap().status(), StatusCode::OK);

        let change = json!({"current_password": "a new horse 22",
                            "new_password": "a third horse 33", "revoke_api_keys": true});
        let (status, done) = first.put("/account/password", change).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["api_keys_revoked"], 1);
        assert_eq!(
            with_key().send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    })
    .await;
}

/// Finding 3: an admin disables an account, which ends its sessions and revokes its keys.
#[tokio::test]
async fn a_disabled_account_loses_its_sessions_and_keys() {
    testing::each_backend(async |t| {
        let api = TestApp::new().admin().start(t).await;
        let alice = api.new_applicant("alice").await;
        let (_, key) = alice.post("/api-keys", json!({})).await;
        let key = key["key"].as_str().unwrap().to_owned();
        let admin = api.admin();
        let path = format!("/admin/accounts/{}/disabled", alice.account_id);
        let (status, done) = admin.put(&path, json!({"disabled": true})).await;
        assert_eq!(status, StatusCode::OK, "{done}");
        assert_eq!(done["account"]["disabled"], true);
        assert_eq!(
            (
                done["sessions_ended"].as_u64(),
                done["api_keys_revoked"].as_u64()
            ),
            (Some(1), Some(1))
        );
        assert_eq!(alice.get("/orders").await.0, StatusCode::UNAUTHORIZED);
        let res = api
            .anon(Method::GET, "/api/v1/orders")
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // Enabled again: the password logs in, the old key stays revoked.
        let (status, _) = admin.put(&path, json!({"disabled": false})).await;
        assert_eq!(status, StatusCode::OK);
        let again = api.login("alice").await;
        assert_eq!(again.get("/orders").await.0, StatusCode::OK);
        let res = api
            .anon(Method::GET, "/api/v1/orders")
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        // Not one's own account.
        let own = format!("/admin/accounts/{}/disabled", admin.account_id);
        let (status, error) = admin.put(&own, json!({"disabled": true})).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(error["error"]["code"], "own_account");
    })
    .await;
}

/// Finding 3: a one-time password (an admin's new account, `admin user add`, `demo`) must be
/// changed at the first login before anything else.
#[tokio::test]
async fn one_time_passwords_must_be_changed_first() {
    testing::each_backend(async |t| {
        let api = TestApp::new().admin().start(t).await;
        let (status, created) = api
            .admin()
            .post(
                "/admin/accounts",
                json!({"username": "rita", "role": "reviewer"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let password = created["one_time_password"].as_str().unwrap().to_owned();
        let res = api
            .anon(Method::POST, "/api/v1/sessions")
            .json(&json!({"username": "rita", "password": password}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let cookie = res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let session: Value = res.json().await.unwrap();
        assert_eq!(session["must_change_password"], true);
        let as_rita = |m: Method, path: &str| {
            api.anon(m, &format!("/api/v1{path}"))
                .header("cookie", cookie.clone())
        };
        for (m, path) in [(Method::GET, "/review/orders"), (Method::POST, "/api-keys")] {
            let res = as_rita(m, path).json(&json!({})).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{path}");
            let body: Value = res.json().await.unwrap();
            assert_eq!(body["error"]["code"], "password_change_required");
        }
        let res = as_rita(Method::PUT, "/account/password")
            .json(&json!({"current_password": password, "new_password": "a fresh stallion 7"}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let res = as_rita(Method::GET, "/review/orders").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
    })
    .await;
}
