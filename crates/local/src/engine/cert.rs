//! Server and CA certificate actions (spec part 2 §5): upload (the PEM is parsed and the
//! private key checked against the certificate, see `parse`), describe (the PEM and key are
//! never returned), rename, and delete (refused while an HTTPS listener or a domain
//! extension uses the certificate). Ids are opaque, as the service's are.
//!
//! Not here: Alibaba-issued certificates (`AliCloudCertificate*`) and SM certificates
//! (`StandardType`), which are refused by name; tags through TagResources.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};
use slb_openapi::clb::{
    DeleteCaCertificateRequest, DeleteServerCertificateRequest, DescribeCaCertificatesRequest,
    DescribeServerCertificatesRequest, SetCaCertificateNameRequest,
    SetServerCertificateNameRequest, UploadCaCertificateRequest, UploadServerCertificateRequest,
};
use slb_openapi::error::ApiError;
use slb_openapi::params::Params;
use slb_openapi::types::Tag;

use super::render::{iso_time, tags as render_tags, wrap};
use super::tags::merge_tags;
use super::{Ctx, Outcome, State};
use crate::model::{CaCertificate, CertificateFacts, ServerCertificate};
use crate::store::Change;

mod parse;

/// Parameters of features the local CLB does not model: refused by name.
const UNMODELLED: [&str; 4] = [
    "AliCloudCertificateId",
    "AliCloudCertificateName",
    "AliCloudCertificateRegionId",
    "StandardType",
];

/// Refuses, by name, the upload parameters of features not modelled (the parse step runs
/// it; see `dispatch::refuse_by_name`).
///
/// # Errors
/// `InvalidParameter` naming the first such parameter.
pub(crate) fn refuse_unmodelled(params: &Params) -> Result<(), ApiError> {
    match UNMODELLED
        .iter()
        .find(|p| params.get(**p).is_some_and(|v| !v.is_empty()))
    {
        Some(p) => Err(ApiError::invalid_parameter(
            p,
            "Alibaba-issued and SM certificates are not modelled by the local CLB; upload the \
             PEM certificate and key instead",
        )),
        None => Ok(()),
    }
}

/// Certificate names: 1–80 letters, digits, CJK, `-` `/` `.` `_` `*`.
fn check_name(param: &str, name: &str) -> Result<(), ApiError> {
    let ok = |c: char| c.is_alphanumeric() || matches!(c, '-' | '/' | '.' | '_' | '*');
    if name.is_empty() || name.chars().count() > 80 || !name.chars().all(ok) {
        return Err(ApiError::invalid_parameter(
            param,
            &format!(
                "{name:?} must be 1–80 letters, digits, CJK characters, '-', '/', '.', '_' or '*'"
            ),
        ));
    }
    Ok(())
}

fn in_use(what: &str) -> ApiError {
    ApiError::service(
        "CertificateAndPrivateKeyIsRefered",
        400,
        format!("The specified certificate is bound to listeners ({what}). You cannot delete it."),
    )
}

/// Every (lb, port) of a listener whose setting `name` is `id`.
fn users(state: &State, name: &str, id: &str) -> Vec<String> {
    let mut out = Vec::new();
    for lb in state.load_balancers.values() {
        for l in lb.listeners.iter().filter(|l| l.setting(name) == Some(id)) {
            out.push(format!("{}:{}", lb.id, l.port));
        }
    }
    out
}

/// What both kinds report: id, name, region, resource group, the parsed facts and the
/// creation time.
fn base_fields<K: Kind>(c: &K, region: &str) -> Map<String, Value> {
    let (facts, created_ms) = (c.facts(), c.create_time_ms());
    let mut m = Map::new();
    m.insert(K::ID.into(), json!(c.id()));
    m.insert(K::NAME.into(), json!(c.name()));
    m.insert("RegionId".into(), json!(region));
    m.insert("ResourceGroupId".into(), json!(c.resource_group_id()));
    m.insert("Fingerprint".into(), json!(facts.fingerprint));
    m.insert("CommonName".into(), json!(facts.common_name));
    m.insert("ExpireTime".into(), json!(iso_time(facts.expire_time_ms)));
    m.insert("ExpireTimeStamp".into(), json!(facts.expire_time_ms));
    m.insert("CreateTime".into(), json!(iso_time(created_ms)));
    m.insert("CreateTimeStamp".into(), json!(created_ms));
    m.insert(
        "EncryptionAlgorithm".into(),
        json!(facts.encryption_algorithm),
    );
    m.insert(
        "EncryptionKeyLength".into(),
        json!(facts.encryption_key_length),
    );
    m.insert("StandardType".into(), json!("common"));
    m
}

/// A server certificate's body: the shared fields, its SANs, and the fields saying it was
/// uploaded rather than Alibaba-issued.
fn server_fields(c: &ServerCertificate, region: &str) -> Map<String, Value> {
    let mut m = base_fields(c, region);
    let sans: Vec<Value> = c
        .facts
        .subject_alternative_names
        .iter()
        .map(|s| json!(s))
        .collect();
    m.insert(
        "SubjectAlternativeNames".into(),
        wrap("SubjectAlternativeName", sans),
    );
    m.insert("RegionIdAlias".into(), json!(region));
    m.insert("IsAliCloudCertificate".into(), json!(0));
    m.insert("AliCloudCertificateId".into(), json!(""));
    m.insert("AliCloudCertificateName".into(), json!(""));
    m.insert("CertificateId".into(), json!(c.id));
    m.insert("BindingType".into(), json!("Upload"));
    m
}

fn change(c: Change) -> Outcome {
    Outcome {
        change: c,
        ..Outcome::default()
    }
}

/// What differs between server and CA certificates: their names on the wire, their
/// fields, and where the store keeps them. Every action below is written once over it.
trait Kind: Clone {
    /// `ServerCertificateId` / `CACertificateId`.
    const ID: &'static str;
    /// `ServerCertificateName` / `CACertificateName`.
    const NAME: &'static str;
    /// Describe's list key and item key.
    const LIST: (&'static str, &'static str);
    fn all(state: &State) -> &BTreeMap<String, Self>;
    fn id(&self) -> &str;
    fn resource_group_id(&self) -> &str;
    fn name(&self) -> &str;
    fn facts(&self) -> &CertificateFacts;
    fn create_time_ms(&self) -> i64;
    fn tags(&self) -> &BTreeMap<String, String>;
    fn tags_mut(&mut self) -> &mut BTreeMap<String, String>;
    fn rename(&mut self, name: String);
    fn fields(&self, region: &str) -> Map<String, Value>;
    /// The change that stores this certificate.
    fn put(self) -> Change;
}

/// `impl Kind` for one certificate type: its wire names, fields and store lists.
macro_rules! kind {
    ($ty:ty, $id:literal, $name:literal, $list:literal, $item:literal,
     $map:ident, $fields:ident, $put:ident) => {
        impl Kind for $ty {
            const ID: &'static str = $id;
            const NAME: &'static str = $name;
            const LIST: (&'static str, &'static str) = ($list, $item);
            fn all(state: &State) -> &BTreeMap<String, Self> {
                &state.security.$map
            }
            fn id(&self) -> &str {
                &self.id
            }
            fn resource_group_id(&self) -> &str {
                &self.resource_group_id
            }
            fn name(&self) -> &str {
                &self.name
            }
            fn facts(&self) -> &CertificateFacts {
                &self.facts
            }
            fn create_time_ms(&self) -> i64 {
                self.create_time_ms
            }
            fn tags(&self) -> &BTreeMap<String, String> {
                &self.tags
            }
            fn tags_mut(&mut self) -> &mut BTreeMap<String, String> {
                &mut self.tags
            }
            fn rename(&mut self, name: String) {
                self.name = name;
            }
            fn fields(&self, region: &str) -> Map<String, Value> {
                $fields(self, region)
            }
            fn put(self) -> Change {
                Change {
                    $put: vec![self],
                    ..Change::default()
                }
            }
        }
    };
}

kind!(
    ServerCertificate,
    "ServerCertificateId",
    "ServerCertificateName",
    "ServerCertificates",
    "ServerCertificate",
    server_certificates,
    server_fields,
    put_server_certificates
);
kind!(
    CaCertificate,
    "CACertificateId",
    "CACertificateName",
    "CACertificates",
    "CACertificate",
    ca_certificates,
    base_fields,
    put_ca_certificates
);

/// Adds the request's tags to a freshly parsed `cert` and stores it; the body describes it.
fn store_upload<K: Kind>(mut cert: K, tags: &[Tag], cx: &Ctx<'_>) -> Result<Outcome, ApiError> {
    merge_tags(cert.tags_mut(), tags, cx.config.quotas.tags_per_resource)?;
    let body = cert.fields(&cx.config.region);
    Ok(Outcome {
        body,
        ..change(cert.put())
    })
}

/// `UploadServerCertificate`.
pub(crate) fn upload_server(
    _state: &State,
    cx: &Ctx<'_>,
    req: &UploadServerCertificateRequest,
) -> Result<Outcome, ApiError> {
    let pem = req.server_certificate.clone();
    let key = req.private_key.clone();
    let name = req.server_certificate_name.clone();
    check_name("ServerCertificateName", &name)?;
    let leaf = parse::leaf(&pem)?;
    parse::check_key(&leaf, &key)?;
    let cert = ServerCertificate {
        id: format!("{}-{}", Ctx::new_id("idkp"), cx.config.region),
        name,
        certificate_pem: pem,
        private_key_pem: key,
        facts: leaf.facts,
        resource_group_id: req.resource_group_id.clone().unwrap_or_default(),
        create_time_ms: cx.now_ms,
        tags: Default::default(),
    };
    store_upload(cert, &req.tags, cx)
}

/// `UploadCACertificate`.
pub(crate) fn upload_ca(
    _state: &State,
    cx: &Ctx<'_>,
    req: &UploadCaCertificateRequest,
) -> Result<Outcome, ApiError> {
    let pem = req.ca_certificate.clone();
    let name = req.ca_certificate_name.clone().unwrap_or_default();
    if !name.is_empty() {
        check_name("CACertificateName", &name)?;
    }
    let leaf = parse::leaf(&pem)?;
    let cert = CaCertificate {
        id: format!("{}-{}", Ctx::new_id("ca"), cx.config.region),
        name,
        certificate_pem: pem,
        facts: leaf.facts,
        resource_group_id: req.resource_group_id.clone().unwrap_or_default(),
        create_time_ms: cx.now_ms,
        tags: Default::default(),
    };
    store_upload(cert, &req.tags, cx)
}

/// A describe's filters: the certificate id, the resource group and tags.
struct Filters<'r> {
    id: Option<&'r str>,
    group: Option<&'r str>,
    tags: &'r [Tag],
}

/// Describe's filters: keep `c`? An id filter naming `c` in another resource group is an
/// error (`Abs.<Id>AndResourceGroupId.MissMatch`); an unknown id keeps nothing.
fn keep<K: Kind>(f: &Filters<'_>, c: &K) -> Result<bool, ApiError> {
    let (id, group) = (c.id(), c.resource_group_id());
    let (want_id, want_group) = (f.id, f.group);
    let id_ok = want_id.is_none_or(|w| w == id);
    if id_ok && want_id.is_some() && want_group.is_some_and(|g| g != group) {
        return Err(ApiError::service(
            format!("Abs.{}AndResourceGroupId.MissMatch", K::ID),
            400,
            format!(
                "{} {id:?} is not in ResourceGroupId {:?}.",
                K::ID,
                want_group.unwrap_or_default()
            ),
        ));
    }
    Ok(id_ok
        && want_group.is_none_or(|g| g == group)
        && f.tags
            .iter()
            .all(|t| c.tags().get(&t.key) == Some(&t.value)))
}

/// `Describe{Server,CA}Certificates`.
fn describe<K: Kind>(state: &State, cx: &Ctx<'_>, f: &Filters<'_>) -> Result<Outcome, ApiError> {
    let mut items = Vec::new();
    for c in K::all(state).values() {
        if keep(f, c)? {
            let mut m = c.fields(&cx.config.region);
            m.insert("Tags".into(), render_tags(c.tags()));
            items.push(Value::Object(m));
        }
    }
    let (list, item) = K::LIST;
    Ok(Outcome::read(Map::new()).with(list, wrap(item, items)))
}

/// `DescribeServerCertificates`: an unknown id filter gives an empty list.
pub(crate) fn describe_server(
    state: &State,
    cx: &Ctx<'_>,
    req: &DescribeServerCertificatesRequest,
) -> Result<Outcome, ApiError> {
    let filters = Filters {
        id: req.server_certificate_id.as_deref(),
        group: req.resource_group_id.as_deref(),
        tags: &req.tags,
    };
    describe::<ServerCertificate>(state, cx, &filters)
}

/// `DescribeCACertificates`.
pub(crate) fn describe_ca(
    state: &State,
    cx: &Ctx<'_>,
    req: &DescribeCaCertificatesRequest,
) -> Result<Outcome, ApiError> {
    let filters = Filters {
        id: req.ca_certificate_id.as_deref(),
        group: req.resource_group_id.as_deref(),
        tags: &req.tags,
    };
    describe::<CaCertificate>(state, cx, &filters)
}

/// The certificate the request's id names (`<Id>.NotFound` when there is none).
fn find<'s, K: Kind>(state: &'s State, id: &str) -> Result<&'s K, ApiError> {
    K::all(state).get(id).ok_or_else(|| {
        ApiError::service(
            format!("{}.NotFound", K::ID),
            400,
            format!("The specified {} {id:?} does not exist.", K::ID),
        )
    })
}

/// The certificate the request names, refused while a listener uses it.
fn deletable<'s, K: Kind>(state: &'s State, id: &str) -> Result<&'s K, ApiError> {
    let c = find::<K>(state, id)?;
    let listeners = users(state, K::ID, c.id());
    if !listeners.is_empty() {
        return Err(in_use(&listeners.join(", ")));
    }
    Ok(c)
}

/// `DeleteServerCertificate`: refused while a listener or a domain extension uses it.
pub(crate) fn delete_server(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DeleteServerCertificateRequest,
) -> Result<Outcome, ApiError> {
    let c = deletable::<ServerCertificate>(state, &req.server_certificate_id)?;
    let used_by_extension = state.load_balancers.values().any(|lb| {
        lb.listeners.iter().any(|l| {
            l.domain_extensions
                .iter()
                .any(|d| d.server_certificate_id == c.id)
        })
    });
    if used_by_extension {
        return Err(ApiError::service(
            "CertificateRelatedDomainExtensionExist",
            400,
            "The domainExtension related with this ServerCertificate exists; delete the domain \
             extension or give it another certificate first.",
        ));
    }
    Ok(change(Change {
        delete_server_certificates: vec![c.id.clone()],
        ..Change::default()
    }))
}

/// `DeleteCACertificate`: refused while a listener uses it.
pub(crate) fn delete_ca(
    state: &State,
    _cx: &Ctx<'_>,
    req: &DeleteCaCertificateRequest,
) -> Result<Outcome, ApiError> {
    let c = deletable::<CaCertificate>(state, &req.ca_certificate_id)?;
    Ok(change(Change {
        delete_ca_certificates: vec![c.id.clone()],
        ..Change::default()
    }))
}

/// `Set{Server,CA}CertificateName`.
fn set_name<K: Kind>(state: &State, id: &str, name: &str) -> Result<Outcome, ApiError> {
    let mut c = find::<K>(state, id)?.clone();
    check_name(K::NAME, name)?;
    c.rename(name.to_owned());
    Ok(change(c.put()))
}

/// `SetServerCertificateName`.
pub(crate) fn set_server_name(
    state: &State,
    _cx: &Ctx<'_>,
    req: &SetServerCertificateNameRequest,
) -> Result<Outcome, ApiError> {
    set_name::<ServerCertificate>(
        state,
        &req.server_certificate_id,
        &req.server_certificate_name,
    )
}

/// `SetCACertificateName`.
pub(crate) fn set_ca_name(
    state: &State,
    _cx: &Ctx<'_>,
    req: &SetCaCertificateNameRequest,
) -> Result<Outcome, ApiError> {
    set_name::<CaCertificate>(state, &req.ca_certificate_id, &req.ca_certificate_name)
}
