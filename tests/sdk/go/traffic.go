package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

const reply = "hello from the sdk backend"

// backend listens on ip:0 and writes reply to every connection; it returns the port.
func backend(ip string) int {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	check(err == nil, "backend on %s: %v", ip, err)
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = conn.Write([]byte(reply))
			_ = conn.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// waitForHealth calls DescribeHealthStatus until every member is wanted (the health checks'
// probes decide, unavailable until their first verdict) or 20 s have passed; the last answer.
func (a *api) waitForHealth(lb, wanted string) []slb.BackendServer {
	deadline := time.Now().Add(20 * time.Second)
	for {
		req := slb.CreateDescribeHealthStatusRequest()
		req.LoadBalancerId = lb
		resp := slb.CreateDescribeHealthStatusResponse()
		a.do(a.slb, req, resp)
		members := resp.BackendServers.BackendServer
		all := len(members) > 0
		for _, m := range members {
			all = all && m.ServerHealthStatus == wanted
		}
		if all || time.Now().After(deadline) {
			return members
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// familyTraffic: a TCP backend behind a listener answers through the CLB's VIP, and
// DescribeHealthStatus reports it.
func familyTraffic(a *api) {
	port := backend(a.s.backendIP)
	a.putInstance("i-sdk-traffic", a.s.backendIP)
	created := a.createLB("sdk-traffic", false)
	servers := jsonText([]map[string]any{{"ServerId": "i-sdk-traffic", "Port": port, "Weight": 100, "Type": "ecs"}})
	group := a.createGroup(created.LoadBalancerId, "sdk-traffic", servers)
	listener := slb.CreateCreateLoadBalancerTCPListenerRequest()
	listener.LoadBalancerId, listener.ListenerPort = created.LoadBalancerId, requests.NewInteger(18080)
	listener.Bandwidth, listener.VServerGroupId = requests.NewInteger(-1), group
	a.do(a.slb, listener, slb.CreateCreateLoadBalancerTCPListenerResponse())
	a.start(created.LoadBalancerId, 18080)
	got := readFrom(net.JoinHostPort(created.Address, "18080"))
	check(got == reply, "through %s:18080 got %q", created.Address, got)
	members := a.waitForHealth(created.LoadBalancerId, "normal")
	check(len(members) == 1 && fmt.Sprintf("%s/%d/%s", members[0].ServerId, members[0].Port, members[0].ServerHealthStatus) ==
		fmt.Sprintf("i-sdk-traffic/%d/normal", port), "DescribeHealthStatus: %+v", members)
	del := slb.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort = created.LoadBalancerId, requests.NewInteger(18080)
	a.do(a.slb, del, slb.CreateDeleteLoadBalancerListenerResponse())
	a.deleteLB(created.LoadBalancerId)
}

// familyIPv6: an IPv6 CLB (its VIP from ipv6_vip_pool, ::1 by default) carries TCP traffic.
func familyIPv6(a *api) {
	port := backend(a.s.backendIP)
	a.putInstance("i-sdk-v6", a.s.backendIP)
	req := slb.CreateCreateLoadBalancerRequest()
	req.LoadBalancerName, req.LoadBalancerSpec = "sdk-ipv6", "slb.s1.small"
	req.AddressType, req.AddressIPVersion = "internet", "ipv6"
	created := slb.CreateCreateLoadBalancerResponse()
	a.do(a.slb, req, created)
	attr := a.describeLB(created.LoadBalancerId)
	check(attr.AddressIPVersion == "ipv6" && strings.Contains(created.Address, ":"), "IPv6 CLB: %s %s",
		created.Address, attr.AddressIPVersion)
	servers := jsonText([]map[string]any{{"ServerId": "i-sdk-v6", "Port": port, "Weight": 100, "Type": "ecs"}})
	group := a.createGroup(created.LoadBalancerId, "sdk-ipv6", servers)
	listener := slb.CreateCreateLoadBalancerTCPListenerRequest()
	listener.LoadBalancerId, listener.ListenerPort = created.LoadBalancerId, requests.NewInteger(a.s.ipv6Port)
	listener.Bandwidth, listener.VServerGroupId = requests.NewInteger(-1), group
	a.do(a.slb, listener, slb.CreateCreateLoadBalancerTCPListenerResponse())
	a.start(created.LoadBalancerId, a.s.ipv6Port)
	got := readFrom(net.JoinHostPort(created.Address, strconv.Itoa(a.s.ipv6Port)))
	check(got == reply, "through [%s]:%d got %q", created.Address, a.s.ipv6Port, got)
	a.deleteLB(created.LoadBalancerId)
}

// readFrom connects to addr and reads until the server closes. A started listener accepts
// once the data plane has applied it, a moment after the API answered, so a refused
// connection is retried for up to 10 s.
func readFrom(addr string) string {
	deadline := time.Now().Add(10 * time.Second)
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	for err != nil && errors.Is(err, syscall.ECONNREFUSED) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		conn, err = net.DialTimeout("tcp", addr, 5*time.Second)
	}
	check(err == nil, "connect to %s: %v", addr, err)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(conn)
	check(err == nil, "read from %s: %v", addr, err)
	return string(got)
}
