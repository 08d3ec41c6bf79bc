//! The `slb-ccm` binary: parses the command line and dispatches. Each command lives in a
//! library crate; this file only sets up the process (logging, runtime, signals).
//!
//! Commands: `demo`, `plan`, `apply` (see `ops`), `get`, `doctor`, `controller` (the library
//! call `slb_controller::run::run`) and `local serve`. Without a command it prints the help.

mod doctor;
mod get;
mod ops;
mod proxy;

use clap::{CommandFactory, Parser, Subcommand};
use proxy::ProxyDataPlane;
use std::process::ExitCode;
use std::sync::Arc;

const MAIN_EXAMPLES: &str = "\
Examples:
  slb-ccm demo                                   # the whole path on this machine, no cluster
  slb-ccm plan -f examples/                      # what a CLB for these manifests would take
  slb-ccm apply -f examples/ --state clb.db      # apply them to a local CLB state file
  slb-ccm local serve --state clb.db --access-key-id ID --access-key-secret SECRET";

const DEMO_EXAMPLES: &str = "\
Examples:
  slb-ccm demo                                   # built-in examples/, 600 connections per VIP
  slb-ccm demo --connections 3000 --tolerance 2  # a longer run, a tighter check
  slb-ccm demo -f my-manifests/ --node-ips 127.0.5.1,127.0.5.2,127.0.5.3

Linux routes all of 127.0.0.0/8 to the loopback interface; on macOS add the node addresses
first (sudo ifconfig lo0 alias 127.0.0.41, .42, .43) or pass --node-ips.";

const PLAN_EXAMPLES: &str = "\
Examples:
  slb-ccm plan -f examples/                      # against an empty in-memory local CLB
  slb-ccm plan -f service.yaml -o json           # for scripts and CI
  slb-ccm plan -f examples/ --state clb.db       # against a local CLB state file
  kubectl get svc,nodes,endpointslices -A -o yaml > cluster.yaml && slb-ccm plan -f cluster.yaml

With no --state or --access-key-id, plan previews against an empty in-memory local CLB, so
every CLB is created. Nothing is ever changed. The exit code is 1 when a Service does not
validate; every problem is listed with its fix. A hand-written Service without metadata.uid is
planned with a placeholder uid derived from its namespace/name (the output names it).";

const APPLY_EXAMPLES: &str = "\
Examples:
  slb-ccm apply -f examples/ --state clb.db      # a local CLB state file (created if missing)
  slb-ccm local serve --state clb.db --access-key-id ID --access-key-secret SECRET
                                                 # ...then serve it: its VIPs carry traffic
  slb-ccm apply -f examples/ --endpoint http://127.0.0.1:9700 --register-nodes \\
      --access-key-id ID --access-key-secret SECRET   # a running `slb-ccm local serve`

A second apply with the same manifests changes nothing (it only describes). Against a running
server, its ECS inventory must list the nodes (e.g. i-local-node-a at the node's InternalIP):
add --register-nodes to put the manifests' Nodes there first (LocalPutInstances, a local CLB
only; never sent to Alibaba Cloud).";

/// Cloud controller for Kubernetes LoadBalancer Services on Alibaba Cloud CLB or the local CLB.
#[derive(Debug, Parser)]
#[command(name = "slb-ccm", version, about, after_help = MAIN_EXAMPLES)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the local CLB and data plane in this process, apply examples/ and show the traffic
    /// split beside the weights. No cluster or cloud account needed.
    #[command(after_help = DEMO_EXAMPLES)]
    Demo(ops::demo::DemoArgs),
    /// Preview the CLB calls for Services in manifest files (read-only): validation errors
    /// with their fixes, then the planned calls per Service.
    #[command(after_help = PLAN_EXAMPLES)]
    Plan(ops::plan_apply::PlanArgs),
    /// Apply Services in manifest files to a local CLB state file or an OpenAPI endpoint,
    /// without a cluster; prints the calls made and the resulting CLB.
    #[command(after_help = APPLY_EXAMPLES)]
    Apply(ops::plan_apply::PlanArgs),
    /// Show every LoadBalancer Service with its IP, address type, CLB id, listeners and the
    /// last sync result (the FAQ's kubectl | jq query, built in).
    #[command(after_help = GET_EXAMPLES)]
    Get(get::GetArgs),
    /// Check the cluster (and with --cloud its cloud) for the FAQ's problems, each with its
    /// remedy; exits 1 when something is found.
    #[command(after_help = DOCTOR_EXAMPLES)]
    Doctor(doctor::DoctorArgs),
    /// Run the Service controller: keep every LoadBalancer Service's CLB as its spec and
    /// annotations say, on Alibaba Cloud or a running local CLB.
    #[command(after_help = CONTROLLER_EXAMPLES)]
    Controller(slb_controller::run::ControllerArgs),
    /// The local CLB: an Alibaba-compatible OpenAPI server with durable state.
    #[command(after_help = LOCAL_EXAMPLES)]
    Local {
        #[command(subcommand)]
        command: LocalCommand,
    },
}

const GET_EXAMPLES: &str = "\
Examples:
  slb-ccm get                          # every LoadBalancer Service in the cluster
  slb-ccm get -n shop web -o wide      # one Service, with policy, finalizer and the last message
  slb-ccm get -o json | jq '.[] | select(.lastSync == \"SyncLoadBalancerFailed\")'";

const DOCTOR_EXAMPLES: &str = "\
Examples:
  slb-ccm doctor                                   # cluster checks: Pending, hairpin, port ranges
  slb-ccm doctor -n shop --json
  slb-ccm doctor --cloud alibaba --cluster-id c-xxx --cloud-config cc.json   # + drift, refusals, quota
  slb-ccm doctor --cloud local --cluster-id c-demo --access-key-id ID --access-key-secret SECRET";

const CONTROLLER_EXAMPLES: &str = "\
Examples:
  # against a local CLB (slb-ccm local serve --access-key-id demo --access-key-secret s3cret ...)
  slb-ccm controller --kubeconfig ~/.kube/config --cloud local --cluster-id c-demo \\
      --local-endpoint 127.0.0.1:9700 --access-key-id demo --access-key-secret s3cret
  # in a cluster, taking over the Go CCM's lease (see deploy/)
  slb-ccm controller --cloud alibaba --cluster-id c-xxx --region cn-hangzhou --vpc-id vpc-xxx \\
      --cloud-config /etc/kubernetes/cloud-config --leader-elect --leader-elect-name ccm
  # preview only: the plan becomes DryRun events, nothing changes
  slb-ccm controller --cloud alibaba --cluster-id c-xxx --cloud-config cc.json --dry-run";

const LOCAL_EXAMPLES: &str = "\
Examples:
  slb-ccm local serve --state clb.db --access-key-id ID --access-key-secret SECRET
  slb-ccm local serve --state :memory: --listen 127.0.0.1:0 --vip-pool 127.0.7.0/24 \\
      --access-key-id ID --access-key-secret SECRET --config local.yaml";

#[derive(Debug, Subcommand)]
enum LocalCommand {
    /// Serve the signed CLB/ECS OpenAPI on --listen, and forward traffic on every running
    /// listener's VIP, until SIGTERM or Ctrl-C.
    #[command(after_help = LOCAL_EXAMPLES)]
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

/// `controller`: the Service controller until SIGTERM or Ctrl-C.
async fn run_controller(args: slb_controller::run::ControllerArgs) -> anyhow::Result<()> {
    let stop = tokio_util::sync::CancellationToken::new();
    let trigger = stop.clone();
    tokio::spawn(async move {
        shutdown_signal().await;
        trigger.cancel();
    });
    slb_controller::run::run(&args, stop).await?;
    Ok(())
}

/// `local serve`: the OpenAPI server feeding a real data plane, which stops with it.
async fn serve_local(args: slb_local::ServeArgs) -> anyhow::Result<()> {
    // The data plane's series, exported with the API's on --metrics-addr.
    let mut registry = prometheus_client::registry::Registry::default();
    // The proxy leaves room for every API connection the server may hold, on top of its own
    // reserve (an invalid config file is reported by `run_with_registry` below).
    let api_connections = args
        .load_config()
        .map_or(slb_local::server::listen::MAX_CONNECTIONS, |c| {
            c.api.max_connections
        });
    let options = slb_dataplane::Options {
        fd_reserve: slb_dataplane::fds::DEFAULT_RESERVE + api_connections as u64,
        ..slb_dataplane::Options::default()
    };
    let proxy = ProxyDataPlane::new(slb_dataplane::DataPlane::spawn_with_options(
        &mut registry,
        options,
    ));
    let served = slb_local::serve::run_with_registry(
        args,
        Arc::new(proxy.clone()),
        registry,
        shutdown_signal(),
    )
    .await;
    proxy.handle().shutdown().await;
    Ok(served?)
}

/// A closed stdout (`slb-ccm plan -f x | head`) ends the process quietly with the shell's
/// SIGPIPE status, as Unix tools do, instead of a panic report from `println!`.
fn exit_quietly_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    exit_quietly_on_broken_pipe();
    match run(Args::parse()) {
        Ok(code) => code,
        Err(err) => {
            // `{:#}`: the whole cause chain on one line, without a backtrace dump.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<ExitCode> {
    let Some(command) = args.command else {
        Args::command().print_help()?;
        println!();
        return Ok(ExitCode::SUCCESS);
    };
    // The operator commands print their own output; their logs only on request (RUST_LOG).
    let default_level = match command {
        Command::Local { .. } | Command::Controller(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let code = match command {
        Command::Demo(demo) => runtime.block_on(ops::demo::run(&demo))?,
        Command::Plan(plan) => runtime.block_on(ops::plan_apply::run(&plan, false))?,
        Command::Apply(apply) => runtime.block_on(ops::plan_apply::run(&apply, true))?,
        Command::Doctor(args) => {
            if runtime.block_on(doctor::run(&args))? {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Command::Get(args) => {
            runtime.block_on(get::run(&args))?;
            ExitCode::SUCCESS
        }
        Command::Controller(args) => {
            runtime.block_on(run_controller(args))?;
            ExitCode::SUCCESS
        }
        Command::Local {
            command: LocalCommand::Serve(serve),
        } => {
            runtime.block_on(serve_local(serve))?;
            ExitCode::SUCCESS
        }
    };
    Ok(code)
}
