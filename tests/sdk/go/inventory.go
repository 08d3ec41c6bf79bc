package main

import (
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/ecs"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

func (a *api) putInstance(id, ip string) {
	a.admin("LocalPutInstances", map[string]string{"Instances": jsonText([]map[string]string{{
		"InstanceId": id, "PrivateIpAddress": ip, "VpcId": a.s.vpc, "VSwitchId": a.s.vswitch,
		"ZoneId": "cn-hangzhou-a", "InstanceName": id,
	}})})
}

func (a *api) describeInstances(ids ...string) map[string]ecs.Instance {
	req := ecs.CreateDescribeInstancesRequest()
	req.InstanceIds = jsonText(ids)
	resp := ecs.CreateDescribeInstancesResponse()
	a.do(a.ecs, req, resp)
	found := map[string]ecs.Instance{}
	for _, i := range resp.Instances.Instance {
		found[i.InstanceId] = i
	}
	return found
}

// familyECSInventory: Local* seeding, then DescribeInstances and DescribeNetworkInterfaces.
func familyECSInventory(a *api) {
	a.putInstance("i-sdk-a", "127.0.0.71")
	a.putInstance("i-sdk-b", "127.0.0.72")
	found := a.describeInstances("i-sdk-a", "i-sdk-b")
	check(len(found) == 2, "DescribeInstances: %v", found)
	ips := found["i-sdk-a"].VpcAttributes.PrivateIpAddress.IpAddress
	check(len(ips) == 1 && ips[0] == "127.0.0.71", "DescribeInstances address: %v", ips)
	a.admin("LocalPutNetworkInterfaces", map[string]string{"NetworkInterfaces": jsonText([]map[string]any{{
		"NetworkInterfaceId": "eni-sdk", "PrivateIpAddresses": []string{"127.0.0.73"},
		"VpcId": a.s.vpc, "VSwitchId": a.s.vswitch, "InstanceId": "i-sdk-a",
	}})})
	req := ecs.CreateDescribeNetworkInterfacesRequest()
	req.NetworkInterfaceId = &[]string{"eni-sdk"}
	resp := ecs.CreateDescribeNetworkInterfacesResponse()
	a.do(a.ecs, req, resp)
	sets := resp.NetworkInterfaceSets.NetworkInterfaceSet
	check(len(sets) == 1 && sets[0].NetworkInterfaceId == "eni-sdk", "DescribeNetworkInterfaces: %+v", sets)
	a.admin("LocalDeleteNetworkInterfaces", map[string]string{"NetworkInterfaceIds": `["eni-sdk"]`})
	a.admin("LocalDeleteInstances", map[string]string{"InstanceIds": `["i-sdk-b"]`})
	check(len(a.describeInstances("i-sdk-b")) == 0, "a deleted instance is still listed")
}

func (a *api) customRoutes(table string) string {
	req := vpc.CreateDescribeRouteEntryListRequest()
	req.RouteTableId, req.RouteEntryType = table, "Custom"
	resp := vpc.CreateDescribeRouteEntryListResponse()
	a.do(a.vpc, req, resp)
	var cidrs []string
	for _, e := range resp.RouteEntrys.RouteEntry {
		cidrs = append(cidrs, e.DestinationCidrBlock)
	}
	sort.Strings(cidrs)
	return strings.Join(cidrs, ",")
}

// familyVPCRoutes: list the tables, create an entry and a batch, list, delete both ways.
func familyVPCRoutes(a *api) {
	a.putInstance("i-sdk-route", "127.0.0.91")
	tables := vpc.CreateDescribeRouteTableListRequest()
	tables.VpcId = a.s.vpc
	listed := vpc.CreateDescribeRouteTableListResponse()
	a.do(a.vpc, tables, listed)
	check(len(listed.RouterTableList.RouterTableListType) > 0, "DescribeRouteTableList: %+v", listed.RouterTableList)
	table := listed.RouterTableList.RouterTableListType[0].RouteTableId
	one := vpc.CreateCreateRouteEntryRequest()
	one.RouteTableId, one.DestinationCidrBlock = table, "172.20.1.0/24"
	one.NextHopType, one.NextHopId = "Instance", "i-sdk-route"
	a.do(a.vpc, one, vpc.CreateCreateRouteEntryResponse())
	batch := vpc.CreateCreateRouteEntriesRequest()
	batch.RouteEntries = &[]vpc.CreateRouteEntriesRouteEntries{{
		RouteTableId: table, DstCidrBlock: "172.20.2.0/24", NextHop: "i-sdk-route", NextHopType: "Instance",
	}}
	created := vpc.CreateCreateRouteEntriesResponse()
	a.do(a.vpc, batch, created)
	check(created.SuccessCount == 1, "CreateRouteEntries: %+v", created)
	check(a.customRoutes(table) == "172.20.1.0/24,172.20.2.0/24", "DescribeRouteEntryList: %s", a.customRoutes(table))
	del := vpc.CreateDeleteRouteEntryRequest()
	del.RouteTableId, del.DestinationCidrBlock, del.NextHopId = table, "172.20.1.0/24", "i-sdk-route"
	a.do(a.vpc, del, vpc.CreateDeleteRouteEntryResponse())
	dels := vpc.CreateDeleteRouteEntriesRequest()
	dels.RouteEntries = &[]vpc.DeleteRouteEntriesRouteEntries{{
		RouteTableId: table, DstCidrBlock: "172.20.2.0/24", NextHop: "i-sdk-route",
	}}
	a.do(a.vpc, dels, vpc.CreateDeleteRouteEntriesResponse())
	check(a.customRoutes(table) == "", "entries left: %s", a.customRoutes(table))
}
