package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"sort"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// pemPair is a self-signed EC P-256 certificate for name and its PKCS#8 key, both PEM.
func pemPair(name string) (string, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	check(err == nil, "key: %v", err)
	template := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-24 * time.Hour),
		NotAfter: time.Now().Add(90 * 24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	check(err == nil, "certificate: %v", err)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	check(err == nil, "key: %v", err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
}

func (a *api) uploadServerCertificate(name string) *slb.UploadServerCertificateResponse {
	cert, key := pemPair(name)
	req := slb.CreateUploadServerCertificateRequest()
	req.ServerCertificate, req.PrivateKey, req.ServerCertificateName = cert, key, name
	resp := slb.CreateUploadServerCertificateResponse()
	a.do(a.slb, req, resp)
	check(resp.ServerCertificateId != "", "UploadServerCertificate: %+v", resp)
	return resp
}

func (a *api) deleteServerCertificate(id string) {
	req := slb.CreateDeleteServerCertificateRequest()
	req.ServerCertificateId = id
	a.do(a.slb, req, slb.CreateDeleteServerCertificateResponse())
}

func (a *api) httpsListenerWith(lb string, port int, cert, ca string) {
	req := slb.CreateCreateLoadBalancerHTTPSListenerRequest()
	req.LoadBalancerId, req.ListenerPort = lb, requests.NewInteger(port)
	req.BackendServerPort, req.Bandwidth = requests.NewInteger(8080), requests.NewInteger(-1)
	req.HealthCheck, req.StickySession, req.ServerCertificateId, req.CACertificateId = "off", "off", cert, ca
	a.do(a.slb, req, slb.CreateCreateLoadBalancerHTTPSListenerResponse())
}

// familyCertificates: server and CA certificates uploaded, described, renamed, deleted
// (refused while an HTTPS listener uses one).
func familyCertificates(a *api) {
	uploaded := a.uploadServerCertificate("sdk.example.com")
	server := uploaded.ServerCertificateId
	check(uploaded.CommonName == "sdk.example.com", "CommonName read from the PEM: %+v", uploaded)
	rename := slb.CreateSetServerCertificateNameRequest()
	rename.ServerCertificateId, rename.ServerCertificateName = server, "sdk-renamed"
	a.do(a.slb, rename, slb.CreateSetServerCertificateNameResponse())
	list := slb.CreateDescribeServerCertificatesRequest()
	list.ServerCertificateId = server
	listed := slb.CreateDescribeServerCertificatesResponse()
	a.do(a.slb, list, listed)
	found := listed.ServerCertificates.ServerCertificate
	check(len(found) == 1 && found[0].ServerCertificateName == "sdk-renamed", "DescribeServerCertificates: %+v", found)
	caPEM, _ := pemPair("ca.sdk.example.com")
	upload := slb.CreateUploadCACertificateRequest()
	upload.CACertificate, upload.CACertificateName = caPEM, "sdk-ca"
	ca := slb.CreateUploadCACertificateResponse()
	a.do(a.slb, upload, ca)
	renameCA := slb.CreateSetCACertificateNameRequest()
	renameCA.CACertificateId, renameCA.CACertificateName = ca.CACertificateId, "sdk-ca-renamed"
	a.do(a.slb, renameCA, slb.CreateSetCACertificateNameResponse())
	listCA := slb.CreateDescribeCACertificatesRequest()
	listCA.CACertificateId = ca.CACertificateId
	cas := slb.CreateDescribeCACertificatesResponse()
	a.do(a.slb, listCA, cas)
	check(len(cas.CACertificates.CACertificate) == 1 && cas.CACertificates.CACertificate[0].CACertificateName == "sdk-ca-renamed",
		"DescribeCACertificates: %+v", cas.CACertificates)
	lb := a.createLB("sdk-certs", true).LoadBalancerId
	a.httpsListenerWith(lb, 18443, server, ca.CACertificateId)
	del := slb.CreateDeleteServerCertificateRequest()
	del.ServerCertificateId = server
	a.expectError(a.slb, del, slb.CreateDeleteServerCertificateResponse(), "CertificateAndPrivateKeyIsRefered", 400)
	a.deleteLB(lb)
	a.deleteServerCertificate(server)
	delCA := slb.CreateDeleteCACertificateRequest()
	delCA.CACertificateId = ca.CACertificateId
	a.do(a.slb, delCA, slb.CreateDeleteCACertificateResponse())
}

// familyAccessControlLists: an ACL created, its entries added and removed, renamed,
// listed, bound to a TCP listener (delete refused then), deleted.
func familyAccessControlLists(a *api) {
	create := slb.CreateCreateAccessControlListRequest()
	create.AclName = "sdk-acl"
	created := slb.CreateCreateAccessControlListResponse()
	a.do(a.slb, create, created)
	acl := created.AclId
	add := slb.CreateAddAccessControlListEntryRequest()
	add.AclId = acl
	add.AclEntrys = `[{"entry":"10.0.0.0/8","comment":"private"},{"entry":"192.168.1.1","comment":"host"}]`
	a.do(a.slb, add, slb.CreateAddAccessControlListEntryResponse())
	rename := slb.CreateSetAccessControlListAttributeRequest()
	rename.AclId, rename.AclName = acl, "sdk-acl-renamed"
	a.do(a.slb, rename, slb.CreateSetAccessControlListAttributeResponse())
	get := slb.CreateDescribeAccessControlListAttributeRequest()
	get.AclId = acl
	attr := slb.CreateDescribeAccessControlListAttributeResponse()
	a.do(a.slb, get, attr)
	var entries []string
	for _, e := range attr.AclEntrys.AclEntry {
		entries = append(entries, e.AclEntryIP)
	}
	sort.Strings(entries)
	check(strings.Join(entries, ",") == "10.0.0.0/8,192.168.1.1/32" && attr.AclName == "sdk-acl-renamed",
		"DescribeAccessControlListAttribute: %s %v", attr.AclName, entries)
	remove := slb.CreateRemoveAccessControlListEntryRequest()
	remove.AclId, remove.AclEntrys = acl, `[{"entry":"10.0.0.0/8"}]`
	a.do(a.slb, remove, slb.CreateRemoveAccessControlListEntryResponse())
	list := slb.CreateDescribeAccessControlListsRequest()
	list.AclName = "sdk-acl-renamed"
	listed := slb.CreateDescribeAccessControlListsResponse()
	a.do(a.slb, list, listed)
	check(len(listed.Acls.Acl) == 1 && listed.Acls.Acl[0].AclId == acl, "DescribeAccessControlLists: %+v", listed.Acls)
	lb := a.createLB("sdk-acl", true).LoadBalancerId
	tcp := slb.CreateCreateLoadBalancerTCPListenerRequest()
	tcp.LoadBalancerId, tcp.ListenerPort = lb, requests.NewInteger(18100)
	tcp.BackendServerPort, tcp.Bandwidth = requests.NewInteger(80), requests.NewInteger(-1)
	tcp.AclStatus, tcp.AclType, tcp.AclId = "on", "white", acl
	a.do(a.slb, tcp, slb.CreateCreateLoadBalancerTCPListenerResponse())
	describe := slb.CreateDescribeLoadBalancerTCPListenerAttributeRequest()
	describe.LoadBalancerId, describe.ListenerPort = lb, requests.NewInteger(18100)
	bound := slb.CreateDescribeLoadBalancerTCPListenerAttributeResponse()
	a.do(a.slb, describe, bound)
	check(bound.AclStatus == "on" && bound.AclType == "white" && bound.AclId == acl, "listener ACL: %+v", bound)
	del := slb.CreateDeleteAccessControlListRequest()
	del.AclId = acl
	a.expectError(a.slb, del, slb.CreateDeleteAccessControlListResponse(), "OperationFailed.AclBindedWithVip", 400)
	a.deleteLB(lb)
	a.do(a.slb, del, slb.CreateDeleteAccessControlListResponse())
}

// familyDomainExtensions: an HTTPS listener's domain extension created, changed to another
// certificate, described, listed, deleted.
func familyDomainExtensions(a *api) {
	first := a.uploadServerCertificate("www.sdk.example.com").ServerCertificateId
	second := a.uploadServerCertificate("api.sdk.example.com").ServerCertificateId
	lb := a.createLB("sdk-domains", true).LoadBalancerId
	a.httpsListenerWith(lb, 18444, first, "")
	create := slb.CreateCreateDomainExtensionRequest()
	create.LoadBalancerId, create.ListenerPort = lb, requests.NewInteger(18444)
	create.Domain, create.ServerCertificateId = "api.sdk.example.com", first
	created := slb.CreateCreateDomainExtensionResponse()
	a.do(a.slb, create, created)
	set := slb.CreateSetDomainExtensionAttributeRequest()
	set.DomainExtensionId, set.ServerCertificateId = created.DomainExtensionId, second
	a.do(a.slb, set, slb.CreateSetDomainExtensionAttributeResponse())
	get := slb.CreateDescribeDomainExtensionAttributeRequest()
	get.DomainExtensionId = created.DomainExtensionId
	attr := slb.CreateDescribeDomainExtensionAttributeResponse()
	a.do(a.slb, get, attr)
	check(attr.Domain == "api.sdk.example.com" && attr.ServerCertificateId == second, "DescribeDomainExtensionAttribute: %+v", attr)
	list := slb.CreateDescribeDomainExtensionsRequest()
	list.LoadBalancerId, list.ListenerPort = lb, requests.NewInteger(18444)
	listed := slb.CreateDescribeDomainExtensionsResponse()
	a.do(a.slb, list, listed)
	check(len(listed.DomainExtensions.DomainExtension) == 1, "DescribeDomainExtensions: %+v", listed.DomainExtensions)
	del := slb.CreateDeleteDomainExtensionRequest()
	del.DomainExtensionId = created.DomainExtensionId
	a.do(a.slb, del, slb.CreateDeleteDomainExtensionResponse())
	a.deleteLB(lb)
	a.deleteServerCertificate(first)
	a.deleteServerCertificate(second)
}
