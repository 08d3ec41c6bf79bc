//! The controller's cloud flags as a user types them: `--sg-batch-size` sets how many
//! backends one vServer group call carries (the reference CCM's flag, default 40).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use slb_controller::run::{CloudArgs, CloudKind};

/// The cloud flags of `slb-ccm controller` alone.
#[derive(clap::Parser)]
struct Flags {
    #[command(flatten)]
    cloud: CloudArgs,
}

fn flags(args: &[&str]) -> Result<Flags, clap::Error> {
    use clap::Parser as _;
    Flags::try_parse_from(std::iter::once("slb-ccm").chain(args.iter().copied()))
}

#[test]
fn vserver_group_calls_carry_40_backends_by_default_like_the_reference() {
    let cluster = flags(&[]).unwrap().cloud.cluster(CloudKind::Local, "c1");
    assert_eq!(cluster.batch_size, 40);
}

#[test]
fn sg_batch_size_sets_the_backends_per_call() {
    let parsed = flags(&["--sg-batch-size", "20"]).unwrap();
    assert_eq!(
        parsed.cloud.cluster(CloudKind::Alibaba, "c1").batch_size,
        20
    );
}

#[test]
fn an_sg_batch_size_outside_1_to_40_is_refused_with_the_range() {
    for bad in ["0", "41", "many"] {
        let err = flags(&["--sg-batch-size", bad]).err().unwrap().to_string();
        assert!(err.contains("from 1 to 40"), "{bad}: {err}");
    }
}
