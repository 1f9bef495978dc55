//! `beian gate serve`: the edge gate alone (先备案后接入) — a read-only database URL, a listen
//! address; it loads the accessed domains, follows their changes and answers `/gate` and
//! `/healthz` only. Several may follow one PostgreSQL.
//!
//! `beian gate export --format nginx-map|caddy|plain`: the same list as a static file, for
//! edges that read one (see docs/edge.md).

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Instant;

use beian_platform::gate::GateIndex;
use beian_store::gate::GateFeed;
use beian_web::gate::GateServer;

use crate::DataArgs;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Serve `/gate` and `/healthz` for an edge node (needs only read rights on the database).
    Serve {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
    },
    /// Print the accessed domains for an edge that reads a static file.
    Export {
        #[command(flatten)]
        data: DataArgs,
        #[arg(long, value_enum, default_value = "plain")]
        format: Format,
    },
}

/// `--format`.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Entries of an nginx `map` with `hostnames` (`.example.com 1;`: the domain and below).
    NginxMap,
    /// A Caddyfile named matcher `@beian_unfiled` for `import`.
    Caddy,
    /// One registrable domain a line.
    Plain,
}

pub fn run(command: Command) -> ExitCode {
    crate::init_tracing();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run_async(command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("beian gate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn url_of(data: &DataArgs) -> String {
    data.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            data.data_dir.join(beian_store::db::SQLITE_FILE).display()
        )
    })
}

async fn run_async(command: Command) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve { data, listen } => {
            let started = Instant::now();
            let server = GateServer::build(&url_of(&data), listen).await?;
            // One line the bench and operators read: how many, how long, where.
            println!(
                "gate: loaded {} domains in {} ms; listening on http://{}",
                server.index().len(),
                started.elapsed().as_millis(),
                server.addr()?
            );
            server.run().await?;
            Ok(())
        }
        Command::Export { data, format } => {
            let feed = GateFeed::connect(&url_of(&data)).await?;
            let index = GateIndex::load(&feed).await?;
            let names = index.names();
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            write_export(&mut out, format, &names)?;
            out.flush()?;
            Ok(())
        }
    }
}

fn write_export(out: &mut impl Write, format: Format, names: &[String]) -> std::io::Result<()> {
    match format {
        Format::Plain => {
            for n in names {
                writeln!(out, "{n}")?;
            }
        }
        Format::NginxMap => {
            writeln!(
                out,
                "# beian gate export: {} registrable domains accessed here (先备案后接入).\n\
                 # Use: map $host $beian_filed {{ hostnames; default 0; include THIS_FILE; }}",
                names.len()
            )?;
            for n in names {
                writeln!(out, ".{n} 1;")?;
            }
        }
        Format::Caddy => {
            writeln!(
                out,
                "# beian gate export: {} registrable domains accessed here (先备案后接入).\n\
                 # Use inside a site block: import THIS_FILE, then\n\
                 #   respond @beian_unfiled 403",
                names.len()
            )?;
            writeln!(out, "@beian_unfiled {{\n\tnot {{")?;
            for n in names {
                writeln!(out, "\t\thost {n} *.{n}")?;
            }
            writeln!(out, "\t}}\n}}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn export(format: Format) -> String {
        let names = vec![
            "example.cn".to_string(),
            "xn--fsqu00a.xn--fiqs8s".to_string(),
        ];
        let mut out = Vec::new();
        write_export(&mut out, format, &names).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn formats() {
        assert_eq!(
            export(Format::Plain),
            "example.cn\nxn--fsqu00a.xn--fiqs8s\n"
        );
        let map = export(Format::NginxMap);
        assert!(
            map.contains("\n.example.cn 1;\n.xn--fsqu00a.xn--fiqs8s 1;\n"),
            "{map}"
        );
        let caddy = export(Format::Caddy);
        assert!(caddy.contains("host example.cn *.example.cn\n"), "{caddy}");
        assert!(caddy.contains("@beian_unfiled {"), "{caddy}");
    }
}
