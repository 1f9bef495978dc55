//! The baseline of the gate's bench: a bare axum hello-world on the same runtime settings as
//! `beian gate serve` (tokio multi-thread, default workers), answering every path with 200.
//! `bench-hello ADDR` prints `listening on http://ADDR` and serves until killed.

use std::net::SocketAddr;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let addr: SocketAddr = match std::env::args().nth(1).unwrap_or_default().parse() {
        Ok(a) => a,
        Err(_) => {
            eprintln!("usage: bench-hello 127.0.0.1:PORT");
            return ExitCode::FAILURE;
        }
    };
    let app = axum::Router::new().fallback(|| async { "hello" });
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("cannot listen on {addr}: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on http://{addr}");
    match axum::serve(listener, app).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
