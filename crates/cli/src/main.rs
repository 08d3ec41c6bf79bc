//! The `slb-ccm` binary: parses the command line and dispatches. Each command lives in a
//! library crate; this file only sets up the process (logging, runtime, signals).
//!
//! Commands arrive with the issues that build them (controller, local, plan, apply, get,
//! doctor, demo); so far: `local serve`. Without a command it prints the help.

mod proxy;

use clap::{CommandFactory, Parser, Subcommand};
use proxy::ProxyDataPlane;
use std::sync::Arc;

/// Cloud controller for Kubernetes LoadBalancer Services on Alibaba Cloud CLB or the local CLB.
#[derive(Debug, Parser)]
#[command(name = "slb-ccm", version, about)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The local CLB: an Alibaba-compatible OpenAPI server with durable state.
    Local {
        #[command(subcommand)]
        command: LocalCommand,
    },
}

#[derive(Debug, Subcommand)]
enum LocalCommand {
    /// Serve the signed CLB/ECS OpenAPI on --listen, and forward traffic on every running
    /// listener's VIP, until SIGTERM or Ctrl-C.
    Serve(slb_local::ServeArgs),
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// `local serve`: the OpenAPI server feeding a real data plane, which stops with it.
async fn serve_local(args: slb_local::ServeArgs) -> anyhow::Result<()> {
    // The proxy's metrics registry; the local CLB has no metrics endpoint yet.
    let mut registry = prometheus_client::registry::Registry::default();
    let proxy = ProxyDataPlane::new(slb_dataplane::DataPlane::spawn(&mut registry));
    let served = slb_local::run_with(args, Arc::new(proxy.clone()), shutdown_signal()).await;
    proxy.handle().shutdown().await;
    Ok(served?)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let Some(command) = args.command else {
        Args::command().print_help()?;
        println!();
        return Ok(());
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match command {
        Command::Local {
            command: LocalCommand::Serve(serve),
        } => runtime.block_on(serve_local(serve))?,
    }
    Ok(())
}
