//! `--controllers`: which controllers a replica runs, parsed like the reference CCM's flag
//! (`node,route,service,nlb` there): a comma-separated list of names, `*` for every one
//! and `-name` to leave one out. An unknown name is a start-up error, as in the reference.
//!
//! `nlb` (Network Load Balancers) is accepted so a reference command line keeps working, and
//! ignored with a warning: slb-ccm serves Classic Load Balancers only. `route` runs only with
//! `--configure-cloud-routes` (the reference's default is on; ours is off, since most clusters
//! use a CNI that needs no VPC routes).

/// The controllers a replica runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enabled {
    /// LoadBalancer Services → CLBs.
    pub service: bool,
    /// Node initialization, address/label sync, lifecycle.
    pub node: bool,
    /// VPC routes for pod CIDRs.
    pub route: bool,
    /// Asked for NLB (not served; warned about).
    pub nlb: bool,
}

/// Every name `--controllers` knows.
pub const NAMES: [&str; 4] = ["service", "node", "route", "nlb"];

/// The default: everything slb-ccm serves.
pub const DEFAULT: &str = "service,node,route";

/// An unusable `--controllers` value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--controllers: unknown controller {0:?}; known: service, node, route, nlb, * and -<name>")]
pub struct UnknownController(pub String);

impl Enabled {
    /// Parses the list (items already split on commas; blanks ignored).
    ///
    /// # Errors
    /// An unknown name.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<Self, UnknownController> {
        let mut on = [false; 4];
        for item in items.iter().map(|s| s.as_ref().trim()) {
            let (name, value) = match item.strip_prefix('-') {
                Some(name) => (name, false),
                None => (item, true),
            };
            match name {
                "" => {}
                "*" => on = [value; 4],
                _ => {
                    let index = NAMES
                        .iter()
                        .position(|n| *n == name)
                        .ok_or_else(|| UnknownController(item.to_owned()))?;
                    on[index] = value;
                }
            }
        }
        Ok(Self {
            service: on[0],
            node: on[1],
            route: on[2],
            nlb: on[3],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_runs_service_node_and_route() {
        let e = Enabled::parse(&DEFAULT.split(',').collect::<Vec<_>>()).unwrap();
        assert_eq!(
            e,
            Enabled {
                service: true,
                node: true,
                route: true,
                nlb: false
            }
        );
    }

    #[test]
    fn the_references_default_list_is_accepted() {
        let e = Enabled::parse(&["node", "route", "service", "nlb"]).unwrap();
        assert!(e.service && e.node && e.route && e.nlb);
    }

    #[test]
    fn star_and_minus_select_all_but_one() {
        let e = Enabled::parse(&["*", "-node"]).unwrap();
        assert!(e.service && !e.node && e.route && e.nlb);
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_known_ones() {
        let err = Enabled::parse(&["service", "nodes"]).unwrap_err();
        assert_eq!(err, UnknownController("nodes".into()));
        assert!(err.to_string().contains("known: service, node"));
    }
}
