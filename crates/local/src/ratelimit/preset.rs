//! Named sets of quotas for `rate_limits:`, so a config file can say `rate_limits: documented`
//! instead of listing every action.
//!
//! `documented` is Alibaba's published CLB (API version 2014-05-15) quota table, the help page
//! "api-slb-2014-05-15-quota" ("API rate quotas", counted per regionId + API + ParentUid, i.e.
//! per account and action): the rows found there, then a rule by class for every other action:
//! reads (`Describe*`, `List*`) 3,000 calls per 60 s, every other action 90 calls per 60 s.
//! The ECS and VPC actions the local CLB also answers (`DescribeInstances`,
//! `DescribeNetworkInterfaces`, route tables, EIPs, …) have no published figure that was found;
//! the same class rule is applied to them as an assumption.
//!
//! This module only answers which quota an action has under a preset; the buckets, the
//! `Local*` exemption and explicit entries of the config file are [`super::RateLimiter`]'s.

use super::Quota;

/// A named set of quotas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Alibaba's published CLB quota table, then writes 90/60 s and reads 3,000/60 s.
    Documented,
}

/// Every preset, for parsing and for the error naming the accepted values.
const PRESETS: [Preset; 1] = [Preset::Documented];

/// The rows of the published table, calls per 60 s. Rows whose rate equals the class rule are
/// kept so the table reads as the source does.
const DOCUMENTED_ROWS: &[(&str, u32)] = &[
    ("AddBackendServers", 90),
    ("SetBackendServers", 90),
    ("UploadServerCertificate", 90),
    ("CreateAccessControlList", 90),
    ("RemoveListenerWhiteListItem", 90),
    ("RemoveVServerGroupBackendServers", 90),
    ("DeleteLoadBalancerListener", 90),
    ("CreateLoadBalancerHTTPListener", 90),
    ("SetLoadBalancerHTTPSListenerAttribute", 90),
    ("CreateVServerGroup", 90),
    ("CreateLoadBalancerTCPListener", 90),
    ("SetDomainExtensionAttribute", 400),
    ("DeleteMasterSlaveServerGroup", 400),
    ("DescribeListenerAccessControlAttribute", 3000),
    ("DescribeAvailableResource", 3000),
    ("DescribeDomainExtensionAttribute", 3000),
    ("DescribeLoadBalancerTCPListenerAttribute", 3000),
];

impl Preset {
    /// The name used in the config file.
    pub fn name(self) -> &'static str {
        match self {
            Self::Documented => "documented",
        }
    }

    /// The preset called `name`.
    ///
    /// # Errors
    /// The unknown name and the accepted ones.
    pub fn parse(name: &str) -> Result<Self, String> {
        PRESETS
            .into_iter()
            .find(|p| p.name() == name.trim())
            .ok_or_else(|| {
                let accepted: Vec<&str> = PRESETS.iter().map(|p| p.name()).collect();
                format!(
                    "unknown rate_limits preset {name:?}; accepted: {}",
                    accepted.join(", ")
                )
            })
    }

    /// The quota of `action` under this preset: its row, else its class's.
    pub fn quota(self, action: &str) -> Quota {
        match self {
            Self::Documented => documented(action),
        }
    }
}

fn documented(action: &str) -> Quota {
    if let Some((_, calls)) = DOCUMENTED_ROWS.iter().find(|(name, _)| *name == action) {
        return Quota {
            calls: *calls,
            ..Quota::DOCUMENTED
        };
    }
    if is_read(action) {
        Quota::DOCUMENTED_READ
    } else {
        Quota::DOCUMENTED
    }
}

/// Whether `action` is a read by its name (Alibaba's reads are `Describe…` and `List…`).
fn is_read(action: &str) -> bool {
    action.starts_with("Describe") || action.starts_with("List")
}
