//! Benchmark of `desired` + `plan` for a Service with 8 ports and 1,000 backend nodes
//! (8,000 group members), in four situations: computing the desired state alone, the first
//! sync (create everything), the steady state (nothing to do), and a churn of 10 nodes.
//! Allocations per run are counted with an instrumented global allocator and printed once
//! per scenario.
#![allow(clippy::unwrap_used)]
// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::alloc::System;
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use k8s_openapi::api::core::v1::{
    Node, NodeCondition, NodeSpec, NodeStatus, Service, ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use slb_model::desired::{ClusterContext, desired};
use slb_model::observed::ObservedLb;
use slb_model::plan::{Action, CreatedIds, Plan, PlanOptions, apply_to, plan};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const PORTS: i32 = 8;
const NODES: usize = 1_000;

fn service() -> Service {
    Service {
        metadata: ObjectMeta {
            name: Some("web".into()),
            namespace: Some("bench".into()),
            uid: Some("0b6c7f2e-5a41-4c1e-9d3e-7f00c0ffee00".into()),
            ..Default::default()
        },
        spec: Some(ServiceSpec {
            type_: Some("LoadBalancer".into()),
            external_traffic_policy: Some("Cluster".into()),
            ports: Some(
                (0..PORTS)
                    .map(|i| ServicePort {
                        name: Some(format!("p{i}")),
                        port: 8000 + i,
                        node_port: Some(30000 + i),
                        protocol: Some("TCP".into()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            ..Default::default()
        }),
        status: None,
    }
}

fn nodes(prefix: &str, range: std::ops::Range<usize>) -> Vec<Node> {
    range
        .map(|i| Node {
            metadata: ObjectMeta {
                name: Some(format!("{prefix}{i}")),
                ..Default::default()
            },
            spec: Some(NodeSpec {
                provider_id: Some(format!("cn-hangzhou.i-{prefix}{i}")),
                ..Default::default()
            }),
            status: Some(NodeStatus {
                conditions: Some(vec![NodeCondition {
                    type_: "Ready".into(),
                    status: "True".into(),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
        })
        .collect()
}

fn context() -> ClusterContext {
    let mut ctx = ClusterContext::new("c-bench", "cn-hangzhou", "vpc-bench");
    ctx.backend_quota = 10_000;
    ctx
}

fn run(
    svc: &Service,
    nodes: &[Node],
    ctx: &ClusterContext,
    observed: Option<&ObservedLb>,
) -> usize {
    let d = desired(svc, nodes, &[], ctx).unwrap();
    plan(&d, observed, &PlanOptions::from_context(ctx))
        .unwrap()
        .actions
        .len()
}

/// Runs `f` once and prints what it produced (`unit`) and what it allocated.
fn report_allocations(name: &str, unit: &str, f: impl Fn() -> usize) {
    let region = Region::new(GLOBAL);
    let produced = f();
    let stats = region.change();
    eprintln!(
        "{name}: {produced} {unit}, {} allocations, {} bytes allocated",
        stats.allocations, stats.bytes_allocated
    );
}

/// The ids a cloud would answer for the CLB and groups `plan` creates.
fn answered(plan: &Plan) -> CreatedIds {
    let mut ids = CreatedIds::default();
    for (n, action) in plan.actions.iter().enumerate() {
        match action {
            Action::CreateLoadBalancer(_) => {
                ids.load_balancer = Some(("lb-bench".into(), "192.0.2.1".into()));
            }
            Action::CreateVServerGroup {
                vserver_group_name, ..
            } => {
                ids.groups
                    .insert(vserver_group_name.clone(), format!("rsp-bench-{n}"));
            }
            _ => {}
        }
    }
    ids
}

fn bench(c: &mut Criterion) {
    let svc = service();
    let ctx = context();
    let all = nodes("n", 0..NODES);
    let first = plan(
        &desired(&svc, &all, &[], &ctx).unwrap(),
        None,
        &PlanOptions::from_context(&ctx),
    )
    .unwrap();
    let synced = apply_to(&first, None, &answered(&first)).unwrap().unwrap();
    let mut churned = nodes("n", 10..NODES);
    churned.extend(nodes("m", 0..10));

    report_allocations("desired", "group members", || {
        desired(&svc, &all, &[], &ctx).unwrap().backend_count()
    });
    report_allocations("desired+plan create", "API calls planned", || {
        run(&svc, &all, &ctx, None)
    });
    report_allocations("desired+plan steady", "API calls planned", || {
        run(&svc, &all, &ctx, Some(&synced))
    });
    report_allocations("desired+plan churn-10", "API calls planned", || {
        run(&svc, &churned, &ctx, Some(&synced))
    });

    let mut g = c.benchmark_group("8 ports x 1000 backends");
    g.bench_function("desired", |b| {
        b.iter(|| desired(black_box(&svc), black_box(&all), &[], &ctx).unwrap())
    });
    g.bench_function("desired+plan create", |b| {
        b.iter(|| run(black_box(&svc), black_box(&all), &ctx, None))
    });
    g.bench_function("desired+plan steady", |b| {
        b.iter(|| run(black_box(&svc), black_box(&all), &ctx, Some(&synced)))
    });
    g.bench_function("desired+plan churn-10", |b| {
        b.iter(|| run(black_box(&svc), black_box(&churned), &ctx, Some(&synced)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
