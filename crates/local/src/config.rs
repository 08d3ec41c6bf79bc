//! The local CLB's configuration file (YAML, or JSON since JSON is YAML): the region, the VIP
//! pool, vSwitches, the seed ECS inventory, quotas and faults to inject. Every field has a
//! default, so an empty file (or none) gives a working single-VPC setup on loopback.
//!
//! ```yaml
//! region: cn-hangzhou
//! vip_pool: 127.0.1.0/24          # internet VIPs
//! ipv6_vip_pool: "::1/128"        # IPv6 VIPs (AddressIPVersion=ipv6); loopback: one CLB
//! eip_pool: 127.0.4.0/24          # addresses AllocateEipAddress hands out
//! zones: [cn-hangzhou-a, cn-hangzhou-b]   # default: the vSwitches' zones, padded to two
//! vswitches:                      # intranet VIPs come from the vSwitch's CIDR
//!   - { id: vsw-local, vpc_id: vpc-local, zone_id: cn-hangzhou-a, cidr: 127.0.2.0/24 }
//! instances:
//!   - { InstanceId: i-node1, PrivateIpAddress: 127.0.0.11, VpcId: vpc-local, ZoneId: cn-hangzhou-a }
//! network_interfaces:
//!   - { NetworkInterfaceId: eni-1, PrivateIpAddresses: [127.0.0.21], VpcId: vpc-local }
//!   - { NetworkInterfaceId: eni-2, PrivateIpAddresses: [127.0.0.22], Ipv6Addresses: ["fd00::22"] }
//! quotas: { backends_per_load_balancer: 200, listeners_per_load_balancer: 50,
//!           load_balancers_per_account: 100, backends_per_call: 40, tags_per_resource: 20 }
//! faults:
//!   arrears: false
//!   insufficient_balance: false
//!   latency_ms: 0
//!   throttle: { DescribeLoadBalancers: 0.5 }   # fraction of calls answered Throttling.User
//!   instance_charge_type: PayBySpec            # what a create without InstanceChargeType gets
//! rate_limits:                      # flow control per account and action (none by default)
//!   preset: documented              # Alibaba's published quotas for every action not listed
//!   DescribeLoadBalancers: { calls: 10, seconds: 1, burst: 20 }   # Throttling.User beyond
//! # or, the published quotas alone (writes 90 per 60 s, reads 3,000 per 60 s, rows of the
//! # table as published; see slb_local::ratelimit::preset):
//! # rate_limits: documented
//! # or a map without a preset: "*": { calls: 90, seconds: 60 } for every action not listed
//! route_tables:                     # optional: each VPC of the vSwitches has a System table
//!   - { id: vtb-custom, vpc_id: vpc-local, table_type: Custom, vswitch_ids: [vsw-local] }
//! api:                              # bounds on the OpenAPI server's connections
//!   max_connections: 256            # served at once; more wait in the listen backlog
//!   header_read_timeout_ms: 10000   # to send a request head (and keep-alive idle limit)
//!   idle_timeout_ms: 120000         # with no byte moving either way
//! ```
//!
//! This module only parses and validates; the engine applies it.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::address::{Cidr, Cidr6};
use crate::model::{Instance, NetworkInterface};
use crate::server::ConnectionLimits;

/// The default internet VIP pool: loopback, so traffic works on one machine.
pub const DEFAULT_VIP_POOL: &str = "127.0.1.0/24";
/// The default IPv6 VIP pool: the IPv6 loopback address alone, so one IPv6 CLB carries
/// traffic on one machine with no setup. A wider pool needs its addresses assigned on the
/// host (see `serve`'s start-up check).
pub const DEFAULT_IPV6_VIP_POOL: &str = "::1/128";
/// The default EIP pool (loopback, next to the VIP pools).
pub const DEFAULT_EIP_POOL: &str = "127.0.4.0/24";
/// The default vSwitch's CIDR.
pub const DEFAULT_VSWITCH_CIDR: &str = "127.0.2.0/24";
/// The default vSwitch id.
pub const DEFAULT_VSWITCH_ID: &str = "vsw-local";
/// The default VPC id.
pub const DEFAULT_VPC_ID: &str = "vpc-local";

/// The whole configuration file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalConfig {
    /// The region this server answers for (`RegionId`).
    pub region: String,
    /// CIDR of internet VIPs.
    pub vip_pool: String,
    /// IPv6 CIDR of the VIPs of `AddressIPVersion=ipv6` CLBs.
    pub ipv6_vip_pool: String,
    /// CIDR of the addresses `AllocateEipAddress` hands out.
    pub eip_pool: String,
    /// The region's zones, in order (`DescribeZones`, `DescribeAvailableResource`, and the
    /// zones `CreateLoadBalancer` accepts). Empty: see [`LocalConfig::zone_ids`].
    pub zones: Vec<String>,
    /// vSwitches; intranet LBs take their VIP from the vSwitch's CIDR.
    pub vswitches: Vec<VSwitchConfig>,
    /// Seed ECS instances (the admin action adds more).
    pub instances: Vec<Instance>,
    /// Seed ENIs.
    pub network_interfaces: Vec<NetworkInterface>,
    /// Quotas.
    pub quotas: Quotas,
    /// Faults to inject.
    pub faults: FaultConfig,
    /// Flow control per account and action, as Alibaba's (none unless configured): a preset
    /// name (`documented`) or quotas per action, `"*"` and an optional `preset`.
    pub rate_limits: crate::ratelimit::RateLimits,
    /// Bounds on the OpenAPI server's connections.
    pub api: ApiConfig,
    /// VPC route tables (optional: every VPC of `vswitches` gets its `System` table anyway).
    pub route_tables: Vec<RouteTableConfig>,
}

/// A route table of the config file; its entries live in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteTableConfig {
    /// `vtb-…`.
    pub id: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// `System` or `Custom` (default `Custom`).
    #[serde(default = "custom_table")]
    pub table_type: String,
    /// vSwitches bound to it.
    #[serde(default)]
    pub vswitch_ids: Vec<String>,
}

fn custom_table() -> String {
    "Custom".to_owned()
}

/// Bounds on the OpenAPI server's connections (see `server::listen`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Milliseconds a client has to send a complete request head; also how long a
    /// keep-alive connection may idle between requests.
    pub header_read_timeout_ms: u64,
    /// Milliseconds a connection may pass with no byte moving either way.
    pub idle_timeout_ms: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        let d = ConnectionLimits::default();
        Self {
            max_connections: d.max_connections,
            header_read_timeout_ms: millis(d.header_read_timeout),
            idle_timeout_ms: millis(d.idle_timeout),
        }
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl ApiConfig {
    /// The limits the server applies.
    pub fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            header_read_timeout: std::time::Duration::from_millis(self.header_read_timeout_ms),
            idle_timeout: std::time::Duration::from_millis(self.idle_timeout_ms),
        }
    }

    fn validate(&self) -> Result<(), String> {
        if self.max_connections == 0 {
            return Err("api.max_connections: 0 would refuse every client; use at least 1".into());
        }
        for (name, ms) in [
            ("header_read_timeout_ms", self.header_read_timeout_ms),
            ("idle_timeout_ms", self.idle_timeout_ms),
        ] {
            if ms == 0 {
                return Err(format!(
                    "api.{name}: 0 would cut every connection; use at least 1"
                ));
            }
        }
        Ok(())
    }
}

/// One vSwitch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VSwitchConfig {
    /// `vsw-…`.
    pub id: String,
    /// The VPC it belongs to.
    pub vpc_id: String,
    /// Its zone.
    #[serde(default)]
    pub zone_id: String,
    /// Its IPv4 CIDR.
    pub cidr: String,
}

/// Quotas of the account and per load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Quotas {
    /// Backend servers per LB, counted across all its vServer groups (Alibaba: 200).
    pub backends_per_load_balancer: usize,
    /// Listeners per LB (Alibaba: 50).
    pub listeners_per_load_balancer: usize,
    /// LBs per account.
    pub load_balancers_per_account: usize,
    /// Backend servers in one call (docs say 20; the CCM sends up to 40).
    pub backends_per_call: usize,
    /// Tags per resource (Alibaba: 20).
    pub tags_per_resource: usize,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            backends_per_load_balancer: 200,
            listeners_per_load_balancer: 50,
            load_balancers_per_account: 100,
            backends_per_call: 40,
            tags_per_resource: 20,
        }
    }
}

/// Faults to inject (also settable at run time through `LocalSetFaults`): the wire type of
/// that action, so the config file's `faults` section and the action's JSON cannot drift.
pub use slb_openapi::local_admin::{LocalFaults as FaultConfig, MAX_LATENCY_MS};

impl Default for LocalConfig {
    fn default() -> Self {
        Self {
            region: "cn-hangzhou".to_owned(),
            vip_pool: DEFAULT_VIP_POOL.to_owned(),
            ipv6_vip_pool: DEFAULT_IPV6_VIP_POOL.to_owned(),
            eip_pool: DEFAULT_EIP_POOL.to_owned(),
            zones: Vec::new(),
            vswitches: vec![VSwitchConfig {
                id: DEFAULT_VSWITCH_ID.to_owned(),
                vpc_id: DEFAULT_VPC_ID.to_owned(),
                zone_id: "cn-hangzhou-a".to_owned(),
                cidr: DEFAULT_VSWITCH_CIDR.to_owned(),
            }],
            instances: Vec::new(),
            network_interfaces: Vec::new(),
            quotas: Quotas::default(),
            faults: FaultConfig::default(),
            rate_limits: crate::ratelimit::RateLimits::new(),
            api: ApiConfig::default(),
            route_tables: Vec::new(),
        }
    }
}

/// Why a configuration is unusable.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("reading config file {path}: {source}")]
    Read {
        /// The path.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid YAML/JSON of the documented shape.
    #[error("parsing config file {path}: {source} (see the slb_local::config docs for the shape)")]
    Parse {
        /// The path.
        path: String,
        /// The parse error.
        #[source]
        source: serde_yaml::Error,
    },
    /// A value is out of range or malformed.
    #[error("invalid config: {0}")]
    Invalid(String),
}

impl LocalConfig {
    /// Reads and validates a YAML or JSON file.
    ///
    /// # Errors
    /// [`ConfigError`] naming the file and the problem.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        let config: Self = if text.trim().is_empty() {
            Self::default()
        } else {
            serde_yaml::from_str(&text).map_err(|source| ConfigError::Parse {
                path: path.display().to_string(),
                source,
            })?
        };
        config.validate()?;
        Ok(config)
    }

    /// Checks CIDRs, vSwitch uniqueness, instance IPs, faults and API bounds.
    ///
    /// # Errors
    /// [`ConfigError::Invalid`] naming the field and the fix.
    pub fn validate(&self) -> Result<(), ConfigError> {
        Cidr::parse(&self.vip_pool).map_err(|e| ConfigError::Invalid(format!("vip_pool: {e}")))?;
        Cidr6::parse(&self.ipv6_vip_pool)
            .map_err(|e| ConfigError::Invalid(format!("ipv6_vip_pool: {e}")))?;
        Cidr::parse(&self.eip_pool).map_err(|e| ConfigError::Invalid(format!("eip_pool: {e}")))?;
        let mut seen = std::collections::BTreeSet::new();
        for vsw in &self.vswitches {
            Cidr::parse(&vsw.cidr)
                .map_err(|e| ConfigError::Invalid(format!("vswitch {}: cidr: {e}", vsw.id)))?;
            if !seen.insert(vsw.id.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "vswitch id {} appears twice; give each vSwitch a unique id",
                    vsw.id
                )));
            }
        }
        for inst in &self.instances {
            inst.private_ip_address.parse::<Ipv4Addr>().map_err(|_| {
                ConfigError::Invalid(format!(
                    "instance {}: PrivateIpAddress {:?} is not an IPv4 address",
                    inst.instance_id, inst.private_ip_address
                ))
            })?;
        }
        for eni in &self.network_interfaces {
            if let Some(problem) = eni_address_problem(eni) {
                return Err(ConfigError::Invalid(format!(
                    "network_interfaces: {problem}"
                )));
            }
        }
        self.faults
            .validate()
            .map_err(|e| ConfigError::Invalid(format!("faults.{e}")))?;
        self.api.validate().map_err(ConfigError::Invalid)?;
        crate::ratelimit::validate(&self.rate_limits)
            .map_err(|e| ConfigError::Invalid(format!("rate_limits.{e}")))?;
        Ok(())
    }

    /// The region's zones: `zones`, else the vSwitches' zones padded with `<region>-a` and
    /// `<region>-b` to at least two (a CLB pairs a master with a standby zone).
    pub fn zone_ids(&self) -> Vec<String> {
        if !self.zones.is_empty() {
            return self.zones.clone();
        }
        let mut zones: Vec<String> = Vec::new();
        let vswitch_zones = self.vswitches.iter().map(|v| v.zone_id.clone());
        let defaults = ["a", "b"].map(|s| format!("{}-{s}", self.region));
        for z in vswitch_zones.chain(defaults) {
            if zones.len() >= 2 && !self.vswitches.iter().any(|v| v.zone_id == z) {
                break;
            }
            if !z.is_empty() && !zones.contains(&z) {
                zones.push(z);
            }
        }
        zones
    }

    /// The vSwitch with this id.
    pub fn vswitch(&self, id: &str) -> Option<&VSwitchConfig> {
        self.vswitches.iter().find(|v| v.id == id)
    }
}

/// What is wrong with an ENI's id or addresses (`None` when nothing): it needs an id, IPv4
/// `PrivateIpAddresses` and IPv6 `Ipv6Addresses`. Shared by the config file and
/// `LocalPutNetworkInterfaces`.
pub(crate) fn eni_address_problem(eni: &NetworkInterface) -> Option<String> {
    let id = &eni.network_interface_id;
    if id.is_empty() {
        return Some("an ENI has no NetworkInterfaceId; give each ENI its eni-… id".to_owned());
    }
    if let Some(ip) = eni
        .private_ip_addresses
        .iter()
        .find(|ip| ip.parse::<Ipv4Addr>().is_err())
    {
        return Some(format!(
            "{id}: PrivateIpAddresses entry {ip:?} is not an IPv4 address \
             (list IPv6 addresses under Ipv6Addresses)"
        ));
    }
    let bad = eni
        .ipv6_addresses
        .iter()
        .find(|ip| ip.parse::<Ipv6Addr>().is_err())?;
    Some(format!(
        "{id}: Ipv6Addresses entry {bad:?} is not an IPv6 address \
         (list IPv4 addresses under PrivateIpAddresses)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_eni(yaml_eni: &str) -> Result<(), ConfigError> {
        let eni: NetworkInterface = serde_yaml::from_str(yaml_eni).unwrap();
        LocalConfig {
            network_interfaces: vec![eni],
            ..LocalConfig::default()
        }
        .validate()
    }

    #[test]
    fn an_eni_may_carry_ipv6_addresses() {
        let eni = "{ NetworkInterfaceId: eni-1, PrivateIpAddresses: [10.0.0.1], \
                   Ipv6Addresses: [\"fd00::1\"] }";
        assert!(with_eni(eni).is_ok());
    }

    #[test]
    fn an_ipv6_address_listed_as_a_private_ip_is_refused_with_the_fix() {
        let eni = "{ NetworkInterfaceId: eni-1, PrivateIpAddresses: [\"fd00::1\"] }";
        let err = with_eni(eni).unwrap_err().to_string();
        assert!(err.contains("eni-1"), "{err}");
        assert!(err.contains("Ipv6Addresses"), "{err}");
    }

    #[test]
    fn an_ipv4_address_listed_as_an_ipv6_address_is_refused_with_the_fix() {
        let eni = "{ NetworkInterfaceId: eni-1, PrivateIpAddresses: [], \
                   Ipv6Addresses: [10.0.0.1] }";
        let err = with_eni(eni).unwrap_err().to_string();
        assert!(err.contains("10.0.0.1"), "{err}");
        assert!(err.contains("PrivateIpAddresses"), "{err}");
    }

    #[test]
    fn a_bad_ipv6_or_eip_pool_is_named_in_the_error() {
        for (field, config) in [
            (
                "ipv6_vip_pool",
                LocalConfig {
                    ipv6_vip_pool: "127.0.0.0/8".into(),
                    ..LocalConfig::default()
                },
            ),
            (
                "eip_pool",
                LocalConfig {
                    eip_pool: "fd00::/64".into(),
                    ..LocalConfig::default()
                },
            ),
        ] {
            let err = config.validate().unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        }
    }

    #[test]
    fn zones_come_from_the_config_then_the_vswitches_then_the_region() {
        let mut c = LocalConfig::default();
        assert_eq!(
            c.zone_ids(),
            ["cn-hangzhou-a", "cn-hangzhou-b"],
            "padded to two"
        );
        c.vswitches[0].zone_id = "cn-hangzhou-k".into();
        assert_eq!(c.zone_ids(), ["cn-hangzhou-k", "cn-hangzhou-a"]);
        c.vswitches.clear();
        assert_eq!(c.zone_ids(), ["cn-hangzhou-a", "cn-hangzhou-b"]);
        c.zones = vec!["z1".into()];
        assert_eq!(c.zone_ids(), ["z1"]);
    }
}
