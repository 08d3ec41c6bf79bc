//! End to end, with every part real and separate: a kube-apiserver (testkit), `slb-ccm local
//! serve` (the local CLB with its data plane), and `slb-ccm controller`. A Local-policy Service
//! gets an IP in its status (the controller starts before the local CLB is up, and the local
//! CLB knows no instance: the controller registers the Nodes once it can), traffic sent to that IP reaches the pods' nodes in the FAQ's
//! 1:2:3 ratio, and deleting the Service closes the VIP and releases the Service.
#![cfg(unix)]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use k8s_openapi::api::core::v1::{Node, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use slb_testkit::ControlPlane;
use slb_testkit::fixtures::{PodEndpoint, endpoint_slice, load_balancer_service, node};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{Child, Command};

const NODE_PORT: u16 = 31880;
const IPS: [&str; 3] = ["127.5.0.1", "127.5.0.2", "127.5.0.3"];

async fn node_servers(names: &[String]) {
    for (name, ip) in names.iter().zip(IPS) {
        let listener = TcpListener::bind((ip, NODE_PORT)).await.unwrap();
        let name = name.clone();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let name = name.clone();
                tokio::spawn(async move {
                    let _ = conn.write_all(name.as_bytes()).await;
                    let _ = conn.shutdown().await;
                });
            }
        });
    }
}

/// `local serve` on `listen`, knowing no ECS instance: the controller registers the Nodes.
async fn local_serve(listen: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .args(["local", "serve", "--listen", listen, "--state", ":memory:"])
        .args([
            "--access-key-id",
            "e2e",
            "--access-key-secret",
            "e2e-secret",
        ])
        .args(["--vip-pool", "127.5.9.0/24"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next_line().await.unwrap().expect("address line");
    let addr = line.rsplit("http://").next().unwrap().trim().to_owned();
    (child, addr)
}

fn controller(kubeconfig: &std::path::Path, endpoint: &str, ns: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_slb-ccm"))
        .arg("controller")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args([
            "--cloud",
            "local",
            "--cluster-id",
            "c-e2e",
            "--local-endpoint",
            endpoint,
        ])
        .args([
            "--access-key-id",
            "e2e",
            "--access-key-secret",
            "e2e-secret",
        ])
        .args(["--metrics-addr", "127.0.0.1:0", "--namespace", ns])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

async fn ingress_ip(services: &Api<Service>) -> String {
    for _ in 0..150 {
        let svc = services.get("web").await.unwrap();
        let ip = svc
            .status
            .and_then(|s| s.load_balancer)
            .and_then(|lb| lb.ingress)
            .and_then(|i| i.into_iter().next())
            .and_then(|i| i.ip);
        if let Some(ip) = ip {
            return ip;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("no ingress IP");
}

#[tokio::test]
async fn a_service_gets_a_working_vip_with_the_faqs_weights_and_loses_it_on_delete() {
    let cp = ControlPlane::shared().await.unwrap();
    let client = cp.client().await.unwrap();
    let ns = cp.namespace("e2e").await.unwrap();
    let names: Vec<String> = ["a", "b", "c"]
        .iter()
        .map(|n| format!("{ns}-{n}"))
        .collect();
    node_servers(&names).await;
    // The controller starts first, while nothing answers on the local CLB's address yet.
    let endpoint = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let _controller = controller(cp.kubeconfig_path(), &endpoint, &ns);

    for (name, ip) in names.iter().zip(IPS) {
        Api::<Node>::all(client.clone())
            .create(&PostParams::default(), &node(name, ip, None))
            .await
            .unwrap();
    }
    let mut svc = load_balancer_service(&ns, "web", &[(8080, 8080)]);
    let spec = svc.spec.as_mut().unwrap();
    spec.external_traffic_policy = Some("Local".into());
    spec.ports.as_mut().unwrap()[0].node_port = Some(i32::from(NODE_PORT));
    svc.metadata.annotations = Some(BTreeMap::from([(
        "service.beta.kubernetes.io/alibaba-cloud-loadbalancer-spec".to_owned(),
        "slb.s1.small".to_owned(),
    )]));
    let services: Api<Service> = Api::namespaced(client.clone(), &ns);
    services.create(&PostParams::default(), &svc).await.unwrap();
    let mut pods = Vec::new();
    for (i, count) in [1, 2, 3].into_iter().enumerate() {
        for p in 0..count {
            pods.push(PodEndpoint::ready(&format!("10.244.{i}.{p}"), &names[i]));
        }
    }
    Api::<EndpointSlice>::namespaced(client.clone(), &ns)
        .create(
            &PostParams::default(),
            &endpoint_slice(&ns, "web", "web-1", ("p8080", 8080), &pods),
        )
        .await
        .unwrap();
    // Registering the nodes and the first sync fail (connection refused) and back off; the
    // local CLB comes up; the retry registers the nodes and builds the CLB.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (_local, served) = local_serve(&endpoint).await;
    assert_eq!(served, endpoint);

    let ip = ingress_ip(&services).await;
    let vip: SocketAddr = format!("{ip}:8080").parse().unwrap();
    // The IP is written when the first sync is done; a node the controller's cache saw late
    // joins the group a reconcile later. Measure once every node answers.
    let mut warm: std::collections::BTreeSet<String> = Default::default();
    for _ in 0..300 {
        if let Ok(mut conn) = TcpStream::connect(vip).await {
            let mut who = String::new();
            conn.read_to_string(&mut who).await.unwrap();
            warm.insert(who);
        }
        if warm.len() == names.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(warm.len(), names.len(), "every node answers: {warm:?}");
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for attempt in 0..600 {
        match TcpStream::connect(vip).await {
            Ok(mut conn) => {
                let mut who = String::new();
                conn.read_to_string(&mut who).await.unwrap();
                *seen.entry(who).or_default() += 1;
            }
            // The status is written as soon as the CLB exists; give the listener a moment.
            Err(_) if attempt < 50 && seen.is_empty() => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(err) => panic!("connecting to {vip}: {err}"),
        }
    }
    let total: usize = seen.values().sum();
    for (name, want) in names.iter().zip([1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0]) {
        let got = *seen.get(name).unwrap_or(&0) as f64 / total as f64;
        assert!(
            (got - want).abs() <= 0.05,
            "{name}: {got:.3}, want {want:.3} ±0.05: {seen:?}"
        );
    }

    services
        .delete("web", &DeleteParams::default())
        .await
        .unwrap();
    for _ in 0..150 {
        if services.get_opt("web").await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        services.get_opt("web").await.unwrap().is_none(),
        "the finalizer was released"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        TcpStream::connect(vip).await.is_err(),
        "the VIP closed with its CLB"
    );
}
