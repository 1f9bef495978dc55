//! `beian demo`: fills a fresh data dir with a demo provider — accounts of each role with
//! one-time passwords, two running server instances with their service numbers, a storefront
//! subscription — and a seeded national registry (the simulator's fixture sponsors, whose
//! filing password is printed, plus synthetic sponsors), then prints the logins and, per seed
//! flow, what to type ([`crate::demo_guide`]).
//! Refuses a data dir that already has the demo's accounts.

use std::net::SocketAddr;
use std::process::ExitCode;

use beian_store::Store;
use beian_store::accounts::{NewAccount, Role};
use beian_store::products::NewInstance;
use beian_web::settings::{Settings, SimulatorSettings};
use beian_web::startup::Application;
use rand::Rng;

use crate::DataArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataArgs,
    /// Synthetic sponsors to add to the simulator's registry (beside its fixture).
    #[arg(long, default_value_t = 1000)]
    registry_sponsors: u64,
}

/// The demo's accounts.
const DEMO_USERS: [(&str, Role); 4] = [
    ("admin", Role::Admin),
    ("reviewer", Role::Reviewer),
    ("customer", Role::Applicant),
    // The simulator's operator: the bureau's console and the /sim controls in demo mode.
    ("bureau", Role::BureauOfficer),
];

/// One demo login.
struct Login {
    username: &'static str,
    role: Role,
    password: String,
}

pub fn run(args: Args) -> ExitCode {
    crate::init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(fill(&args)) {
        Ok(logins) => {
            println!("demo data in {}", args.data.data_dir.display());
            println!(
                "logins (one-time passwords, shown once; each is changed at the first login):"
            );
            for l in &logins {
                println!("  {:<10} {:<9} {}", l.username, l.role.as_str(), l.password);
            }
            println!(
                "registry: the fixture sponsors' filing password is {}",
                beian_regulator::fixture::PASSWORD
            );
            print_tryouts();
            for line in crate::demo_guide::lines("customer") {
                println!("{line}");
            }
            println!(
                "start it: beian serve --data-dir {} --simulated-clock (demo mode: the simulator's /sim controls, behind the operator token it prints or the bureau login), then open the portal URL it prints",
                args.data.data_dir.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("beian demo: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn fill(args: &Args) -> Result<Vec<Login>, String> {
    let listen: SocketAddr = ([127, 0, 0, 1], 0).into();
    let mut settings = Settings::embedded(&args.data.data_dir, listen);
    settings.database_url = args.data.database_url.clone();
    settings.simulator = Some(SimulatorSettings::default());
    let app = Application::build(settings)
        .await
        .map_err(|e| format!("cannot open the data dir: {e}"))?;
    let store = app.state().store.clone();
    for username in DEMO_USERS.map(|(u, _)| u) {
        if store
            .account_by_username(username)
            .await
            .map_err(|e| e.to_string())?
            .is_some()
        {
            return Err(format!(
                "the data dir already has the account {username}; demo fills a fresh one only"
            ));
        }
    }
    let logins = accounts(&store).await?;
    products(&store).await?;
    if let Some(regulator) = app.state().regulator.clone() {
        beian_regulator::fixture::load(&regulator)
            .await
            .map_err(|e| format!("registry fixture: {e}"))?;
        beian_regulator::seed::seed(
            regulator.pool(),
            regulator.crypto(),
            args.registry_sponsors,
            |_| {},
        )
        .await
        .map_err(|e| format!("registry seed: {e}"))?;
    }
    Ok(logins)
}

/// What a newcomer types into the portal to try each seed flow.
fn print_tryouts() {
    use beian_regulator::fixture::{PASSWORD, SPONSORS};
    println!("try it in the portal (log in as customer):");
    println!("  service numbers (产品验证): DEMO-1-01 … DEMO-1-05, DEMO-2-01 … DEMO-2-05");
    println!(
        "  storefront (旺铺/企业官网): customer has an active subscription; 顶级域名 at /storefront/domains"
    );
    let (number, cert, name, sites) = SPONSORS[2];
    if let Some((domain, _)) = sites.last() {
        println!(
            "  新增接入 (a domain filed elsewhere): domain {domain}, province 11 (北京), enterprise, \
             credit code {cert}, name {name} ({number}), filing password {PASSWORD}"
        );
    }
    let shanghai = beian_core::credit_code::CreditCode::from_parts("9131010100000042")
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default();
    println!(
        "  首次备案 in Shanghai (上海管局 app 核验): any new domain, province 31 (上海), enterprise, \
         credit code {shanghai}, any name"
    );
    println!(
        "  首次备案 elsewhere (幕布 photo): any new domain, province 33 (浙江) and a valid credit code"
    );
}

fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

async fn accounts(store: &Store) -> Result<Vec<Login>, String> {
    let mut logins = Vec::new();
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    for (username, role) in DEMO_USERS {
        let password = one_time_password();
        let hash = beian_platform::accounts::hash_password(&password)
            .map_err(|_| "cannot hash a password".to_owned())?;
        let id = tx
            .insert_account(
                "demo",
                &NewAccount {
                    username,
                    password_hash: &hash,
                    email: &format!("{username}@demo.example.cn"),
                    mobile: Some("13800138000"),
                    role,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        // One-time passwords: changed at the first login.
        tx.require_password_change(&id)
            .await
            .map_err(|e| e.to_string())?;
        if role == Role::Applicant {
            let year_ms = 365 * 86_400_000;
            tx.insert_storefront_subscription(
                "demo",
                &id,
                "active",
                store.now().timestamp_millis() + year_ms,
            )
            .await
            .map_err(|e| e.to_string())?;
        }
        logins.push(Login {
            username,
            role,
            password,
        });
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(logins)
}

/// Two running servers with a public address and a year's term, five service numbers each.
async fn products(store: &Store) -> Result<(), String> {
    let now = store.now().timestamp_millis();
    let mut tx = store.begin().await.map_err(|e| e.to_string())?;
    for (i, ip) in ["203.0.113.10", "203.0.113.11"].into_iter().enumerate() {
        let instance = tx
            .insert_instance(
                "demo",
                &NewInstance {
                    account_id: None,
                    product: "ecs",
                    public_ip: Some(ip),
                    term_start: now,
                    term_end: now + 365 * 86_400_000,
                },
            )
            .await
            .map_err(|e| e.to_string())?;
        for n in 1..=5 {
            tx.insert_service_number("demo", &instance, &format!("DEMO-{}-{n:02}", i + 1))
                .await
                .map_err(|e| e.to_string())?;
        }
    }
    tx.commit().await.map_err(|e| e.to_string())
}
