package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// familyListeners: the four listener kinds each created, changed, described and started;
// listed together; stopped and deleted.
func familyListeners(a *api) {
	cert := a.uploadServerCertificate("listeners.sdk.example.com").ServerCertificateId
	lb := a.createLB("sdk-listeners", true).LoadBalancerId
	a.tcpListener(lb, 18001)
	a.udpListener(lb, 18002)
	a.httpListener(lb, 18003)
	a.httpsListener(lb, 18004, cert)
	a.redirectListener(lb, 18005, 18004)
	list := slb.CreateDescribeLoadBalancerListenersRequest()
	list.LoadBalancerId = &[]string{lb}
	listed := slb.CreateDescribeLoadBalancerListenersResponse()
	a.do(a.slb, list, listed)
	var got []string
	for _, l := range listed.Listeners {
		got = append(got, fmt.Sprintf("%d/%s/%s", l.ListenerPort, l.ListenerProtocol, l.Status))
	}
	sort.Strings(got)
	want := "18001/tcp/running,18002/udp/running,18003/http/running,18004/https/running,18005/http/stopped"
	check(strings.Join(got, ",") == want, "DescribeLoadBalancerListeners: %v", got)
	redirect := slb.CreateDeleteLoadBalancerListenerRequest()
	redirect.LoadBalancerId, redirect.ListenerPort = lb, requests.NewInteger(18005)
	a.do(a.slb, redirect, slb.CreateDeleteLoadBalancerListenerResponse())
	for port, protocol := range map[int]string{18001: "tcp", 18002: "udp", 18003: "http", 18004: "https"} {
		stop := slb.CreateStopLoadBalancerListenerRequest()
		stop.LoadBalancerId, stop.ListenerPort = lb, requests.NewInteger(port)
		a.do(a.slb, stop, slb.CreateStopLoadBalancerListenerResponse())
		del := slb.CreateDeleteLoadBalancerListenerRequest()
		del.LoadBalancerId, del.ListenerPort, del.ListenerProtocol = lb, requests.NewInteger(port), protocol
		a.do(a.slb, del, slb.CreateDeleteLoadBalancerListenerResponse())
	}
	gone := slb.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	gone.LoadBalancerId, gone.ListenerPort = lb, requests.NewInteger(18001)
	a.expectError(a.slb, gone, slb.CreateDescribeLoadBalancerTCPListenerAttributeResponse(), "ListenerNotFound", 404)
	a.deleteLB(lb)
	a.deleteServerCertificate(cert)
}

// redirectListener: an HTTP listener forwarding to the HTTPS one on target, which then
// cannot be deleted.
func (a *api) redirectListener(lb string, port, target int) {
	req := slb.CreateCreateLoadBalancerHTTPListenerRequest()
	req.LoadBalancerId, req.ListenerPort, req.Bandwidth = lb, requests.NewInteger(port), requests.NewInteger(-1)
	req.HealthCheck, req.StickySession = "off", "off"
	req.ListenerForward, req.ForwardPort = "on", requests.NewInteger(target)
	a.do(a.slb, req, slb.CreateCreateLoadBalancerHTTPListenerResponse())
	get := slb.CreateDescribeLoadBalancerHTTPListenerAttributeRequest()
	get.LoadBalancerId, get.ListenerPort = lb, requests.NewInteger(port)
	got := slb.CreateDescribeLoadBalancerHTTPListenerAttributeResponse()
	a.do(a.slb, get, got)
	check(got.ListenerForward == "on" && got.ForwardPort == target, "redirect listener: %+v", got)
	del := slb.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort = lb, requests.NewInteger(target)
	a.expectError(a.slb, del, slb.CreateDeleteLoadBalancerListenerResponse(), "ListenerForwardExist", 400)
}

func (a *api) start(lb string, port int) {
	req := slb.CreateStartLoadBalancerListenerRequest()
	req.LoadBalancerId, req.ListenerPort = lb, requests.NewInteger(port)
	a.do(a.slb, req, slb.CreateStartLoadBalancerListenerResponse())
}

func (a *api) tcpListener(lb string, port int) {
	create := slb.CreateCreateLoadBalancerTCPListenerRequest()
	create.LoadBalancerId, create.ListenerPort = lb, requests.NewInteger(port)
	create.BackendServerPort, create.Bandwidth = requests.NewInteger(8080), requests.NewInteger(-1)
	a.do(a.slb, create, slb.CreateCreateLoadBalancerTCPListenerResponse())
	set := slb.CreateSetLoadBalancerTCPListenerAttributeRequest()
	set.LoadBalancerId, set.ListenerPort, set.PersistenceTimeout = lb, requests.NewInteger(port), requests.NewInteger(30)
	a.do(a.slb, set, slb.CreateSetLoadBalancerTCPListenerAttributeResponse())
	get := slb.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	get.LoadBalancerId, get.ListenerPort = lb, requests.NewInteger(port)
	got := slb.CreateDescribeLoadBalancerTCPListenerAttributeResponse()
	a.do(a.slb, get, got)
	check(got.PersistenceTimeout == 30, "TCP PersistenceTimeout: %d", got.PersistenceTimeout)
	a.start(lb, port)
}

func (a *api) udpListener(lb string, port int) {
	create := slb.CreateCreateLoadBalancerUDPListenerRequest()
	create.LoadBalancerId, create.ListenerPort = lb, requests.NewInteger(port)
	create.BackendServerPort, create.Bandwidth = requests.NewInteger(8080), requests.NewInteger(-1)
	a.do(a.slb, create, slb.CreateCreateLoadBalancerUDPListenerResponse())
	set := slb.CreateSetLoadBalancerUDPListenerAttributeRequest()
	set.LoadBalancerId, set.ListenerPort = lb, requests.NewInteger(port)
	set.HealthCheckConnectTimeout = requests.NewInteger(7)
	a.do(a.slb, set, slb.CreateSetLoadBalancerUDPListenerAttributeResponse())
	get := slb.CreateDescribeLoadBalancerUDPListenerAttributeRequest()
	get.LoadBalancerId, get.ListenerPort = lb, requests.NewInteger(port)
	got := slb.CreateDescribeLoadBalancerUDPListenerAttributeResponse()
	a.do(a.slb, get, got)
	check(got.HealthCheckConnectTimeout == 7, "UDP HealthCheckConnectTimeout: %d", got.HealthCheckConnectTimeout)
	a.start(lb, port)
}

func (a *api) httpListener(lb string, port int) {
	create := slb.CreateCreateLoadBalancerHTTPListenerRequest()
	create.LoadBalancerId, create.ListenerPort = lb, requests.NewInteger(port)
	create.BackendServerPort, create.Bandwidth = requests.NewInteger(8080), requests.NewInteger(-1)
	create.HealthCheck, create.StickySession = "off", "off"
	a.do(a.slb, create, slb.CreateCreateLoadBalancerHTTPListenerResponse())
	set := slb.CreateSetLoadBalancerHTTPListenerAttributeRequest()
	set.LoadBalancerId, set.ListenerPort, set.IdleTimeout = lb, requests.NewInteger(port), requests.NewInteger(20)
	a.do(a.slb, set, slb.CreateSetLoadBalancerHTTPListenerAttributeResponse())
	get := slb.CreateDescribeLoadBalancerHTTPListenerAttributeRequest()
	get.LoadBalancerId, get.ListenerPort = lb, requests.NewInteger(port)
	got := slb.CreateDescribeLoadBalancerHTTPListenerAttributeResponse()
	a.do(a.slb, get, got)
	check(got.IdleTimeout == 20, "HTTP IdleTimeout: %d", got.IdleTimeout)
	a.start(lb, port)
}

func (a *api) httpsListener(lb string, port int, cert string) {
	create := slb.CreateCreateLoadBalancerHTTPSListenerRequest()
	create.LoadBalancerId, create.ListenerPort = lb, requests.NewInteger(port)
	create.BackendServerPort, create.Bandwidth = requests.NewInteger(8080), requests.NewInteger(-1)
	create.HealthCheck, create.StickySession, create.ServerCertificateId = "off", "off", cert
	a.do(a.slb, create, slb.CreateCreateLoadBalancerHTTPSListenerResponse())
	set := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
	set.LoadBalancerId, set.ListenerPort, set.RequestTimeout = lb, requests.NewInteger(port), requests.NewInteger(90)
	a.do(a.slb, set, slb.CreateSetLoadBalancerHTTPSListenerAttributeResponse())
	get := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
	get.LoadBalancerId, get.ListenerPort = lb, requests.NewInteger(port)
	got := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeResponse()
	a.do(a.slb, get, got)
	check(got.RequestTimeout == 90, "HTTPS RequestTimeout: %d", got.RequestTimeout)
	a.start(lb, port)
}
