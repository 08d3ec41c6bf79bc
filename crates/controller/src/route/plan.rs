//! The route controller's decisions, pure: which route entries a table should gain, which it
//! should lose, and which of the Nodes' routes cannot be written because someone else's entry
//! holds the destination (spec `ccm-nodes-routes.md` §7, with the fixes of §9 #3, #9, #10).
//!
//! Ownership: an entry belongs to the cluster when its destination lies inside
//! `--cluster-cidr` **and** it either carries this cluster's marker (the `Description`
//! slb-ccm writes on every entry it creates) or its next hop is the instance of a current
//! Node. Only owned entries are ever deleted: a Node's stale route (its pod CIDR changed),
//! and a marked route whose next hop is no longer a Node (the Node was deleted, also while
//! the controller was down). An entry outside the cluster CIDR, or pointing at an instance
//! that is no Node without the marker, is never touched; when it holds a Node's destination
//! that Node's route is a conflict, reported and not attempted.
//!
//! Nothing here performs I/O or knows about Kubernetes objects.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;

/// An IPv4 CIDR, normalized (host bits cleared), as the VPC stores destinations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    network: u32,
    prefix: u8,
}

impl Cidr {
    /// Parses `a.b.c.d/n`; `None` for anything else (IPv6 included).
    pub fn parse(s: &str) -> Option<Self> {
        let (ip, len) = s.trim().split_once('/')?;
        let ip: Ipv4Addr = ip.parse().ok()?;
        let prefix: u8 = len.parse().ok().filter(|p| *p <= 32)?;
        Some(Self {
            network: u32::from(ip) & Self::mask(prefix),
            prefix,
        })
    }

    fn mask(prefix: u8) -> u32 {
        u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
    }

    /// True when `other` lies entirely inside this block.
    pub fn contains(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix && other.network & Self::mask(self.prefix) == self.network
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", Ipv4Addr::from(self.network), self.prefix)
    }
}

/// What the planner needs of one Node: its name, its ECS instance and its IPv4 pod CIDR.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRoute {
    /// The Node's name.
    pub name: String,
    /// Its instance id (from the providerID, `alicloud://` prefix or not).
    pub instance: String,
    /// Its IPv4 pod CIDR, if it has one.
    pub cidr: Option<Cidr>,
}

/// One custom `Instance` entry of a route table, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `DestinationCidrBlock` (unparseable ones are never planned on).
    pub destination: String,
    /// `NextHopId`.
    pub next_hop: String,
    /// `Description`.
    pub description: String,
}

/// A route to create or delete: destination and next-hop instance.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// The destination, as listed (deletes) or normalized (creates).
    pub destination: String,
    /// The next-hop instance.
    pub next_hop: String,
}

/// A Node whose route cannot be written: another entry the cluster does not own holds the
/// destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The Node.
    pub node: String,
    /// Its pod CIDR.
    pub destination: String,
    /// Its instance.
    pub wanted: String,
    /// The next hop of the entry holding the destination.
    pub holder: String,
}

impl Conflict {
    /// The event text: the exact reason and the remedy.
    pub fn reason(&self) -> String {
        format!(
            "the route table already sends {} to instance {}, not to this Node's instance {}; \
             slb-ccm does not replace a route it did not create: delete that entry or give the \
             Node another pod CIDR",
            self.destination, self.holder, self.wanted
        )
    }
}

/// What to do to one route table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoutePlan {
    /// Entries to create.
    pub create: Vec<Route>,
    /// Owned entries to delete.
    pub delete: Vec<Route>,
    /// Nodes whose route is blocked.
    pub conflicts: Vec<Conflict>,
    /// Nodes whose route is already in place.
    pub present: Vec<String>,
}

/// Plans one table: `nodes` (all current Nodes with an instance), the table's custom
/// `Instance` entries, the cluster CIDR and the marker slb-ccm writes into `Description`.
pub fn plan_routes(
    nodes: &[NodeRoute],
    entries: &[Entry],
    cluster_cidr: &Cidr,
    marker: &str,
) -> RoutePlan {
    let instances: BTreeSet<&str> = nodes.iter().map(|n| n.instance.as_str()).collect();
    let wanted: BTreeMap<Cidr, &NodeRoute> = nodes
        .iter()
        .filter_map(|n| n.cidr.filter(|c| cluster_cidr.contains(c)).map(|c| (c, n)))
        .collect();
    let mut plan = RoutePlan::default();
    let mut held: BTreeMap<Cidr, &Entry> = BTreeMap::new();
    for entry in entries {
        let Some(dest) = Cidr::parse(&entry.destination) else {
            continue;
        };
        let owned = cluster_cidr.contains(&dest)
            && (entry.description == marker || instances.contains(entry.next_hop.as_str()));
        let keep = wanted
            .get(&dest)
            .is_some_and(|n| n.instance == entry.next_hop);
        if owned && !keep {
            plan.delete.push(Route {
                destination: entry.destination.clone(),
                next_hop: entry.next_hop.clone(),
            });
        } else {
            held.insert(dest, entry);
        }
    }
    for (dest, node) in &wanted {
        match held.get(dest) {
            Some(e) if e.next_hop == node.instance => plan.present.push(node.name.clone()),
            Some(e) => plan.conflicts.push(Conflict {
                node: node.name.clone(),
                destination: dest.to_string(),
                wanted: node.instance.clone(),
                holder: e.next_hop.clone(),
            }),
            None => plan.create.push(Route {
                destination: dest.to_string(),
                next_hop: node.instance.clone(),
            }),
        }
    }
    plan
}

#[cfg(test)]
mod tests;
