package main

import (
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/vpc"
)

// familyRegions: DescribeRegions, DescribeZones and DescribeAvailableResource.
func familyRegions(a *api) {
	regions := slb.CreateDescribeRegionsResponse()
	a.do(a.slb, slb.CreateDescribeRegionsRequest(), regions)
	found := false
	for _, r := range regions.Regions.Region {
		found = found || r.RegionId == a.s.region
	}
	check(found, "DescribeRegions: %+v", regions.Regions)
	zones := slb.CreateDescribeZonesResponse()
	a.do(a.slb, slb.CreateDescribeZonesRequest(), zones)
	check(len(zones.Zones.Zone) > 0 && zones.Zones.Zone[0].ZoneId != "", "DescribeZones: %+v", zones.Zones)
	resources := slb.CreateDescribeAvailableResourceResponse()
	a.do(a.slb, slb.CreateDescribeAvailableResourceRequest(), resources)
	list := resources.AvailableResources.AvailableResource
	check(len(list) > 0 && list[0].MasterZoneId != "", "DescribeAvailableResource: %+v", list)
}

// familyEIPs: an EIP allocated, bound to an intranet CLB, described, unbound, released.
func familyEIPs(a *api) {
	allocate := vpc.CreateAllocateEipAddressRequest()
	allocate.Bandwidth, allocate.InternetChargeType = "5", "PayByTraffic"
	eip := vpc.CreateAllocateEipAddressResponse()
	a.do(a.vpc, allocate, eip)
	lb := a.createLB("sdk-eip", true).LoadBalancerId
	bind := vpc.CreateAssociateEipAddressRequest()
	bind.AllocationId, bind.InstanceId, bind.InstanceType = eip.AllocationId, lb, "SlbInstance"
	a.do(a.vpc, bind, vpc.CreateAssociateEipAddressResponse())
	list := vpc.CreateDescribeEipAddressesRequest()
	list.AllocationId = eip.AllocationId
	listed := vpc.CreateDescribeEipAddressesResponse()
	a.do(a.vpc, list, listed)
	got := listed.EipAddresses.EipAddress
	check(len(got) == 1 && got[0].IpAddress == eip.EipAddress && got[0].Status == "InUse" && got[0].InstanceId == lb,
		"DescribeEipAddresses: %+v", got)
	release := vpc.CreateReleaseEipAddressRequest()
	release.AllocationId = eip.AllocationId
	a.expectError(a.vpc, release, vpc.CreateReleaseEipAddressResponse(), "IncorrectEipStatus", 400)
	unbind := vpc.CreateUnassociateEipAddressRequest()
	unbind.AllocationId, unbind.InstanceId, unbind.InstanceType = eip.AllocationId, lb, "SlbInstance"
	a.do(a.vpc, unbind, vpc.CreateUnassociateEipAddressResponse())
	a.do(a.vpc, release, vpc.CreateReleaseEipAddressResponse())
	a.deleteLB(lb)
}
