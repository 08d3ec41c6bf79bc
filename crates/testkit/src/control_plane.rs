//! Starting, using and stopping one etcd + kube-apiserver pair on loopback.

use crate::binaries::binary_dir;
use crate::pki::{Authority, CertPair, service_account_key};
use crate::process::Supervised;
use anyhow::{Context, Result, bail};
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SubjectAccessReview, SubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, RoleRef, Subject};
use kube::api::{ObjectMeta, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client, Config};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::OnceCell;

/// How long the API server may take to report `/readyz` ok (cold start on 2 cores is ~10 s).
const READY_TIMEOUT: Duration = Duration::from_secs(90);
/// Field manager used for the few objects the testkit itself writes.
const FIELD_MANAGER: &str = "slb-testkit";
/// The admin user; `system:masters` bypasses authorization.
const ADMIN_USER: &str = "slb-testkit-admin";

static SHARED: OnceCell<ControlPlane> = OnceCell::const_new();

/// Settings of a control plane started with [`ControlPlane::start_with`]. The default is what
/// [`ControlPlane::start`] runs: the API server's own defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ControlPlaneOptions {
    node_port_range: Option<(u16, u16)>,
}

impl ControlPlaneOptions {
    /// NodePorts are allocated from `first..=last` instead of the API server's default
    /// 30000-32767 (2,768 ports), e.g. for a benchmark with more NodePort Services than that.
    /// Nothing binds these ports; they only have to be unique.
    #[must_use]
    pub fn node_port_range(mut self, first: u16, last: u16) -> Self {
        self.node_port_range = Some((first, last));
        self
    }

    fn apiserver_flags(&self) -> Vec<String> {
        self.node_port_range
            .iter()
            .map(|(first, last)| format!("--service-node-port-range={first}-{last}"))
            .collect()
    }
}

/// A running etcd + kube-apiserver on loopback, with its own PKI.
pub struct ControlPlane {
    server: String,
    /// Everything of this control plane (on tmpfs when available).
    root: PathBuf,
    authority: Authority,
    /// The API server's scratch folder: certificates and kubeconfigs live here.
    pki_dir: PathBuf,
    admin_kubeconfig: PathBuf,
    namespaces: AtomicU64,
    apiserver: Mutex<Supervised>,
    etcd: Mutex<Supervised>,
}

impl ControlPlane {
    /// The control plane shared by every test of this test binary, started on first use.
    ///
    /// It is stopped when the test process exits (see the crate docs). Hand out a fresh
    /// [`Client`] per test with [`ControlPlane::client`]: a client belongs to the Tokio runtime
    /// that built it, and each `#[tokio::test]` has its own.
    ///
    /// # Errors
    /// When the binaries cannot be built or found, or the servers do not become ready.
    pub async fn shared() -> Result<&'static ControlPlane> {
        SHARED.get_or_try_init(Self::start).await
    }

    /// Starts a control plane of its own; dropping it stops both servers and removes their data.
    ///
    /// # Errors
    /// When the binaries cannot be built or found, or the servers do not become ready.
    pub async fn start() -> Result<ControlPlane> {
        Self::start_with(ControlPlaneOptions::default()).await
    }

    /// Starts a control plane of its own with `options`; otherwise like [`ControlPlane::start`].
    ///
    /// # Errors
    /// When the binaries cannot be built or found, or the servers do not become ready.
    pub async fn start_with(options: ControlPlaneOptions) -> Result<ControlPlane> {
        let bins = tokio::task::spawn_blocking(binary_dir)
            .await
            .context("build task")??;
        let root = scratch_root()?;
        let etcd_dir = root.join("etcd");
        let dir = root.join("apiserver");
        std::fs::create_dir_all(&etcd_dir).context("creating etcd's data folder")?;
        std::fs::create_dir_all(&dir).context("creating the apiserver folder")?;

        let (client_port, peer_port, secure_port) = (free_port()?, free_port()?, free_port()?);
        let etcd_url = format!("http://127.0.0.1:{client_port}");
        let peer_url = format!("http://127.0.0.1:{peer_port}");
        let etcd_args = [
            "--name=testkit".to_owned(),
            format!("--data-dir={}", etcd_dir.display()),
            format!("--listen-client-urls={etcd_url}"),
            format!("--advertise-client-urls={etcd_url}"),
            format!("--listen-peer-urls={peer_url}"),
            format!("--initial-advertise-peer-urls={peer_url}"),
            format!("--initial-cluster=testkit={peer_url}"),
            "--unsafe-no-fsync=true".to_owned(),
            "--log-level=warn".to_owned(),
        ];
        let etcd = Supervised::spawn(
            "etcd",
            &bins.join("etcd"),
            &etcd_args,
            (&root, &etcd_dir),
            &root.join("etcd.log"),
        )?;

        let authority = Authority::new()?;
        let files = write_pki(&authority, &dir)?;
        let mut apiserver_args = apiserver_args(&files, &etcd_url, secure_port);
        apiserver_args.extend(options.apiserver_flags());
        let apiserver = Supervised::spawn(
            "kube-apiserver",
            &bins.join("kube-apiserver"),
            &apiserver_args,
            (&root, &dir),
            &root.join("kube-apiserver.log"),
        )?;

        let server = format!("https://127.0.0.1:{secure_port}");
        let admin = authority.client_cert(ADMIN_USER, &["system:masters"])?;
        let admin_kubeconfig = write_kubeconfig(&dir, &server, ADMIN_USER, &admin)?;
        let cp = ControlPlane {
            server,
            root: root.clone(),
            authority,
            pki_dir: dir,
            admin_kubeconfig,
            namespaces: AtomicU64::new(0),
            apiserver: Mutex::new(apiserver),
            etcd: Mutex::new(etcd),
        };
        if let Err(err) = cp.wait_ready().await {
            drop(cp);
            let _ = std::fs::remove_dir_all(&root);
            return Err(err);
        }
        Ok(cp)
    }

    /// The API server's URL, `https://127.0.0.1:<port>`.
    pub fn server(&self) -> &str {
        &self.server
    }

    /// The folder holding this control plane's data, certificates and logs; it is removed when
    /// the control plane stops.
    pub fn dir(&self) -> &Path {
        &self.root
    }

    /// A kubeconfig file for the admin user (group `system:masters`).
    pub fn kubeconfig_path(&self) -> &Path {
        &self.admin_kubeconfig
    }

    /// A new admin client, bound to the calling Tokio runtime.
    ///
    /// # Errors
    /// When the kubeconfig cannot be read or the client cannot be built.
    pub async fn client(&self) -> Result<Client> {
        client_from_kubeconfig(&self.admin_kubeconfig).await
    }

    /// A kubeconfig file for `user`, who belongs to no group and so may do only what RBAC
    /// grants it (see [`ControlPlane::client_for_cluster_role`]).
    ///
    /// # Errors
    /// When the certificate or the file cannot be written.
    pub fn user_kubeconfig(&self, user: &str) -> Result<PathBuf> {
        let cert = self.authority.client_cert(user, &[])?;
        write_kubeconfig(&self.pki_dir, &self.server, user, &cert)
    }

    /// A client for `user` after binding it to `cluster_role` (which must exist), waiting until
    /// the API server's authorizer has seen the binding.
    ///
    /// # Errors
    /// When the role is missing, the binding cannot be written, or it does not take effect.
    pub async fn client_for_cluster_role(&self, user: &str, cluster_role: &str) -> Result<Client> {
        let admin = self.client().await?;
        let role = Api::<ClusterRole>::all(admin.clone())
            .get(cluster_role)
            .await
            .with_context(|| format!("reading ClusterRole {cluster_role}"))?;
        let binding = ClusterRoleBinding {
            metadata: ObjectMeta {
                name: Some(format!("slb-testkit:{user}")),
                ..Default::default()
            },
            role_ref: RoleRef {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "ClusterRole".into(),
                name: cluster_role.into(),
            },
            subjects: Some(vec![Subject {
                api_group: Some("rbac.authorization.k8s.io".into()),
                kind: "User".into(),
                name: user.into(),
                namespace: None,
            }]),
        };
        let name = binding.metadata.name.clone().unwrap_or_default();
        Api::<ClusterRoleBinding>::all(admin.clone())
            .patch(
                &name,
                &PatchParams::apply(FIELD_MANAGER).force(),
                &Patch::Apply(&binding),
            )
            .await
            .with_context(|| format!("binding {user} to {cluster_role}"))?;
        wait_until_authorized(&admin, user, &role).await?;
        client_from_kubeconfig(&self.user_kubeconfig(user)?).await
    }

    /// Creates a namespace with a unique name starting with `prefix`, for one test.
    ///
    /// # Errors
    /// When the API server refuses the namespace.
    pub async fn namespace(&self, prefix: &str) -> Result<String> {
        let n = self.namespaces.fetch_add(1, Ordering::Relaxed);
        let name = format!("{prefix}-{n}");
        let ns = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                ..Default::default()
            },
            ..Default::default()
        };
        Api::<Namespace>::all(self.client().await?)
            .create(&PostParams::default(), &ns)
            .await
            .with_context(|| format!("creating namespace {name}"))?;
        Ok(name)
    }

    async fn wait_ready(&self) -> Result<()> {
        let client = self.client().await?;
        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        let mut last;
        loop {
            for server in [&self.etcd, &self.apiserver] {
                let mut server = server
                    .lock()
                    .map_err(|_| anyhow::anyhow!("poisoned lock"))?;
                if let Some(exit) = server.exited() {
                    bail!("{exit} during start-up; log tail:\n{}", server.log_tail(30));
                }
            }
            let req = http::Request::get("/readyz")
                .body(Vec::new())
                .context("readyz request")?;
            match client.request_text(req).await {
                Ok(body) if body.trim() == "ok" => return Ok(()),
                Ok(body) => last = body,
                Err(err) => last = err.to_string(),
            }
            if tokio::time::Instant::now() > deadline {
                let log = self
                    .apiserver
                    .lock()
                    .map(|s| s.log_tail(30))
                    .unwrap_or_default();
                bail!("kube-apiserver not ready after {READY_TIMEOUT:?}: {last}\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        for server in [&self.apiserver, &self.etcd] {
            if let Ok(mut server) = server.lock() {
                server.stop();
            }
        }
    }
}

struct PkiFiles {
    ca: PathBuf,
    serving_cert: PathBuf,
    serving_key: PathBuf,
    sa_key: PathBuf,
    sa_pub: PathBuf,
}

fn write_pki(authority: &Authority, dir: &Path) -> Result<PkiFiles> {
    let serving = authority.serving_cert()?;
    let files = PkiFiles {
        ca: dir.join("ca.crt"),
        serving_cert: dir.join("apiserver.crt"),
        serving_key: dir.join("apiserver.key"),
        sa_key: dir.join("service-account.key"),
        sa_pub: dir.join("service-account.pub"),
    };
    let (sa_key, sa_pub) = service_account_key()?;
    write(&files.ca, &authority.cert_pem)?;
    write(&files.serving_cert, &serving.cert_pem)?;
    write(&files.serving_key, &serving.key_pem)?;
    write(&files.sa_key, &sa_key)?;
    write(&files.sa_pub, &sa_pub)?;
    Ok(files)
}

fn apiserver_args(files: &PkiFiles, etcd_url: &str, port: u16) -> Vec<String> {
    vec![
        format!("--etcd-servers={etcd_url}"),
        "--bind-address=127.0.0.1".into(),
        "--advertise-address=127.0.0.1".into(),
        format!("--secure-port={port}"),
        format!("--tls-cert-file={}", files.serving_cert.display()),
        format!("--tls-private-key-file={}", files.serving_key.display()),
        format!("--client-ca-file={}", files.ca.display()),
        format!("--service-account-key-file={}", files.sa_pub.display()),
        format!(
            "--service-account-signing-key-file={}",
            files.sa_key.display()
        ),
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local".into(),
        // An allocation range for ClusterIPs only: nothing is ever sent to it.
        "--service-cluster-ip-range=10.96.0.0/16".into(),
        "--authorization-mode=RBAC".into(),
        // No controller-manager creates default ServiceAccounts, so pods would be refused.
        "--disable-admission-plugins=ServiceAccount".into(),
        "--endpoint-reconciler-type=none".into(),
        "--allow-privileged=true".into(),
        "--profiling=false".into(),
    ]
}

fn write_kubeconfig(dir: &Path, server: &str, user: &str, cert: &CertPair) -> Result<PathBuf> {
    let file_stem: String = user
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let crt = dir.join(format!("{file_stem}.crt"));
    let key = dir.join(format!("{file_stem}.key"));
    write(&crt, &cert.cert_pem)?;
    write(&key, &cert.key_pem)?;
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "testkit", "cluster": {
            "server": server,
            "certificate-authority": dir.join("ca.crt"),
        }}],
        "users": [{"name": user, "user": {"client-certificate": crt, "client-key": key}}],
        "contexts": [{"name": "testkit", "context": {"cluster": "testkit", "user": user}}],
        "current-context": "testkit",
    });
    let path = dir.join(format!("{file_stem}.kubeconfig"));
    write(
        &path,
        &serde_yaml::to_string(&config).context("serialising a kubeconfig")?,
    )?;
    Ok(path)
}

pub(crate) async fn client_from_kubeconfig(kubeconfig: &Path) -> Result<Client> {
    let kubeconfig = Kubeconfig::read_from(kubeconfig)
        .with_context(|| format!("reading {}", kubeconfig.display()))?;
    let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .context("loading the kubeconfig")?;
    Client::try_from(config).context("building a kube client")
}

/// Polls a SubjectAccessReview for the role's first rule until the user is allowed.
async fn wait_until_authorized(admin: &Client, user: &str, role: &ClusterRole) -> Result<()> {
    let Some(rule) = role.rules.as_ref().and_then(|rules| rules.first()) else {
        return Ok(());
    };
    let first = |v: &Option<Vec<String>>| v.as_ref().and_then(|v| v.first().cloned());
    let attributes = ResourceAttributes {
        verb: rule.verbs.first().cloned(),
        group: first(&rule.api_groups),
        resource: first(&rule.resources),
        ..Default::default()
    };
    let review = SubjectAccessReview {
        spec: SubjectAccessReviewSpec {
            user: Some(user.into()),
            resource_attributes: Some(attributes),
            ..Default::default()
        },
        ..Default::default()
    };
    let api = Api::<SubjectAccessReview>::all(admin.clone());
    for _ in 0..100 {
        let answer = api
            .create(&PostParams::default(), &review)
            .await
            .context("access review")?;
        if answer.status.is_some_and(|s| s.allowed) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("RBAC binding of {user} did not take effect within 10 s")
}

fn scratch_root() -> Result<PathBuf> {
    // etcd's data belongs on tmpfs: fsync-free and gone with the machine if all else fails.
    let shm = Path::new("/dev/shm");
    let base = if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    };
    let dir = tempfile::Builder::new()
        .prefix("slb-testkit-")
        .tempdir_in(&base)
        .with_context(|| format!("creating a scratch folder in {}", base.display()))?;
    Ok(dir.keep())
}

pub(crate) fn free_port() -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("finding a free loopback port")?;
    Ok(listener
        .local_addr()
        .context("reading the bound port")?
        .port())
}

fn write(path: &Path, contents: &str) -> Result<()> {
    std::fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}
