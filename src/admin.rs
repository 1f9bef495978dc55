//! `beian admin user add USER --role {applicant|reviewer|admin} [--email E]`: creates an
//! account with a role in the same store `serve` uses (`--data-dir`, `--database-url`) and
//! prints its one-time password (shown once; only its argon2id hash is kept).

use std::process::ExitCode;

use beian_core::i18n::Locale;
use beian_platform::admin::{AdminError, add_user};
use beian_store::accounts::Role;
use beian_store::{Store, StoreConfig};

use crate::DataArgs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create an account with a role; prints its one-time password.
    Add {
        /// 3 to 32 characters of `a-z 0-9 _ . -`.
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// The account's email address.
        #[arg(long)]
        email: Option<String>,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// The roles an admin may give.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum RoleArg {
    Applicant,
    Reviewer,
    Admin,
}

impl RoleArg {
    fn role(self) -> Role {
        match self {
            RoleArg::Applicant => Role::Applicant,
            RoleArg::Reviewer => Role::Reviewer,
            RoleArg::Admin => Role::Admin,
        }
    }
}

pub fn run(command: Command) -> ExitCode {
    let Command::User {
        command:
            UserCommand::Add {
                username,
                role,
                email,
                data,
            },
    } = command;
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let mut config = StoreConfig::embedded(&data.data_dir);
        config.database_url = data.database_url.clone();
        // The key as every command takes it (`--data-key-file`, `--data-key-command`), else the
        // store's default; a key other than the one the data key is wrapped under is refused.
        config.data_key = match data.data_key() {
            Ok(k) => k,
            Err(e) => {
                eprintln!("{e}");
                return ExitCode::FAILURE;
            }
        };
        let store = match Store::open(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cannot open the database: {e}");
                return ExitCode::FAILURE;
            }
        };
        let outcome = add_user(
            &store,
            "cli:admin",
            &username,
            role.role(),
            email.as_deref(),
        )
        .await;
        store.close().await;
        match outcome {
            Ok(added) => {
                let texts = beian_platform::message::messages();
                let added_args = [
                    ("username", added.username.clone()),
                    ("role", added.role.as_str().to_owned()),
                    ("id", added.id.clone()),
                ];
                let password_args = [("password", added.password.clone())];
                for locale in [Locale::ZhCn, Locale::En] {
                    println!(
                        "{}",
                        texts.render(locale, "cli.admin.user_added", &added_args)
                    );
                    println!(
                        "{}",
                        texts.render(locale, "cli.admin.one_time_password", &password_args)
                    );
                }
                ExitCode::SUCCESS
            }
            Err(AdminError::Invalid(fields)) => {
                for f in fields {
                    eprintln!(
                        "{}: {} / {}",
                        f.path,
                        f.message.render(Locale::ZhCn),
                        f.message.render(Locale::En)
                    );
                }
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("cannot create the account: {e}");
                ExitCode::FAILURE
            }
        }
    })
}
