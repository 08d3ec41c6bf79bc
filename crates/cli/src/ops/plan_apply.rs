//! `slb-ccm plan` and `slb-ccm apply`: manifests → every validation error with its remedy →
//! the planned calls per Service (plan), or those calls executed and the resulting CLB
//! (apply). Both go through [`Target::sync`]; plan passes `dry_run`.
//!
//! Services that are not `type: LoadBalancer` are listed as skipped. Nothing here watches a
//! cluster or deletes CLBs of Services missing from the manifests.

use std::path::PathBuf;
use std::process::ExitCode;

use k8s_openapi::api::core::v1::Service;
use serde_json::{Value, json};
use slb_controller::cloud::{CloudError, SyncOutcome};
use slb_model::{DesiredLb, ModelError, ObservedLb, PlanNote, wants_lb};

use super::manifests::{self, Manifests};
use super::render;
use super::target::{CloudArgs, ClusterArgs, Target};

/// Output format of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    /// Human-readable tables.
    Table,
    /// One JSON document (for scripts and CI).
    Json,
}

/// Arguments shared by `plan` and `apply`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// A manifest file or a folder of .yaml/.yml/.json files (Services, Nodes, EndpointSlices
    /// as `kubectl get -o yaml` prints them; several documents and `kind: List` allowed).
    #[arg(short = 'f', long = "filename", value_name = "PATH")]
    pub path: PathBuf,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// The cluster.
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// The cloud.
    #[command(flatten)]
    pub cloud: CloudArgs,
}

/// One LoadBalancer Service with its desired CLB or its validation errors.
pub struct ServiceInput {
    /// `namespace/name`.
    pub name: String,
    /// `externalTrafficPolicy` (`Cluster` when unset).
    pub policy: String,
    /// The desired CLB, or every problem.
    pub desired: Result<DesiredLb, Vec<ModelError>>,
    /// The uid the Service was planned with when its manifest has none
    /// ([`placeholder_uid`]).
    pub placeholder_uid: Option<String>,
}

/// A stable stand-in for the `metadata.uid` a hand-written manifest lacks (the API server
/// assigns the real one): 32 hex digits in a uid's shape, from FNV-1a hashes of
/// `namespace/name`, so the same Service always plans with the same CLB name. Only `plan`
/// uses it; `apply` needs the real uid, which names the CLB.
pub fn placeholder_uid(namespace: &str, name: &str) -> String {
    let fnv = |seed: u64| {
        let text = format!("{namespace}/{name}");
        text.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let hex = format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x6c62_272e_07bb_0142)
    );
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The desired CLB of one Service. Without a `metadata.uid` it is computed with
/// [`placeholder_uid`], so every other problem is reported too; `apply` then refuses the
/// Service (missing uid first, then the rest), `plan` plans it and says so.
fn desired_of(
    service: &mut Service,
    m: &Manifests,
    target: &Target,
    apply: bool,
) -> (Result<DesiredLb, Vec<ModelError>>, Option<String>) {
    let has_uid = service
        .metadata
        .uid
        .as_deref()
        .is_some_and(|u| !u.is_empty());
    let placeholder = (!has_uid).then(|| {
        let ns = service.metadata.namespace.as_deref().unwrap_or("default");
        placeholder_uid(ns, service.metadata.name.as_deref().unwrap_or_default())
    });
    if let Some(uid) = &placeholder {
        service.metadata.uid = Some(uid.clone());
    }
    let desired = slb_model::desired(service, &m.nodes, &m.slices, &target.context);
    if placeholder.is_none() || !apply {
        return (desired, placeholder);
    }
    let mut errors = vec![ModelError::MissingMetadata {
        field: "metadata.uid",
    }];
    errors.extend(desired.err().unwrap_or_default());
    (Err(errors), None)
}

fn service_name(s: &Service) -> String {
    format!(
        "{}/{}",
        s.metadata.namespace.as_deref().unwrap_or("default"),
        s.metadata.name.as_deref().unwrap_or_default()
    )
}

/// The LoadBalancer Services of `m` with their desired CLBs; the names of other Services.
pub fn desired_all(
    m: &Manifests,
    target: &Target,
    apply: bool,
) -> (Vec<ServiceInput>, Vec<String>) {
    let mut inputs = Vec::new();
    let mut skipped = Vec::new();
    for service in &m.services {
        let mut service = service.clone();
        // `kubectl get -o yaml` of a namespaced object always has a namespace; files written
        // by hand often do not, and kubectl would use `default`.
        service
            .metadata
            .namespace
            .get_or_insert_with(|| "default".to_owned());
        if !wants_lb(&service, target.context.load_balancer_class.as_deref()) {
            skipped.push(service_name(&service));
            continue;
        }
        let policy = service
            .spec
            .as_ref()
            .and_then(|s| s.external_traffic_policy.clone())
            .unwrap_or_else(|| "Cluster".to_owned());
        let (desired, placeholder_uid) = desired_of(&mut service, m, target, apply);
        inputs.push(ServiceInput {
            name: service_name(&service),
            policy,
            desired,
            placeholder_uid,
        });
    }
    (inputs, skipped)
}

/// A note for the user, in words.
pub fn note_text(note: &PlanNote) -> String {
    match note {
        PlanNote::ListenerTakenOver { port, protocol, .. } => format!(
            "force-override-listeners takes over the listener {}:{port}",
            protocol.as_str()
        ),
        PlanNote::ListenersNotManaged { lb_id } => format!(
            "{lb_id} is reused without force-override-listeners: its listeners are not managed"
        ),
        PlanNote::GroupKeptInUse {
            group_id,
            listener_port,
        } => format!("group {group_id} is kept: listener {listener_port} still uses it"),
        PlanNote::NoBackends => {
            "no backend at all (UnAvailableLoadBalancer): check that pods are Ready".to_owned()
        }
        PlanNote::PreservedOnDelete { lb_id } => format!("{lb_id} is preserved on delete"),
        PlanNote::AlreadyGone => "the CLB is already gone".to_owned(),
        PlanNote::SchedulerForWeights { port, previous, .. } => format!(
            "listener {port}: scheduler {previous} -> wrr (Local-policy pod-count weights need it)"
        ),
    }
}

fn error_json(e: &ModelError) -> Value {
    json!({ "kind": e.kind(), "message": e.to_string(), "remedy": e.remedy() })
}

/// Runs `plan` (`apply == false`) or `apply`.
///
/// # Errors
/// Unreadable manifests or an unusable cloud; validation and cloud errors of single
/// Services are reported and give a failing exit code instead.
pub async fn run(args: &PlanArgs, apply: bool) -> anyhow::Result<ExitCode> {
    let m = manifests::load(&args.path)
        .inspect_err(|e| tracing::debug!(kind = e.kind(), "reading manifests failed"))?;
    for w in &m.warnings {
        eprintln!("warning: {w}");
    }
    let target = open_target(args, &m, apply)?;
    let table = args.output == Output::Table;
    if args.cloud.register_nodes && apply {
        let n = target.register_nodes(&m.nodes).await?;
        if table {
            println!(
                "Registered {n} node(s) in the ECS inventory of {}.",
                target.description
            );
        }
    }
    let (inputs, skipped) = desired_all(&m, &target, apply);
    if table {
        print_header(&target, &skipped, apply);
    }
    let mut failed = false;
    let mut services = Vec::new();
    for input in inputs {
        let (ok, doc) = one(&target, input, apply, table).await;
        failed |= !ok;
        services.push(doc);
    }
    if table {
        print_summary(&services, apply);
    } else {
        let doc = json!({
            "target": target.description,
            "services": services,
            "skipped": skipped,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The cloud the flags name; for `plan` without one, an empty in-memory local CLB.
fn open_target(args: &PlanArgs, m: &Manifests, apply: bool) -> anyhow::Result<Target> {
    match Target::open(&args.cluster, &args.cloud, &m.nodes, !apply)? {
        Some(t) => Ok(t),
        None if apply => anyhow::bail!(
            "apply needs a cloud: --state FILE (a local CLB state file), or --endpoint URL \
             --access-key-id ID --access-key-secret SECRET (a running `slb-ccm local serve` \
             or Alibaba Cloud)"
        ),
        None => Target::empty(&args.cluster, &args.cloud, &m.nodes),
    }
}

fn print_header(target: &Target, skipped: &[String], apply: bool) {
    let verb = if apply {
        "Applying to"
    } else {
        "Planning against"
    };
    println!("{verb} {}.", target.description);
    for name in skipped {
        println!("\nService {name}: not type LoadBalancer; skipped.");
    }
}

/// The last line of the table: Services, calls, Services with errors.
fn print_summary(services: &[Value], apply: bool) {
    let calls: usize = services
        .iter()
        .map(|d| d["actions"].as_array().map_or(0, Vec::len))
        .sum();
    let errors = services
        .iter()
        .filter(|d| d["errors"].as_array().is_some_and(|e| !e.is_empty()))
        .count();
    let verb = if apply { "made" } else { "planned" };
    println!(
        "\n{} LoadBalancer Service(s): {calls} call(s) {verb}, {errors} with errors.",
        services.len()
    );
}

/// One Service: prints (in table mode) and returns whether it succeeded and its JSON.
async fn one(target: &Target, input: ServiceInput, apply: bool, table: bool) -> (bool, Value) {
    let ServiceInput {
        name,
        policy,
        desired,
        placeholder_uid,
    } = input;
    if table {
        println!("\nService {name} (externalTrafficPolicy: {policy})");
        if let Some(uid) = &placeholder_uid {
            println!(
                "  note: metadata.uid is not set (the API server assigns it): planned with the \
                 placeholder uid {uid}, derived from {name}; the CLB name in this plan follows \
                 from it"
            );
        }
    }
    let failed = |errors: Vec<Value>| {
        let doc = json!({ "service": name, "placeholder_uid": placeholder_uid, "errors": errors });
        (false, doc)
    };
    let desired = match desired {
        Ok(d) => d,
        Err(errors) => return failed(invalid(&errors, table)),
    };
    let mut notes = desired_notes(&desired);
    let outcome = match target.sync(desired, !apply).await {
        Ok(o) => o,
        Err(e) => return failed(vec![sync_failed(&e, table)]),
    };
    notes.extend(outcome_notes(&outcome));
    let observed = match (&outcome.load_balancer_id, apply) {
        (Some(id), true) => target.observe(id).await.ok().flatten(),
        _ => None,
    };
    if table {
        print_outcome(&notes, &outcome, observed.as_ref(), apply);
    }
    let mut doc = outcome_json(&outcome, &notes);
    doc["service"] = json!(name);
    doc["placeholder_uid"] = json!(placeholder_uid);
    (true, doc)
}

/// Prints (in table mode) the validation errors with their fixes; returns them as JSON.
fn invalid(errors: &[ModelError], table: bool) -> Vec<Value> {
    if table {
        println!(
            "  {} validation error(s); nothing is planned:",
            errors.len()
        );
        for e in errors {
            println!("  ✗ [{}] {e}\n      fix: {}", e.kind(), e.remedy());
        }
    }
    errors.iter().map(error_json).collect()
}

/// Prints (in table mode) a failed sync with its fix; returns it as JSON.
fn sync_failed(e: &CloudError, table: bool) -> Value {
    let remedy = e.remedy().unwrap_or("");
    if table {
        println!("  ✗ [{}] {e}", e.kind());
        if !remedy.is_empty() {
            println!("      fix: {remedy}");
        }
    }
    json!({ "kind": e.kind(), "message": e.to_string(), "remedy": remedy })
}

/// Annotation warnings and nodes that are not backends, in words.
fn desired_notes(desired: &DesiredLb) -> Vec<String> {
    let warnings = desired
        .annotation_warnings
        .iter()
        .map(|w| format!("warning: {w}"));
    let skipped = desired
        .skipped_nodes
        .iter()
        .map(|s| format!("node {} is not a backend: {}", s.node, s.reason));
    warnings.chain(skipped).collect()
}

/// The plan's notes and the ENI backends that were skipped, in words.
fn outcome_notes(outcome: &SyncOutcome) -> Vec<String> {
    let skipped = outcome
        .skipped_backends
        .iter()
        .map(|ip| format!("backend {ip} skipped: its ENI could not be resolved"));
    outcome
        .plan
        .notes
        .iter()
        .map(note_text)
        .chain(skipped)
        .collect()
}

fn print_outcome(
    notes: &[String],
    outcome: &SyncOutcome,
    observed: Option<&ObservedLb>,
    apply: bool,
) {
    for n in notes {
        println!("  note: {n}");
    }
    let calls = outcome.plan.actions.len();
    match (calls, apply) {
        (0, _) => println!("  Up to date: no call needed."),
        (_, false) => println!("  {calls} call(s) would be made:"),
        (_, true) => println!("  Made {calls} call(s):"),
    }
    if calls > 0 {
        print!("{}", render::actions_table(&outcome.plan.actions));
    }
    if let Some(lb) = observed {
        print!("{}", render::clb_table(lb));
    }
}

/// The JSON of a successful Service (its `service` and `placeholder_uid` are added by the
/// caller).
fn outcome_json(outcome: &SyncOutcome, notes: &[String]) -> Value {
    let actions: Vec<Value> = outcome
        .plan
        .actions
        .iter()
        .map(|a| {
            let (target, details) = render::describe(a);
            json!({ "call": a.api_name(), "target": target, "details": details, "action": a })
        })
        .collect();
    json!({
        "load_balancer_id": outcome.load_balancer_id,
        "address": outcome.address,
        "notes": notes,
        "actions": actions,
        "errors": [],
    })
}
