//! Backend weights.
//!
//! The three generations of Local-mode weighting the FAQ describes are kept as named
//! functions (only [`pod_count`] is used by default; the others document history and let
//! tests pin the FAQ's example), plus the `default-weight` and `weight` annotations.
//! This module does not pick backends; it only turns counts into CLB weights (0–100).

/// Largest weight the CLB API accepts for a backend.
pub const MAX_WEIGHT: u32 = 100;
/// Weight of every backend in Cluster and ENI mode when `default-weight` is not set.
pub const DEFAULT_WEIGHT: u32 = 100;

/// Current generation (reference CCM ≥ v1.9.3.276, our default): a node's weight is the
/// number of ready pods it hosts, capped at [`MAX_WEIGHT`].
pub fn pod_count(pods_on_node: u32) -> u32 {
    pods_on_node.min(MAX_WEIGHT)
}

/// Second generation (v1.9.3.164 – v1.9.3.276): the node's share of all pods scaled to 100
/// and rounded down (1, 2, 3 pods → 16, 33, 50); never below 1 so a node with pods is not
/// silently drained.
pub fn percent_of_100(pods_on_node: u32, total_pods: u32) -> u32 {
    if total_pods == 0 {
        return 0;
    }
    let share = u64::from(pods_on_node) * u64::from(MAX_WEIGHT) / u64::from(total_pods);
    u32::try_from(share)
        .unwrap_or(MAX_WEIGHT)
        .clamp(1, MAX_WEIGHT)
}

/// First generation (before v1.9.3.164): every node gets 100 regardless of its pods.
pub fn flat_100() -> u32 {
    MAX_WEIGHT
}

/// The `weight` annotation: the total weight `service_weight` (0–100) this Service takes in
/// a vServer group shared with others (`vgroup-port`), split over its backends.
///
/// `pods_on_backend`/`total_pods` are the Local-mode pod counts; in Cluster and ENI mode pass
/// 1 and the number of backends. 0 drains every backend; otherwise never below 1.
pub fn shared_group_weight(service_weight: u32, pods_on_backend: u32, total_pods: u32) -> u32 {
    if service_weight == 0 || total_pods == 0 {
        return 0;
    }
    let w = u64::from(service_weight.min(MAX_WEIGHT)) * u64::from(pods_on_backend)
        / u64::from(total_pods);
    u32::try_from(w).unwrap_or(MAX_WEIGHT).clamp(1, MAX_WEIGHT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faq_example_pod_count_generation_gives_1_2_3() {
        let w: Vec<u32> = [1, 2, 3].into_iter().map(pod_count).collect();
        assert_eq!(w, vec![1, 2, 3]);
    }

    #[test]
    fn faq_example_percentage_generation_gives_16_33_50() {
        let w: Vec<u32> = [1, 2, 3]
            .into_iter()
            .map(|p| percent_of_100(p, 6))
            .collect();
        assert_eq!(w, vec![16, 33, 50]);
    }

    #[test]
    fn faq_example_flat_generation_gives_100_each() {
        let w: Vec<u32> = [1, 2, 3].into_iter().map(|_| flat_100()).collect();
        assert_eq!(w, vec![100, 100, 100]);
    }

    #[test]
    fn pod_count_caps_at_the_api_maximum() {
        assert_eq!(pod_count(250), 100);
        assert_eq!(pod_count(0), 0);
    }

    #[test]
    fn shared_group_weight_splits_the_service_total() {
        let cases = [
            // (service weight, pods on backend, total, expected)
            (0, 3, 6, 0),
            (60, 3, 6, 30),
            (60, 1, 6, 10),
            (10, 1, 40, 1),
            (100, 1, 1, 100),
            (50, 1, 0, 0),
        ];
        for (w, p, t, want) in cases {
            assert_eq!(
                shared_group_weight(w, p, t),
                want,
                "W={w} pods={p} total={t}"
            );
        }
    }
}
