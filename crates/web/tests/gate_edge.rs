#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The edge gate (先备案后接入), end to end on each backend: the gate process
//! (`beian gate serve`'s [`GateServer`]) loads the accessed domains, answers every spelling of
//! a host, follows an access approval and a 取消接入 (promised within a second; measured by
//! `bench-gate`, here only bounded so a busy machine is no failure), and a second gate on the
//! same database follows them within two; and real Debian nginx in front of a small upstream
//! with `auth_request` to the gate proxies a filed host, shows the 未备案 page for an unfiled
//! one, and refuses the filed one within 2 s of its 取消接入 (skipped without nginx, unless
//! `CI=true`); and Debian caddy with on-demand TLS asking the gate (internal CA, loopback)
//! and `forward_auth` to it: same decisions.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::HeaderMap;
use axum::routing::get;
use beian_store::Tx;
use beian_store::accesses::{AccessStatus, NewAccess};
use beian_store::accounts::{NewAccount, Role};
use beian_store::sponsors::{Person, SponsorData, WebsiteData};
use beian_store::testing::{TestStore, each_backend, in_ci};
use beian_web::gate::GateServer;
use reqwest::StatusCode;
use serde_json::json;

fn url_of(t: &TestStore) -> String {
    t.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            t.data_dir().join(beian_store::db::SQLITE_FILE).display()
        )
    })
}

fn person() -> Person {
    Person {
        name: "张三".into(),
        certificate_type: "resident_id".into(),
        certificate_number: "110101198806152345".into(),
        mobile: "13787654321".into(),
        email: "zhang@example.cn".into(),
    }
}

/// An account, its sponsor and a website on `domain`; returns (sponsor, website).
async fn website(tx: &mut Tx, username: &str, domain: &str) -> (String, String) {
    let account = tx
        .insert_account(
            "system",
            &NewAccount {
                username,
                password_hash: "$argon2id$v=19$fake",
                email: "zhang@example.cn",
                mobile: Some("13912345678"),
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
    let sponsor = tx
        .insert_sponsor(
            "system",
            &SponsorData {
                account_id: Some(account),
                province: "33".into(),
                nature: "individual".into(),
                certificate_type: "resident_id".into(),
                certificate_number: format!(
                    "3301061990{:08}",
                    username.bytes().map(u32::from).sum::<u32>()
                ),
                name: "张三".into(),
                address: "浙江省杭州市西湖区文三路1号".into(),
                responsible: person(),
            },
        )
        .await
        .unwrap();
    let website = tx
        .insert_website(
            "system",
            &WebsiteData {
                sponsor_id: sponsor.clone(),
                name: "张三的博客".into(),
                domain: domain.into(),
                home_url: format!("https://www.{domain}/"),
                service_content: "blog".into(),
                details: json!({"languages": ["zh-CN"]}),
                responsible: person(),
            },
        )
        .await
        .unwrap();
    (sponsor, website)
}

/// Files and accesses `domain` (as the bureau's approval does); returns the access id.
async fn access(t: &TestStore, username: &str, domain: &str) -> String {
    let mut tx = t.store.begin().await.unwrap();
    let (sponsor, website) = website(&mut tx, username, domain).await;
    let id = tx
        .insert_access(
            "system",
            &NewAccess {
                website_id: &website,
                sponsor_id: &sponsor,
                order_id: None,
                service_number: None,
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

/// 取消接入 as committed by the workflow: active → cancelling.
async fn cancel(t: &TestStore, access: &str) -> Instant {
    let mut tx = t.store.begin().await.unwrap();
    tx.set_access_status(
        "account:x",
        access,
        AccessStatus::Active,
        AccessStatus::Cancelling,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Instant::now()
}

async fn start_gate(t: &TestStore) -> SocketAddr {
    let server = GateServer::build(&url_of(t), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = server.addr().unwrap();
    tokio::spawn(server.run());
    addr
}

async fn status(req: reqwest::RequestBuilder) -> StatusCode {
    req.send().await.unwrap().status()
}

/// How long, in real time, a change may take before the gate is called stuck. The tests never
/// fail on speed: the promised latencies (1 s on the same instance, 2 s on another) are
/// measured by `bench-gate` (docs/edge.md); here a change only has to arrive.
const STUCK: Duration = Duration::from_secs(60);

/// Polls until `check` gives `want` (at most [`STUCK`]); returns how long it took, and says
/// so on stderr when that was beyond `target`, the latency promised for this change.
async fn within<F, Fut>(target: Duration, want: StatusCode, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StatusCode>,
{
    let start = Instant::now();
    loop {
        let got = check().await;
        if got == want {
            let took = start.elapsed();
            if took > target {
                eprintln!("slow machine? {want} after {took:?} (promised {target:?})");
            }
            return took;
        }
        assert!(
            start.elapsed() < STUCK,
            "still {got} after {STUCK:?}, wanted {want}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn gate_answers_every_spelling_and_follows_changes() {
    each_backend(async |t| {
        let filed = access(t, "alice", "filed-site.com.cn").await;
        access(t, "bob", "例子.中国").await;
        let gate = start_gate(t).await;
        let http = reqwest::Client::new();
        let ask = |q: &str| http.get(format!("http://{gate}/gate{q}"));

        for q in [
            "?host=filed-site.com.cn",
            "?host=WWW.Filed-Site.com.cn:8443",
            "?host=shop.www.filed-site.com.cn.",
            "?domain=filed-site.com.cn",
            "?host=%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD",
            "?host=www.xn--fsqu00a.xn--fiqs8s",
        ] {
            assert_eq!(status(ask(q)).await, StatusCode::OK, "{q}");
        }
        let headers = [
            ("X-Original-Host", "www.filed-site.com.cn"),
            ("X-Forwarded-Host", "filed-site.com.cn:443"),
        ];
        for (name, value) in headers {
            assert_eq!(
                status(ask("").header(name, value)).await,
                StatusCode::OK,
                "{name}"
            );
        }
        for q in [
            "?host=unfiled.com.cn",
            "?host=com.cn",
            "?host=127.0.0.1",
            "?host=[::1]:443",
            "?host=",
            "",
            "?host=filed-site.com",
            "?host=notfiled-site.com.cn",
            // A query naming the host twice is malformed: it asks about no host.
            "?host=filed-site.com.cn&host=filed-site.com.cn",
            "?host=&domain=filed-site.com.cn",
        ] {
            let res = ask(q).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{q}");
            let page = res.text().await.unwrap();
            assert!(
                page.contains("未备案") && page.contains("not filed"),
                "{page}"
            );
            assert!(
                !page.contains("gate_domains") && !page.contains("sqlx"),
                "{page}"
            );
        }
        // Only /gate and /healthz are mounted.
        let health = http
            .get(format!("http://{gate}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(health.status(), StatusCode::OK);
        assert!(health.text().await.unwrap().contains("2 domains"));
        assert_eq!(
            status(http.get(format!("http://{gate}/api/v1/orders"))).await,
            StatusCode::NOT_FOUND
        );

        // A second gate on the same database, started before the changes.
        let other = start_gate(t).await;

        // An approval: served within a second here, within two on the other gate.
        access(t, "carol", "new-site.cn").await;
        let q = "?host=www.new-site.cn";
        within(Duration::from_secs(1), StatusCode::OK, || status(ask(q))).await;
        within(Duration::from_secs(2), StatusCode::OK, || {
            status(http.get(format!("http://{other}/gate{q}")))
        })
        .await;

        // 取消接入: refused within a second here, within two on the other gate.
        cancel(t, &filed).await;
        let q = "?host=filed-site.com.cn";
        within(Duration::from_secs(1), StatusCode::FORBIDDEN, || {
            status(ask(q))
        })
        .await;
        within(Duration::from_secs(2), StatusCode::FORBIDDEN, || {
            status(http.get(format!("http://{other}/gate{q}")))
        })
        .await;
        // A fresh gate loads the current state.
        let fresh = start_gate(t).await;
        let res = http
            .get(format!("http://{fresh}/healthz"))
            .send()
            .await
            .unwrap();
        assert!(res.text().await.unwrap().contains("2 domains"));
        assert_eq!(
            status(http.get(format!("http://{fresh}/gate?host=filed-site.com.cn"))).await,
            StatusCode::FORBIDDEN
        );
    })
    .await;
}

/// The nginx binary: on `PATH` or Debian's `/usr/sbin/nginx`.
fn nginx() -> Option<String> {
    ["/usr/sbin/nginx", "nginx"].into_iter().find_map(|c| {
        Command::new(c)
            .arg("-v")
            .stderr(Stdio::null())
            .status()
            .ok()
            .filter(|s| s.success())
            .map(|_| c.to_string())
    })
}

struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `deploy/nginx/beian-gate.conf` as shipped, with the test's three addresses put in, inside
/// a main configuration with a private prefix.
fn nginx_conf(dir: &Path, port: u16, gate: SocketAddr, upstream: SocketAddr) -> String {
    let mut site = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/nginx/beian-gate.conf"
    ))
    .unwrap();
    for (from, to) in [
        ("server 127.0.0.1:8090;", format!("server {gate};")),
        ("server 127.0.0.1:8081;", format!("server {upstream};")),
        ("listen 80;", format!("listen 127.0.0.1:{port};")),
    ] {
        assert_eq!(site.matches(from).count(), 1, "{from} in the shipped file");
        site = site.replace(from, &to);
    }
    let d = dir.display();
    format!(
        r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{site}
}}
"#
    )
}

#[tokio::test]
async fn nginx_auth_request_serves_only_filed_hosts() {
    let Some(nginx) = nginx() else {
        assert!(!in_ci(), "nginx is missing (apt-get install nginx)");
        eprintln!("SKIP nginx_auth_request_serves_only_filed_hosts: nginx not installed");
        return;
    };
    each_backend(async |t| {
        let filed = access(t, "alice", "filed-site.com.cn").await;
        let gate = start_gate(t).await;
        let upstream_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let upstream = upstream_listener.local_addr().unwrap();
        let app = Router::new().fallback(get(|headers: HeaderMap| async move {
            let host = headers
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("")
                .to_owned();
            format!("upstream page for {host}")
        }));
        tokio::spawn(async move { axum::serve(upstream_listener, app).await });

        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, nginx_conf(dir.path(), port, gate, upstream)).unwrap();
        let _nginx = Nginx(
            Command::new(&nginx)
                .arg("-p")
                .arg(dir.path())
                .arg("-c")
                .arg(&conf)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let http = reqwest::Client::new();
        let get = |host: &str| {
            http.get(format!("http://127.0.0.1:{port}/index.html"))
                .header("Host", host)
        };
        // nginx is up once it answers at all (bounded).
        let start = Instant::now();
        while get("filed-site.com.cn").send().await.is_err() {
            let log = std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default();
            assert!(start.elapsed() < STUCK, "nginx did not start: {log}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let res = get("www.filed-site.com.cn").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.text().await.unwrap(),
            "upstream page for www.filed-site.com.cn"
        );

        let res = get("unfiled-site.com.cn").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let page = res.text().await.unwrap();
        assert!(
            page.contains("未备案") && page.contains("not filed"),
            "{page}"
        );
        assert!(!page.contains("upstream page"));

        cancel(t, &filed).await;
        within(Duration::from_secs(2), StatusCode::FORBIDDEN, || {
            status(get("www.filed-site.com.cn"))
        })
        .await;
        let page = get("filed-site.com.cn")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("未备案"), "{page}");
    })
    .await;
}

/// The Caddy binary: on `PATH` (Debian `caddy`).
fn caddy() -> Option<String> {
    Command::new("caddy")
        .arg("version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()
        .filter(|s| s.success())
        .map(|_| "caddy".to_string())
}

/// The configuration of docs/edge.md with test ports, Caddy's internal CA (no ACME, no
/// network) and no admin endpoint.
fn caddyfile(http: u16, https: u16, gate: SocketAddr) -> String {
    format!(
        "{{\n\tadmin off\n\tskip_install_trust\n\thttp_port {http}\n\thttps_port {https}\n\
         \ton_demand_tls {{\n\t\task http://{gate}/gate\n\t}}\n}}\n\
         https:// {{\n\tbind 127.0.0.1\n\ttls internal {{\n\t\ton_demand\n\t}}\n\
         \tforward_auth {gate} {{\n\t\turi /gate\n\t}}\n\
         \trespond \"upstream page for {{host}}\"\n}}\n"
    )
}

#[tokio::test]
async fn caddy_on_demand_tls_asks_the_gate() {
    let Some(caddy) = caddy() else {
        assert!(!in_ci(), "caddy is missing (apt-get install caddy)");
        eprintln!("SKIP caddy_on_demand_tls_asks_the_gate: caddy not installed");
        return;
    };
    each_backend(async |t| {
        let filed = access(t, "alice", "filed-site.com.cn").await;
        let gate = start_gate(t).await;
        let dir = tempfile::tempdir().unwrap();
        let (http_port, https_port) = (free_port(), free_port());
        let conf = dir.path().join("Caddyfile");
        std::fs::write(&conf, caddyfile(http_port, https_port, gate)).unwrap();
        let _caddy = Nginx(
            Command::new(&caddy)
                .args(["run", "--adapter", "caddyfile", "--config"])
                .arg(&conf)
                .env("HOME", dir.path())
                .env("XDG_DATA_HOME", dir.path().join("data"))
                .env("XDG_CONFIG_HOME", dir.path().join("config"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let at: SocketAddr = format!("127.0.0.1:{https_port}").parse().unwrap();
        let hosts = [
            "www.filed-site.com.cn",
            "unfiled-site.com.cn",
            "shop.filed-site.com.cn",
        ];
        let mut builder = reqwest::Client::builder().danger_accept_invalid_certs(true);
        for h in hosts {
            builder = builder.resolve(h, at);
        }
        let http = builder.build().unwrap();
        let get = |host: &str| http.get(format!("https://{host}:{https_port}/"));
        // Caddy is up once the port takes connections (bounded).
        let start = Instant::now();
        while std::net::TcpStream::connect(at).is_err() {
            assert!(start.elapsed() < STUCK, "caddy did not start");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // A filed host: the gate says yes to the certificate and to the request.
        let res = get("www.filed-site.com.cn").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(
            res.text().await.unwrap(),
            "upstream page for www.filed-site.com.cn"
        );
        // An unfiled host: no certificate, so the handshake itself fails.
        assert!(get("unfiled-site.com.cn").send().await.is_err());

        // 取消接入: the host that has a certificate is refused per request by forward_auth
        // (the 未备案 page), and a new name below it gets no certificate.
        cancel(t, &filed).await;
        within(Duration::from_secs(2), StatusCode::FORBIDDEN, || {
            status(get("www.filed-site.com.cn"))
        })
        .await;
        let page = get("www.filed-site.com.cn").send().await.unwrap();
        assert!(page.text().await.unwrap().contains("未备案"));
        assert!(get("shop.filed-site.com.cn").send().await.is_err());
    })
    .await;
}
