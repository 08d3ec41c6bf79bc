//! Length bounds on annotation values where the cloud has one, checked before the value is
//! parsed, so a Service the cloud would refuse is refused here with the limit and the fix.
//!
//! Only documented limits are enforced (drop-in rule: never refuse what the reference CCM
//! gets served): a CLB name is 1–80 characters (`LoadBalancerName`), and tag keys and values
//! are at most [`MAX_TAG_LEN`] characters (the local CLB's bound; Alibaba documents keys of
//! 1–64 and values of up to 128 for `TagResources`, so anything longer fails there too).
//! Other values are not bounded here; the CLI's tables cope with any length.

use super::Kind;

/// Longest tag key or value accepted in `additional-resource-tags`.
pub const MAX_TAG_LEN: usize = 128;
/// Longest CLB name (`LoadBalancerName` is 1–80 characters).
pub const MAX_NAME_LEN: usize = 80;

/// `Ok` when `raw` is within the bound of the annotation `short` (of kind `kind`); otherwise
/// what is allowed, in words.
pub(super) fn check(short: &str, kind: Kind, raw: &str) -> Result<(), String> {
    if short == "name" {
        let len = raw.trim().chars().count();
        if len > MAX_NAME_LEN {
            return Err(format!(
                "a CLB name of at most {MAX_NAME_LEN} characters (got {len}); Alibaba's \
                 LoadBalancerName is 1–{MAX_NAME_LEN} characters"
            ));
        }
    }
    if kind == Kind::Tags {
        return check_tags(raw);
    }
    Ok(())
}

/// Every key and value of `k1=v1,k2=…` within [`MAX_TAG_LEN`] characters.
fn check_tags(raw: &str) -> Result<(), String> {
    for item in raw.split(',') {
        let (k, v) = item.split_once('=').unwrap_or((item, ""));
        for (what, text) in [("key", k.trim()), ("value", v.trim())] {
            let len = text.chars().count();
            if len > MAX_TAG_LEN {
                return Err(format!(
                    "tag keys and values of at most {MAX_TAG_LEN} characters (a tag {what} has \
                     {len}); shorten it: a CLB refuses longer tags"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_of_eighty_characters_passes_and_eighty_one_is_refused() {
        assert_eq!(check("name", Kind::Text, &"n".repeat(80)), Ok(()));
        let err = check("name", Kind::Text, &"n".repeat(81)).unwrap_err();
        assert!(err.contains("at most 80 characters (got 81)"), "{err}");
    }

    #[test]
    fn tag_keys_and_values_are_bounded_separately() {
        let at_limit = format!("{}={}", "k".repeat(128), "v".repeat(128));
        assert_eq!(
            check("additional-resource-tags", Kind::Tags, &at_limit),
            Ok(())
        );
        let long_value = format!("a=1,k={}", "v".repeat(65_535));
        let err = check("additional-resource-tags", Kind::Tags, &long_value).unwrap_err();
        assert!(err.contains("a tag value has 65535"), "{err}");
        let long_key = "k".repeat(129);
        let err = check("additional-resource-tags", Kind::Tags, &long_key).unwrap_err();
        assert!(err.contains("a tag key has 129"), "{err}");
    }

    #[test]
    fn other_annotations_are_not_bounded() {
        assert_eq!(
            check("backend-label", Kind::Labels, &"x".repeat(70_000)),
            Ok(())
        );
    }
}
