//! Text output of the operator commands: aligned tables, one line per planned call, the CLB
//! table and the weight/split bar chart. Pure functions from values to strings, so they are
//! tested without a terminal.
//!
//! No colours and no terminal control here (progress lines live with the traffic generator).

use slb_model::{Action, GroupRef, LbRef, ObservedLb};

/// Widest a column gets; longer cells overflow it.
pub const MAX_COLUMN_WIDTH: usize = 120;

/// A table with a header row; columns are padded to their widest cell.
#[derive(Debug, Clone, Default)]
pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column titles.
    pub fn new(header: &[&str]) -> Self {
        Self {
            rows: vec![header.iter().map(|h| (*h).to_owned()).collect()],
        }
    }

    /// Appends a row.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table, every line indented by `indent` spaces, trailing spaces trimmed.
    ///
    /// A column is as wide as its widest cell up to [`MAX_COLUMN_WIDTH`]; a longer cell
    /// overflows its column instead of widening every row (and any length renders: padding
    /// is written by hand, never through a format width, which panics past 65,535).
    pub fn render(&self, indent: usize) -> String {
        let columns = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..columns)
            .map(|c| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(c))
                    .map(|s| s.chars().count())
                    .filter(|w| *w <= MAX_COLUMN_WIDTH)
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        for row in &self.rows {
            let mut line = " ".repeat(indent);
            for (cell, width) in row.iter().zip(&widths) {
                line.push_str(cell);
                let pad = width.saturating_sub(cell.chars().count()) + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

fn lb(r: &LbRef) -> String {
    match r {
        LbRef::Created => "(new CLB)".to_owned(),
        LbRef::Id(id) => id.clone(),
    }
}

fn group(r: &GroupRef) -> String {
    match r {
        GroupRef::Pending(name) => name.clone(),
        GroupRef::Id(id) => id.clone(),
    }
}

fn members(backends: &[slb_model::BackendServer]) -> String {
    backends
        .iter()
        .map(|b| {
            let who = b.server_ip.as_deref().unwrap_or(&b.server_id);
            format!("{who}:{} w{}", b.port, b.weight)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn pairs(tags: &[(String, String)]) -> String {
    tags.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// What an action applies to and its interesting parameters, for the plan table.
pub fn describe(action: &Action) -> (String, String) {
    describe_listener(action)
        .or_else(|| describe_lb(action))
        .or_else(|| describe_lb_settings(action))
        .or_else(|| describe_group(action))
        .or_else(|| describe_other(action))
        .unwrap_or_default()
}

/// A listener create or attribute change: its group, scheduler and the fields it sets.
fn describe_listener(action: &Action) -> Option<(String, String)> {
    let (protocol, p) = action.listener_params()?;
    let mut details = Vec::new();
    if let Some(g) = &p.vserver_group {
        details.push(format!("group {}", group(g)));
    }
    if let Some(s) = &p.attributes.scheduler {
        details.push(format!("scheduler {s}"));
    }
    let others: Vec<&str> = p
        .attributes
        .set_fields()
        .into_iter()
        .filter(|f| *f != "scheduler")
        .collect();
    if !others.is_empty() {
        details.push(format!("sets {}", others.join(", ")));
    }
    let target = format!(
        "{} {}:{}",
        lb(&p.load_balancer),
        protocol.as_str(),
        p.listener_port
    );
    Some((target, details.join("; ")))
}

/// Creating the CLB, its name and specs.
fn describe_lb(action: &Action) -> Option<(String, String)> {
    use Action as A;
    let described = match action {
        A::CreateLoadBalancer(c) => (
            "(new CLB)".to_owned(),
            format!(
                "{} {}, {}, name {}; tags {}",
                c.address_type,
                c.load_balancer_spec.as_deref().unwrap_or("shared"),
                c.instance_charge_type,
                c.load_balancer_name,
                pairs(&c.tags)
            ),
        ),
        A::SetLoadBalancerName {
            load_balancer,
            load_balancer_name,
        } => (lb(load_balancer), format!("name {load_balancer_name}")),
        A::ModifyLoadBalancerInternetSpec {
            load_balancer,
            internet_charge_type,
            bandwidth,
        } => (
            lb(load_balancer),
            format!(
                "charge {}, bandwidth {}",
                internet_charge_type.as_deref().unwrap_or("unchanged"),
                bandwidth.map_or("unchanged".to_owned(), |b| format!("{b} Mbps"))
            ),
        ),
        A::ModifyLoadBalancerInstanceSpec {
            load_balancer,
            load_balancer_spec,
        } => (lb(load_balancer), format!("spec {load_balancer_spec}")),
        _ => return None,
    };
    Some(described)
}

/// Charge type, protections, tags and deletion of the CLB.
fn describe_lb_settings(action: &Action) -> Option<(String, String)> {
    use Action as A;
    let described = match action {
        A::ModifyLoadBalancerInstanceChargeType {
            load_balancer,
            instance_charge_type,
        } => (lb(load_balancer), format!("charge {instance_charge_type}")),
        A::SetLoadBalancerDeleteProtection {
            load_balancer,
            delete_protection,
        } => (
            lb(load_balancer),
            format!("delete protection {}", on_off(*delete_protection)),
        ),
        A::SetLoadBalancerModificationProtection {
            load_balancer,
            modification_protection_status,
            ..
        } => (lb(load_balancer), modification_protection_status.clone()),
        A::TagResources {
            load_balancer,
            tags,
        } => (lb(load_balancer), pairs(tags)),
        A::UntagResources {
            load_balancer,
            tag_keys,
        } => (lb(load_balancer), tag_keys.join(", ")),
        A::DeleteLoadBalancer { load_balancer_id } => (load_balancer_id.clone(), String::new()),
        _ => return None,
    };
    Some(described)
}

/// An action on a vServer group.
fn describe_group(action: &Action) -> Option<(String, String)> {
    use Action as A;
    let described = match action {
        A::CreateVServerGroup {
            load_balancer,
            vserver_group_name,
            backend_servers,
        } if backend_servers.is_empty() => {
            (lb(load_balancer), format!("name {vserver_group_name}"))
        }
        A::CreateVServerGroup {
            load_balancer,
            vserver_group_name,
            backend_servers,
        } => (
            lb(load_balancer),
            format!("name {vserver_group_name}, {}", members(backend_servers)),
        ),
        A::AddVServerGroupBackendServers {
            vserver_group,
            backend_servers,
        }
        | A::RemoveVServerGroupBackendServers {
            vserver_group,
            backend_servers,
        }
        | A::SetVServerGroupAttribute {
            vserver_group,
            backend_servers,
        } => (group(vserver_group), members(backend_servers)),
        A::DeleteVServerGroup { vserver_group_id } => (vserver_group_id.clone(), String::new()),
        _ => return None,
    };
    Some(described)
}

/// Listener start, stop and delete; domain extensions.
fn describe_other(action: &Action) -> Option<(String, String)> {
    use Action as A;
    let described = match action {
        A::StartLoadBalancerListener {
            load_balancer,
            listener_port,
            listener_protocol,
        }
        | A::StopLoadBalancerListener {
            load_balancer,
            listener_port,
            listener_protocol,
        }
        | A::DeleteLoadBalancerListener {
            load_balancer,
            listener_port,
            listener_protocol,
        } => (
            format!(
                "{} {}:{listener_port}",
                lb(load_balancer),
                listener_protocol.as_str()
            ),
            String::new(),
        ),
        A::CreateDomainExtension {
            load_balancer,
            listener_port,
            domain,
            server_certificate_id,
        } => (
            format!("{} https:{listener_port}", lb(load_balancer)),
            format!("{domain} → {server_certificate_id}"),
        ),
        A::SetDomainExtensionAttribute {
            domain_extension_id,
            server_certificate_id,
        } => (
            domain_extension_id.clone(),
            format!("certificate {server_certificate_id}"),
        ),
        A::DeleteDomainExtension {
            domain_extension_id,
        } => (domain_extension_id.clone(), String::new()),
        _ => return None,
    };
    Some(described)
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

/// The plan as a numbered table of calls.
pub fn actions_table(actions: &[Action]) -> String {
    let mut table = Table::new(&["#", "CALL", "TARGET", "DETAILS"]);
    for (i, action) in actions.iter().enumerate() {
        let (target, details) = describe(action);
        table.row(vec![
            (i + 1).to_string(),
            action.api_name().to_owned(),
            target,
            details,
        ]);
    }
    table.render(2)
}

/// One CLB: a summary line, then its listeners with their backends.
pub fn clb_table(lb: &ObservedLb) -> String {
    let mut out = format!(
        "  CLB {}  VIP {}  {}  {}  {}\n",
        lb.load_balancer_id,
        lb.address,
        lb.address_type,
        if lb.load_balancer_spec.is_empty() {
            "shared"
        } else {
            &lb.load_balancer_spec
        },
        lb.load_balancer_name
    );
    let mut table = Table::new(&[
        "LISTENER",
        "STATUS",
        "SCHEDULER",
        "VSERVER GROUP",
        "BACKENDS",
    ]);
    for l in &lb.listeners {
        let g = lb.group_by_id(&l.vserver_group_id);
        let backends = g.map(|g| members(&g.backend_servers)).unwrap_or_default();
        table.row(vec![
            format!("{}:{}", l.listener_protocol.as_str(), l.listener_port),
            l.status.clone(),
            l.attributes.scheduler.clone().unwrap_or_default(),
            g.map_or(l.vserver_group_id.clone(), |g| {
                format!("{} ({})", g.vserver_group_id, g.vserver_group_name)
            }),
            backends,
        ]);
    }
    out.push_str(&table.render(2));
    out
}

/// One bar-chart line: `label` padded, the weight, the expected and observed shares and a bar
/// of `width` characters at 100 %.
pub fn split_line(label: &str, weight: u32, expected: f64, observed: f64, width: usize) -> String {
    // Rounded to whole characters; at most `width`, so the chart never wraps.
    let cells = ((observed * width as f64).round() as usize).min(width);
    format!(
        "    {label:<8} weight {weight:>3}  expected {:>5.1}%  observed {:>5.1}%  {}",
        expected * 100.0,
        observed * 100.0,
        "█".repeat(cells)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use slb_model::{BackendServer, BackendType};

    #[test]
    fn tables_pad_every_column_to_its_widest_cell() {
        let mut t = Table::new(&["A", "LONG HEADER"]);
        t.row(vec!["wide cell".into(), "x".into()]);
        assert_eq!(
            t.render(1),
            " A          LONG HEADER\n wide cell  x\n",
            "columns line up and trailing spaces are trimmed"
        );
    }

    #[test]
    fn a_cell_of_any_length_renders_and_does_not_widen_its_column() {
        let huge = "v".repeat(70_000);
        let mut t = Table::new(&["KEY", "VALUE"]);
        t.row(vec![huge.clone(), "x".into()]);
        t.row(vec!["short".into(), "y".into()]);
        let text = t.render(0);
        assert!(
            text.contains(&format!("{huge}  x\n")),
            "the long cell is kept whole"
        );
        assert!(text.contains("short  y\n"), "other rows keep their width");
    }

    #[test]
    fn member_batches_show_server_port_and_weight() {
        let b = |id: &str, w| BackendServer {
            server_id: id.into(),
            r#type: BackendType::Ecs,
            server_ip: None,
            port: 30080,
            weight: w,
            description: String::new(),
        };
        let action = Action::AddVServerGroupBackendServers {
            vserver_group: GroupRef::Pending("k8s/30080/web/default/local".into()),
            backend_servers: vec![b("i-local-node-a", 1), b("i-local-node-c", 3)],
        };
        assert_eq!(
            describe(&action),
            (
                "k8s/30080/web/default/local".to_owned(),
                "i-local-node-a:30080 w1, i-local-node-c:30080 w3".to_owned()
            )
        );
    }

    #[test]
    fn split_lines_draw_a_bar_proportional_to_the_observed_share() {
        let line = split_line("node-c", 3, 0.5, 0.5, 20);
        assert!(line.contains("weight   3"), "{line}");
        assert!(line.contains("expected  50.0%  observed  50.0%"), "{line}");
        assert_eq!(line.matches('█').count(), 10);
    }
}
