package main

import (
	"fmt"
	"io"
	"net"
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
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(created.Address, "18080"), 5*time.Second)
	check(err == nil, "connect to %s:18080: %v", created.Address, err)
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	got, err := io.ReadAll(conn)
	_ = conn.Close()
	check(err == nil && string(got) == reply, "through %s:18080 got %q (%v)", created.Address, got, err)
	health := slb.CreateDescribeHealthStatusRequest()
	health.LoadBalancerId = created.LoadBalancerId
	states := slb.CreateDescribeHealthStatusResponse()
	a.do(a.slb, health, states)
	members := states.BackendServers.BackendServer
	check(len(members) == 1 && fmt.Sprintf("%s/%d/%s", members[0].ServerId, members[0].Port, members[0].ServerHealthStatus) ==
		fmt.Sprintf("i-sdk-traffic/%d/normal", port), "DescribeHealthStatus: %+v", members)
	del := slb.CreateDeleteLoadBalancerListenerRequest()
	del.LoadBalancerId, del.ListenerPort = created.LoadBalancerId, requests.NewInteger(18080)
	a.do(a.slb, del, slb.CreateDeleteLoadBalancerListenerResponse())
	a.deleteLB(created.LoadBalancerId)
}
