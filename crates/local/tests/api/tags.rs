//! Tag actions: the resource-tag API over LBs, listeners and groups, limits, legacy calls.

use slb_openapi::Clb;
use slb_openapi::clb::*;
use slb_openapi::types::{ResourceType, Tag, TagKv};

use crate::support::*;

fn tag_req(rtype: ResourceType, id: &str, tags: Vec<Tag>) -> TagResourcesRequest {
    TagResourcesRequest {
        resource_type: rtype,
        resource_ids: vec![id.into()],
        tags,
        ..Default::default()
    }
}

async fn list(h: &Harness, rtype: ResourceType, id: &str) -> Vec<(String, String)> {
    let req = ListTagResourcesRequest {
        resource_type: rtype,
        resource_ids: vec![id.into()],
        ..Default::default()
    };
    h.client
        .list_tag_resources(&req)
        .await
        .unwrap()
        .tag_resources
        .into_iter()
        .map(|t| (t.tag_key, t.tag_value))
        .collect()
}

#[tokio::test]
async fn lbs_listeners_and_groups_are_tagged_listed_and_untagged() {
    let h = start().await;
    let lb = create_lb(&h, "t").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    h.client
        .create_tcp_listener(&tcp_listener(&lb, 80, &group))
        .await
        .unwrap();
    let listener_id = format!("{lb}_tcp_80");
    for (rtype, id) in [
        (ResourceType::Instance, lb.as_str()),
        (ResourceType::Listener, &listener_id),
        (ResourceType::VServerGroup, &group),
    ] {
        h.client
            .tag_resources(&tag_req(
                rtype,
                id,
                vec![Tag::new("owner", "k8s"), Tag::new("env", "dev")],
            ))
            .await
            .unwrap();
        assert_eq!(
            list(&h, rtype, id).await,
            vec![("env".into(), "dev".into()), ("owner".into(), "k8s".into())]
        );
        let untag = UntagResourcesRequest {
            resource_type: rtype,
            resource_ids: vec![id.into()],
            tag_keys: vec!["env".into()],
            ..Default::default()
        };
        h.client.untag_resources(&untag).await.unwrap();
        assert_eq!(
            list(&h, rtype, id).await,
            vec![("owner".into(), "k8s".into())]
        );
    }
    let by_tag = ListTagResourcesRequest {
        resource_type: ResourceType::Instance,
        tags: vec![Tag::new("owner", "k8s")],
        ..Default::default()
    };
    let hits = h
        .client
        .list_tag_resources(&by_tag)
        .await
        .unwrap()
        .tag_resources;
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].resource_id, lb);
}

#[tokio::test]
async fn list_tag_resources_needs_ids_or_tags() {
    let h = start().await;
    let req = ListTagResourcesRequest {
        resource_type: ResourceType::Instance,
        ..Default::default()
    };
    assert_code(
        h.client.list_tag_resources(&req).await,
        "MissingParam.TagOrResourceId",
        400,
    );
}

#[tokio::test]
async fn tag_limits_and_reserved_keys_are_enforced() {
    let h = start().await;
    let lb = create_lb(&h, "t").await.load_balancer_id;
    let twenty: Vec<Tag> = (0..20).map(|i| Tag::new(format!("k{i}"), "v")).collect();
    h.client
        .tag_resources(&tag_req(ResourceType::Instance, &lb, twenty))
        .await
        .unwrap();
    assert_code(
        h.client
            .tag_resources(&tag_req(
                ResourceType::Instance,
                &lb,
                vec![Tag::new("one-more", "v")],
            ))
            .await,
        "QuotaExceed.TagsPerResource",
        400,
    );
    assert_code(
        h.client
            .tag_resources(&tag_req(
                ResourceType::Instance,
                &lb,
                vec![Tag::new("aliyun:x", "v")],
            ))
            .await,
        "InvalidParameter",
        400,
    );
    assert_code(
        h.client
            .tag_resources(&tag_req(
                ResourceType::Instance,
                &lb,
                vec![Tag::new("k0", "v".repeat(129))],
            ))
            .await,
        "SizeLimitExceeded.Tag",
        400,
    );
    assert_code(
        h.client
            .tag_resources(&tag_req(
                ResourceType::Instance,
                "lb-ghost",
                vec![Tag::new("a", "b")],
            ))
            .await,
        "InvalidLoadBalancerId.NotFound",
        404,
    );
}

#[tokio::test]
async fn legacy_add_describe_and_remove_tags_work_on_lbs() {
    let h = start().await;
    let lb = create_lb(&h, "t").await.load_balancer_id;
    let add = AddTagsRequest {
        load_balancer_id: lb.clone(),
        tags: vec![TagKv::new("a", "1"), TagKv::new("b", "2")],
        ..Default::default()
    };
    h.client.add_tags(&add).await.unwrap();
    let described = h
        .client
        .describe_tags(&DescribeTagsRequest {
            load_balancer_id: Some(lb.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(described.tag_sets.len(), 2);
    assert_eq!(described.tag_sets[0].instance_count, 1);
    let remove = RemoveTagsRequest {
        load_balancer_id: lb.clone(),
        tags: vec![TagKv::new("a", "1")],
        ..Default::default()
    };
    h.client.remove_tags(&remove).await.unwrap();
    assert_eq!(
        list(&h, ResourceType::Instance, &lb).await,
        vec![("b".into(), "2".into())]
    );
}

#[tokio::test]
async fn deleting_an_lb_removes_its_tags_listeners_and_groups() {
    let h = start().await;
    let lb = create_lb(&h, "t").await.load_balancer_id;
    let group = create_group(&h, &lb).await;
    h.client
        .tag_resources(&tag_req(
            ResourceType::Instance,
            &lb,
            vec![Tag::new("x", "y")],
        ))
        .await
        .unwrap();
    h.client
        .delete_load_balancer(&DeleteLoadBalancerRequest {
            load_balancer_id: lb.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    let by_tag = ListTagResourcesRequest {
        resource_type: ResourceType::Instance,
        tags: vec![Tag::new("x", "y")],
        ..Default::default()
    };
    assert!(
        h.client
            .list_tag_resources(&by_tag)
            .await
            .unwrap()
            .tag_resources
            .is_empty()
    );
    let attr = DescribeVServerGroupAttributeRequest {
        vserver_group_id: group,
        ..Default::default()
    };
    assert_code(
        h.client.describe_vserver_group_attribute(&attr).await,
        "InvalidParameter",
        404,
    );
}

/// slb-ccm reads a CLB's tags from its attribute instead of the tag API: the answer carries
/// them as Alibaba documents it (`"Tags":{"Tag":[{"TagKey","TagValue"}]}`, as in
/// DescribeLoadBalancers items), and the typed client reads them.
#[tokio::test]
async fn describe_load_balancer_attribute_carries_the_instance_tags_as_documented() {
    let h = start().await;
    let lb = create_lb(&h, "t").await.load_balancer_id;
    let tags = vec![
        Tag::new("kubernetes.do.not.delete", "a1b2"),
        Tag::new("ack.aliyun.com", "c-1"),
    ];
    h.client
        .tag_resources(&tag_req(ResourceType::Instance, &lb, tags))
        .await
        .unwrap();
    let (status, body) = raw(
        h.addr,
        "GET",
        "DescribeLoadBalancerAttribute",
        &[("LoadBalancerId", &lb)],
    )
    .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    assert_eq!(
        body["Tags"],
        serde_json::json!({"Tag": [
            {"TagKey": "ack.aliyun.com", "TagValue": "c-1"},
            {"TagKey": "kubernetes.do.not.delete", "TagValue": "a1b2"},
        ]})
    );
    let req = DescribeLoadBalancerAttributeRequest {
        load_balancer_id: lb,
        ..Default::default()
    };
    let attr = h
        .client
        .describe_load_balancer_attribute(&req)
        .await
        .unwrap();
    let typed: Vec<(&str, &str)> = attr
        .summary
        .tags
        .iter()
        .map(|t| (t.tag_key.as_str(), t.tag_value.as_str()))
        .collect();
    assert_eq!(
        typed,
        [
            ("ack.aliyun.com", "c-1"),
            ("kubernetes.do.not.delete", "a1b2")
        ]
    );
}
