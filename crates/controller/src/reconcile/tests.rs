use super::*;

#[test]
fn a_clb_id_is_recorded_as_the_cloud_answered_it() {
    assert_eq!(
        recorded_id(Some("lb-bp1abc2def3")).unwrap().as_deref(),
        Some("lb-bp1abc2def3")
    );
    assert_eq!(recorded_id(None).unwrap(), None, "no CLB, no label");
}

#[test]
fn an_empty_or_malformed_clb_id_is_refused_instead_of_written_into_the_label() {
    let too_long = format!("lb-{}", "a".repeat(61));
    for bad in ["", " ", "lb bad", "-lb", "lb-", "lb/1", too_long.as_str()] {
        match recorded_id(Some(bad)) {
            Err(Error::MalformedLoadBalancerId(id)) => assert_eq!(id, bad),
            other => panic!("{bad:?}: expected a refusal, got {other:?}"),
        }
    }
}
