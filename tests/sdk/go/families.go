package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// families is every family the client runs, in order. To add one, write a func(*api) and
// list it here.
var families = []struct {
	name string
	run  func(*api)
}{
	{"ecs_inventory", familyECSInventory},
	{"load_balancer", familyLoadBalancer},
	{"listeners", familyListeners},
	{"vserver_groups", familyVServerGroups},
	{"tags", familyTags},
	{"vpc_routes", familyVPCRoutes},
	{"certificates", familyCertificates},
	{"access_control_lists", familyAccessControlLists},
	{"domain_extensions", familyDomainExtensions},
	{"regions", familyRegions},
	{"eips", familyEIPs},
	{"errors", familyErrors},
	{"traffic", familyTraffic},
	{"ipv6", familyIPv6},
}

func jsonText(v any) string {
	out, err := json.Marshal(v)
	if err != nil {
		fail("json: %v", err)
	}
	return string(out)
}

func (a *api) createLB(name string, intranet bool) *slb.CreateLoadBalancerResponse {
	req := slb.CreateCreateLoadBalancerRequest()
	req.LoadBalancerName, req.LoadBalancerSpec = name, "slb.s1.small"
	if intranet {
		req.AddressType, req.VSwitchId = "intranet", a.s.vswitch
	} else {
		req.AddressType = "internet"
	}
	resp := slb.CreateCreateLoadBalancerResponse()
	a.do(a.slb, req, resp)
	check(strings.HasPrefix(resp.LoadBalancerId, "lb-") && resp.Address != "", "CreateLoadBalancer: %+v", resp)
	return resp
}

func (a *api) deleteLB(lb string) {
	req := slb.CreateDeleteLoadBalancerRequest()
	req.LoadBalancerId = lb
	a.do(a.slb, req, slb.CreateDeleteLoadBalancerResponse())
}

func (a *api) describeLB(lb string) *slb.DescribeLoadBalancerAttributeResponse {
	req := slb.CreateDescribeLoadBalancerAttributeRequest()
	req.LoadBalancerId = lb
	resp := slb.CreateDescribeLoadBalancerAttributeResponse()
	a.do(a.slb, req, resp)
	return resp
}

// familyLoadBalancer: create, list, attribute, name, protections, specs, charge type,
// status (also the admin lock), delete.
func familyLoadBalancer(a *api) {
	lb := a.createLB("sdk-lb", true).LoadBalancerId
	list := slb.CreateDescribeLoadBalancersRequest()
	list.LoadBalancerId = lb
	listed := slb.CreateDescribeLoadBalancersResponse()
	a.do(a.slb, list, listed)
	check(len(listed.LoadBalancers.LoadBalancer) == 1 && listed.LoadBalancers.LoadBalancer[0].LoadBalancerId == lb,
		"DescribeLoadBalancers: %+v", listed.LoadBalancers)
	name := slb.CreateSetLoadBalancerNameRequest()
	name.LoadBalancerId, name.LoadBalancerName = lb, "sdk-lb-renamed"
	a.do(a.slb, name, slb.CreateSetLoadBalancerNameResponse())
	a.setDeleteProtection(lb, "on")
	del := slb.CreateDeleteLoadBalancerRequest()
	del.LoadBalancerId = lb
	a.expectError(a.slb, del, slb.CreateDeleteLoadBalancerResponse(), "OperationDenied.DeleteProtectionIsOn", 400)
	a.setDeleteProtection(lb, "off")
	a.setModificationProtection(lb, "ConsoleProtection")
	spec := slb.CreateModifyLoadBalancerInstanceSpecRequest()
	spec.LoadBalancerId, spec.LoadBalancerSpec = lb, "slb.s2.small"
	a.do(a.slb, spec, slb.CreateModifyLoadBalancerInstanceSpecResponse())
	internet := slb.CreateModifyLoadBalancerInternetSpecRequest()
	internet.LoadBalancerId, internet.InternetChargeType = lb, "paybytraffic"
	a.do(a.slb, internet, slb.CreateModifyLoadBalancerInternetSpecResponse())
	a.setStatus(lb, "inactive")
	attr := a.describeLB(lb)
	got := fmt.Sprint(attr.LoadBalancerName, " ", attr.LoadBalancerSpec, " ", attr.LoadBalancerStatus, " ",
		attr.ModificationProtectionStatus, " ", attr.DeleteProtection)
	check(got == "sdk-lb-renamed slb.s2.small inactive ConsoleProtection off", "DescribeLoadBalancerAttribute: %s", got)
	a.setModificationProtection(lb, "NonProtection")
	a.lockAndCharge(lb)
	a.deleteLB(lb)
	gone := slb.CreateDescribeLoadBalancerAttributeRequest()
	gone.LoadBalancerId = lb
	a.expectError(a.slb, gone, slb.CreateDescribeLoadBalancerAttributeResponse(), "InvalidLoadBalancerId.NotFound", 404)
}

// lockAndCharge: a locked CLB refuses writes; PayByCLCU refuses spec changes.
func (a *api) lockAndCharge(lb string) {
	a.admin("LocalSetLoadBalancerStatus", map[string]string{"LoadBalancerId": lb, "LoadBalancerStatus": "locked"})
	name := slb.CreateSetLoadBalancerNameRequest()
	name.LoadBalancerId, name.LoadBalancerName = lb, "while-locked"
	a.expectError(a.slb, name, slb.CreateSetLoadBalancerNameResponse(), "ActionNotAllowed", 400)
	a.admin("LocalSetLoadBalancerStatus", map[string]string{"LoadBalancerId": lb, "LoadBalancerStatus": "active"})
	charge := slb.CreateModifyLoadBalancerInstanceChargeTypeRequest()
	charge.LoadBalancerId, charge.InstanceChargeType = lb, "PayByCLCU"
	a.do(a.slb, charge, slb.CreateModifyLoadBalancerInstanceChargeTypeResponse())
	check(a.describeLB(lb).InstanceChargeType == "PayByCLCU", "InstanceChargeType is not PayByCLCU")
	spec := slb.CreateModifyLoadBalancerInstanceSpecRequest()
	spec.LoadBalancerId, spec.LoadBalancerSpec = lb, "slb.s3.small"
	a.expectError(a.slb, spec, slb.CreateModifyLoadBalancerInstanceSpecResponse(), "OperationDenied.PayByCLCU", 400)
}

func (a *api) setDeleteProtection(lb, on string) {
	req := slb.CreateSetLoadBalancerDeleteProtectionRequest()
	req.LoadBalancerId, req.DeleteProtection = lb, on
	a.do(a.slb, req, slb.CreateSetLoadBalancerDeleteProtectionResponse())
}

func (a *api) setModificationProtection(lb, status string) {
	req := slb.CreateSetLoadBalancerModificationProtectionRequest()
	req.LoadBalancerId, req.ModificationProtectionStatus = lb, status
	if status == "ConsoleProtection" {
		req.ModificationProtectionReason = "sdk"
	}
	a.do(a.slb, req, slb.CreateSetLoadBalancerModificationProtectionResponse())
}

func (a *api) setStatus(lb, status string) {
	req := slb.CreateSetLoadBalancerStatusRequest()
	req.LoadBalancerId, req.LoadBalancerStatus = lb, status
	a.do(a.slb, req, slb.CreateSetLoadBalancerStatusResponse())
}

// familyVServerGroups: create, add, modify, set, attribute, remove, list, delete.
func familyVServerGroups(a *api) {
	a.putInstance("i-sdk-g1", "127.0.0.81")
	a.putInstance("i-sdk-g2", "127.0.0.82")
	lb := a.createLB("sdk-groups", true).LoadBalancerId
	one := jsonText([]map[string]any{{"ServerId": "i-sdk-g1", "Port": 30080, "Weight": 100, "Type": "ecs"}})
	two := []map[string]any{{"ServerId": "i-sdk-g2", "Port": 30080, "Weight": 50, "Type": "ecs"}}
	group := a.createGroup(lb, "sdk-group", one)
	add := slb.CreateAddVServerGroupBackendServersRequest()
	add.VServerGroupId, add.BackendServers = group, jsonText(two)
	a.do(a.slb, add, slb.CreateAddVServerGroupBackendServersResponse())
	modify := slb.CreateModifyVServerGroupBackendServersRequest()
	modify.VServerGroupId, modify.OldBackendServers = group, jsonText(two)
	two[0]["Weight"] = 20
	modify.NewBackendServers = jsonText(two)
	a.do(a.slb, modify, slb.CreateModifyVServerGroupBackendServersResponse())
	set := slb.CreateSetVServerGroupAttributeRequest()
	set.VServerGroupId, set.VServerGroupName = group, "sdk-group-renamed"
	a.do(a.slb, set, slb.CreateSetVServerGroupAttributeResponse())
	attr := slb.CreateDescribeVServerGroupAttributeRequest()
	attr.VServerGroupId = group
	got := slb.CreateDescribeVServerGroupAttributeResponse()
	a.do(a.slb, attr, got)
	var weights []string
	for _, b := range got.BackendServers.BackendServer {
		weights = append(weights, fmt.Sprintf("%s=%d", b.ServerId, b.Weight))
	}
	sort.Strings(weights)
	check(strings.Join(weights, ",") == "i-sdk-g1=100,i-sdk-g2=20", "backends: %v", weights)
	check(got.VServerGroupName == "sdk-group-renamed", "group name: %s", got.VServerGroupName)
	remove := slb.CreateRemoveVServerGroupBackendServersRequest()
	remove.VServerGroupId, remove.BackendServers = group, one
	a.do(a.slb, remove, slb.CreateRemoveVServerGroupBackendServersResponse())
	list := slb.CreateDescribeVServerGroupsRequest()
	list.LoadBalancerId = lb
	groups := slb.CreateDescribeVServerGroupsResponse()
	a.do(a.slb, list, groups)
	check(len(groups.VServerGroups.VServerGroup) == 1 && groups.VServerGroups.VServerGroup[0].VServerGroupId == group,
		"DescribeVServerGroups: %+v", groups.VServerGroups)
	del := slb.CreateDeleteVServerGroupRequest()
	del.VServerGroupId = group
	a.do(a.slb, del, slb.CreateDeleteVServerGroupResponse())
	a.expectError(a.slb, attr, slb.CreateDescribeVServerGroupAttributeResponse(), "InvalidParameter", 404)
	a.deleteLB(lb)
}

func (a *api) createGroup(lb, name, backends string) string {
	req := slb.CreateCreateVServerGroupRequest()
	req.LoadBalancerId, req.VServerGroupName, req.BackendServers = lb, name, backends
	resp := slb.CreateCreateVServerGroupResponse()
	a.do(a.slb, req, resp)
	check(strings.HasPrefix(resp.VServerGroupId, "rsp-"), "CreateVServerGroup: %+v", resp)
	return resp.VServerGroupId
}

// familyTags: TagResources/ListTagResources/UntagResources and AddTags/DescribeTags/RemoveTags.
func familyTags(a *api) {
	lb := a.createLB("sdk-tags", true).LoadBalancerId
	tag := slb.CreateTagResourcesRequest()
	tag.ResourceType, tag.ResourceId = "instance", &[]string{lb}
	tag.Tag = &[]slb.TagResourcesTag{{Key: "team", Value: "sdk"}, {Key: "env", Value: "test"}}
	a.do(a.slb, tag, slb.CreateTagResourcesResponse())
	check(a.listTags(lb) == "env=test,team=sdk", "ListTagResources: %s", a.listTags(lb))
	untag := slb.CreateUntagResourcesRequest()
	untag.ResourceType, untag.ResourceId, untag.TagKey = "instance", &[]string{lb}, &[]string{"env"}
	a.do(a.slb, untag, slb.CreateUntagResourcesResponse())
	owner := jsonText([]map[string]string{{"TagKey": "owner", "TagValue": "ops"}})
	add := slb.CreateAddTagsRequest()
	add.LoadBalancerId, add.Tags = lb, owner
	a.do(a.slb, add, slb.CreateAddTagsResponse())
	describe := slb.CreateDescribeTagsRequest()
	describe.LoadBalancerId = lb
	described := slb.CreateDescribeTagsResponse()
	a.do(a.slb, describe, described)
	var pairs []string
	for _, t := range described.TagSets.TagSet {
		pairs = append(pairs, t.TagKey+"="+t.TagValue)
	}
	sort.Strings(pairs)
	check(strings.Join(pairs, ",") == "owner=ops,team=sdk", "DescribeTags: %v", pairs)
	remove := slb.CreateRemoveTagsRequest()
	remove.LoadBalancerId, remove.Tags = lb, owner
	a.do(a.slb, remove, slb.CreateRemoveTagsResponse())
	check(a.listTags(lb) == "team=sdk", "after RemoveTags: %s", a.listTags(lb))
	a.deleteLB(lb)
}

func (a *api) listTags(lb string) string {
	req := slb.CreateListTagResourcesRequest()
	req.ResourceType, req.ResourceId = "instance", &[]string{lb}
	resp := slb.CreateListTagResourcesResponse()
	a.do(a.slb, req, resp)
	var pairs []string
	for _, t := range resp.TagResources.TagResource {
		pairs = append(pairs, t.TagKey+"="+t.TagValue)
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

// familyErrors: not found, an unknown key, a wrong secret, throttling, each parsed as a
// *ServerError.
func familyErrors(a *api) {
	missing := slb.CreateDescribeLoadBalancerAttributeRequest()
	missing.LoadBalancerId = "lb-doesnotexist"
	a.expectError(a.slb, missing, slb.CreateDescribeLoadBalancerAttributeResponse(), "InvalidLoadBalancerId.NotFound", 404)
	unknown, err := newAPI(a.s, "nobody", a.s.secret, a.calls)
	check(err == nil, "client: %v", err)
	unknown.expectError(unknown.slb, slb.CreateDescribeLoadBalancersRequest(), slb.CreateDescribeLoadBalancersResponse(),
		"InvalidAccessKeyId.NotFound", 404)
	wrong, err := newAPI(a.s, a.s.keyID, a.s.secret+"-wrong", a.calls)
	check(err == nil, "client: %v", err)
	se := wrong.expectError(wrong.slb, slb.CreateDescribeLoadBalancersRequest(), slb.CreateDescribeLoadBalancersResponse(),
		"SignatureDoesNotMatch", 400)
	// The SDK recognises a wrong secret when the server's string to sign equals its own.
	check(strings.Contains(se.Recommend(), "InvalidAccessKeySecret"), "string to sign differs: %s", se.Message())
	a.admin("LocalSetFaults", map[string]string{"Faults": `{"throttle":{"DescribeLoadBalancers":1.0}}`})
	a.admin("LocalDescribeFaults", map[string]string{})
	a.expectError(a.slb, slb.CreateDescribeLoadBalancersRequest(), slb.CreateDescribeLoadBalancersResponse(), "Throttling.User", 400)
	a.admin("LocalSetFaults", map[string]string{"Faults": `{}`})
	a.do(a.slb, slb.CreateDescribeLoadBalancersRequest(), slb.CreateDescribeLoadBalancersResponse())
}
