//! Side-by-side controller benchmark: slb-ccm and, when `GO_CCM_BIN` names a built reference
//! CCM, the reference, each as its own process on the same workload with a fresh
//! kube-apiserver (testkit) and a fresh local CLB (in this process, over signed HTTP), with
//! and without the local CLB's flow control (`rate_limits: documented`, Alibaba's published
//! CLB quotas per account and action: writes 90 per 60 s, reads 3,000 per 60 s).
//!
//! Per run: M nodes exist, the controller starts, and N Services (Cluster policy) are
//! created meanwhile, 32 requests in flight (the API server allocates their NodePorts from
//! 20000-32767, so 5,000 fit); measured are the seconds from the controller's start until a
//! watch on the namespace has seen every Service with an IP, the calls the local CLB answered by action (its
//! own `/metrics`, so both controllers are counted the same way; `Local*` admin calls
//! excluded), the calls of S seconds of steady state, of one node joining, and of a restart
//! (SIGKILL, start again, nothing to change), and the controller process's peak RSS and CPU
//! seconds (from /proc, before the restart), and the reconciles until convergence with their
//! p50/p99 duration from each controller's own histogram (slb-ccm's
//! `slb_controller_reconcile_duration_seconds`, the reference's controller-runtime
//! `controller_runtime_reconcile_time_seconds{controller=~".*service.*"}`). Prints one table.
//!
//! Environment: `SLB_CCM_BIN` (the slb-ccm binary, required), `GO_CCM_BIN` (optional),
//! `SLB_BENCH_SERVICES` (200), `SLB_BENCH_NODES` (20), `SLB_BENCH_STEADY_SECS` (30),
//! `SLB_BENCH_TIMEOUT_SECS` (900, per convergence), `SLB_BENCH_PROFILES` (`none,realistic`),
//! `GO_CCM_KUBE_QPS` (1000: the reference's `--kube-api-qps`/`--kube-api-burst`).
//! Run: `./scripts/bench-controller.sh --side-by-side`.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "side_by_side/run.rs"]
mod run;
#[path = "side_by_side/workload.rs"]
mod workload;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

fn env_num(name: &str, default: u64) -> u64 {
    env_or(name, &default.to_string())
        .parse()
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let workload = run::Workload {
        services: env_num("SLB_BENCH_SERVICES", 200) as usize,
        nodes: env_num("SLB_BENCH_NODES", 20) as usize,
        steady_secs: env_num("SLB_BENCH_STEADY_SECS", 30),
        timeout_secs: env_num("SLB_BENCH_TIMEOUT_SECS", 900),
    };
    let mut contenders = vec![run::Contender::SlbCcm(
        std::env::var("SLB_CCM_BIN")
            .expect("SLB_CCM_BIN: the slb-ccm binary")
            .into(),
    )];
    match std::env::var("GO_CCM_BIN") {
        Ok(bin) if !bin.is_empty() => contenders.push(run::Contender::Reference {
            bin: bin.into(),
            kube_qps: env_num("GO_CCM_KUBE_QPS", 1000),
        }),
        _ => println!("GO_CCM_BIN not set: measuring slb-ccm only"),
    }
    let profiles = env_or("SLB_BENCH_PROFILES", "none,realistic");
    println!(
        "side-by-side: {} Services (Cluster policy) over {} nodes, steady state {} s",
        workload.services, workload.nodes, workload.steady_secs
    );
    let mut columns = Vec::new();
    for profile in profiles.split(',').map(run::Profile::parse) {
        for contender in &contenders {
            let title = format!("{} / {}", contender.name(), profile.name());
            eprintln!("== {title}");
            let figures = run::measure(contender, profile, &workload).await;
            columns.push((title, figures));
            // Each finished column is printed at once, so a long run keeps what it measured.
            eprintln!("-- so far:");
            print_table(&columns);
        }
    }
    println!("\n== all runs:");
    print_table(&columns);
}

fn print_table(columns: &[(String, run::Figures)]) {
    let actions: std::collections::BTreeSet<&String> = columns
        .iter()
        .flat_map(|(_, f)| f.converge.keys())
        .collect();
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let row = |name: &str, f: &dyn Fn(&run::Figures) -> String| {
        (name.to_owned(), columns.iter().map(|(_, x)| f(x)).collect())
    };
    rows.push(row("seconds until every Service has an IP", &|f| {
        f.seconds
            .map_or("did not converge".into(), |s| format!("{s:.1}"))
    }));
    rows.push(row("calls to converge (answered)", &|f| {
        f.converge.values().sum::<u64>().to_string()
    }));
    rows.push(row("  of which Throttling.User", &|f| {
        f.throttled.to_string()
    }));
    for action in actions {
        rows.push(row(&format!("  {action}"), &|f: &run::Figures| {
            f.converge.get(action).copied().unwrap_or(0).to_string()
        }));
    }
    rows.push(row("reconciles until converged", &|f| {
        f.reconciles.map_or("-".into(), |q| q.count.to_string())
    }));
    rows.push(row("  reconcile p50 / p99 (s, bucket bound)", &|f| {
        f.reconciles
            .map_or("-".into(), |q| format!("≤ {} / ≤ {}", q.p50, q.p99))
    }));
    rows.push(row("calls in steady state", &|f| f.steady.to_string()));
    rows.push(row("calls for one node joining", &|f| f.join.to_string()));
    rows.push(row("calls of a restart", &|f| f.restart.to_string()));
    rows.push(row("peak RSS of the controller (MiB)", &|f| {
        format!("{:.0}", f.rss_mib)
    }));
    rows.push(row("CPU seconds of the controller", &|f| {
        format!("{:.2}", f.cpu_secs)
    }));
    let header: Vec<&str> = columns.iter().map(|(t, _)| t.as_str()).collect();
    println!("\n| figure | {} |", header.join(" | "));
    println!("|---|{}", "---|".repeat(header.len()));
    for (name, cells) in rows {
        println!("| {name} | {} |", cells.join(" | "));
    }
}
