//! The client-side ceiling on cloud calls: `--api-qps`, `--api-burst` and the per-class
//! `--api-read-qps` / `--api-write-qps`, turned into the OpenAPI governor's limits.
//!
//! By default there is no ceiling: the governor starts every action unlimited and adapts its
//! rate to the cloud's `Throttling*` answers (halving on one, growing back on successes).
//! A ceiling is for sharing an account's quota with other clients. This module only maps
//! flags to settings; the governor does the limiting.

use slb_openapi::governor::{GovernorConfig, RateLimit};

/// Flags capping the rate of cloud calls, per action.
#[derive(Debug, Clone, Default, PartialEq, clap::Args)]
pub struct ApiLimitArgs {
    /// Most calls per second of any one OpenAPI action (0: no ceiling; the rate still adapts
    /// to the cloud's throttling answers).
    #[arg(long, env = "SLB_API_QPS", default_value_t = 0.0)]
    pub api_qps: f64,
    /// Calls of one action allowed at once above the rate (0: the rate, rounded up).
    #[arg(long, env = "SLB_API_BURST", default_value_t = 0)]
    pub api_burst: u32,
    /// Ceiling for reads (`Describe*`, `List*`), per action; overrides `--api-qps` for them.
    #[arg(long, env = "SLB_API_READ_QPS")]
    pub api_read_qps: Option<f64>,
    /// Ceiling for writes (every other action), per action; overrides `--api-qps` for them.
    #[arg(long, env = "SLB_API_WRITE_QPS")]
    pub api_write_qps: Option<f64>,
}

impl ApiLimitArgs {
    /// Sets the governor's ceilings from these flags.
    pub fn apply(&self, governor: &mut GovernorConfig) {
        governor.default_rate = self.limit(self.api_qps);
        governor.read_rate = self.api_read_qps.map(|q| self.limit(q));
        governor.write_rate = self.api_write_qps.map(|q| self.limit(q));
    }

    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    fn limit(&self, qps: f64) -> RateLimit {
        if !(qps.is_finite() && qps > 0.0) {
            return RateLimit::UNLIMITED;
        }
        let burst = if self.api_burst > 0 {
            self.api_burst
        } else {
            qps.ceil().min(f64::from(u32::MAX)) as u32
        };
        RateLimit::new(qps, burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_flags_mean_no_ceiling() {
        let mut governor = GovernorConfig::default();
        ApiLimitArgs::default().apply(&mut governor);
        assert_eq!(
            governor.limit_for("CreateLoadBalancer"),
            RateLimit::UNLIMITED
        );
        assert_eq!(
            governor.limit_for("DescribeLoadBalancers"),
            RateLimit::UNLIMITED
        );
        assert!(governor.adaptive.is_some());
    }

    #[test]
    fn qps_and_burst_cap_every_action_and_classes_override() {
        let mut governor = GovernorConfig::default();
        ApiLimitArgs {
            api_qps: 20.0,
            api_burst: 40,
            api_read_qps: Some(50.0),
            api_write_qps: None,
        }
        .apply(&mut governor);
        assert_eq!(
            governor.limit_for("CreateLoadBalancer"),
            RateLimit::new(20.0, 40)
        );
        assert_eq!(
            governor.limit_for("ListTagResources"),
            RateLimit::new(50.0, 40)
        );
    }

    #[test]
    fn burst_defaults_to_the_rate_rounded_up() {
        let mut governor = GovernorConfig::default();
        ApiLimitArgs {
            api_qps: 1.5,
            ..ApiLimitArgs::default()
        }
        .apply(&mut governor);
        assert_eq!(
            governor.limit_for("CreateVServerGroup"),
            RateLimit::new(1.5, 2)
        );
    }
}
