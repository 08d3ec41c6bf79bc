"""Security action families: server and CA certificates (a self-signed certificate made
here), ACLs bound to a listener, and HTTPS domain extensions. One function per family.
"""

import json

from sdkcheck import check, create_lb, delete_lb, expect_error, items


def pem_pair(name):
    """A self-signed EC P-256 certificate for `name` and its PKCS#8 key, both PEM."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=90))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def upload_server_certificate(api, ctx, name):
    cert, key = pem_pair(name)
    answer = api.call("slb", "UploadServerCertificate", {
        "RegionId": ctx.region, "ServerCertificate": cert, "PrivateKey": key, "ServerCertificateName": name})
    check(answer.get("ServerCertificateId"), f"UploadServerCertificate: {answer}")
    return answer


ACL_IN_USE = "OperationFailed.AclBindedWithVip"  # DeleteAccessControlList while a listener uses it


def family_certificates(api, ctx):
    """Server and CA certificates: upload, describe, rename, delete (refused while in use)."""
    uploaded = upload_server_certificate(api, ctx, "sdk.example.com")
    server = uploaded["ServerCertificateId"]
    check(uploaded.get("CommonName") == "sdk.example.com", f"CommonName read from the PEM: {uploaded}")
    api.call("slb", "SetServerCertificateName", {"RegionId": ctx.region, "ServerCertificateId": server,
                                                 "ServerCertificateName": "sdk-renamed"})
    listed = api.call("slb", "DescribeServerCertificates", {"RegionId": ctx.region, "ServerCertificateId": server})
    found = items(listed, "ServerCertificates", "ServerCertificate")
    check([(c["ServerCertificateId"], c["ServerCertificateName"]) for c in found] == [(server, "sdk-renamed")],
          f"DescribeServerCertificates: {found}")
    ca_pem, _ = pem_pair("ca.sdk.example.com")
    ca = api.call("slb", "UploadCACertificate", {"RegionId": ctx.region, "CACertificate": ca_pem,
                                                 "CACertificateName": "sdk-ca"})["CACertificateId"]
    api.call("slb", "SetCACertificateName", {"RegionId": ctx.region, "CACertificateId": ca,
                                             "CACertificateName": "sdk-ca-renamed"})
    cas = items(api.call("slb", "DescribeCACertificates", {"RegionId": ctx.region, "CACertificateId": ca}),
                "CACertificates", "CACertificate")
    check([c["CACertificateName"] for c in cas] == ["sdk-ca-renamed"], f"DescribeCACertificates: {cas}")
    lb = create_lb(api, ctx, "sdk-certs", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    api.call("slb", "CreateLoadBalancerHTTPSListener", {
        "RegionId": ctx.region, "LoadBalancerId": lb, "ListenerPort": 18443, "BackendServerPort": 8080,
        "Bandwidth": -1, "HealthCheck": "off", "StickySession": "off", "ServerCertificateId": server,
        "CACertificateId": ca})
    expect_error(lambda: api.call("slb", "DeleteServerCertificate", {
        "RegionId": ctx.region, "ServerCertificateId": server}), "CertificateAndPrivateKeyIsRefered", 400)
    delete_lb(api, ctx, lb)
    api.call("slb", "DeleteServerCertificate", {"RegionId": ctx.region, "ServerCertificateId": server})
    api.call("slb", "DeleteCACertificate", {"RegionId": ctx.region, "CACertificateId": ca})
    expect_error(lambda: api.call("slb", "CreateLoadBalancerHTTPSListener", {
        "RegionId": ctx.region, "LoadBalancerId": "lb-none", "ListenerPort": 443, "Bandwidth": -1,
        "BackendServerPort": 80, "HealthCheck": "off", "StickySession": "off", "ServerCertificateId": server}),
        "InvalidLoadBalancerId.NotFound", 404)


def family_access_control_lists(api, ctx):
    """ACLs: create, entries, rename, list, attribute, bound to a listener, delete."""
    acl = api.call("slb", "CreateAccessControlList", {"RegionId": ctx.region, "AclName": "sdk-acl"})["AclId"]
    a = {"RegionId": ctx.region, "AclId": acl}
    api.call("slb", "AddAccessControlListEntry", {**a, "AclEntrys": json.dumps([
        {"entry": "10.0.0.0/8", "comment": "private"}, {"entry": "192.168.1.1", "comment": "host"}])})
    api.call("slb", "SetAccessControlListAttribute", {**a, "AclName": "sdk-acl-renamed"})
    attr = api.call("slb", "DescribeAccessControlListAttribute", a)
    entries = sorted(e["AclEntryIP"] for e in items(attr, "AclEntrys", "AclEntry"))
    check(entries == ["10.0.0.0/8", "192.168.1.1/32"], f"ACL entries: {entries}")
    check(attr.get("AclName") == "sdk-acl-renamed", f"ACL name: {attr.get('AclName')}")
    api.call("slb", "RemoveAccessControlListEntry", {**a, "AclEntrys": json.dumps([{"entry": "10.0.0.0/8"}])})
    listed = items(api.call("slb", "DescribeAccessControlLists", {"RegionId": ctx.region, "AclName": "sdk-acl-renamed"}),
                   "Acls", "Acl")
    check([x["AclId"] for x in listed] == [acl], f"DescribeAccessControlLists: {listed}")
    lb = create_lb(api, ctx, "sdk-acl", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    base = {"RegionId": ctx.region, "LoadBalancerId": lb, "ListenerPort": 18100}
    api.call("slb", "CreateLoadBalancerTCPListener", {**base, "Bandwidth": -1, "BackendServerPort": 80,
                                                      "AclStatus": "on", "AclType": "white", "AclId": acl})
    tcp = api.call("slb", "DescribeLoadBalancerTCPListenerAttribute", base)
    check((tcp.get("AclStatus"), tcp.get("AclType"), tcp.get("AclId")) == ("on", "white", acl), f"listener ACL: {tcp}")
    expect_error(lambda: api.call("slb", "DeleteAccessControlList", a), ACL_IN_USE, 400)
    delete_lb(api, ctx, lb)
    api.call("slb", "DeleteAccessControlList", a)


def family_domain_extensions(api, ctx):
    """Domain extensions of an HTTPS listener: create, list, attribute, change certificate, delete."""
    first = upload_server_certificate(api, ctx, "www.sdk.example.com")["ServerCertificateId"]
    second = upload_server_certificate(api, ctx, "api.sdk.example.com")["ServerCertificateId"]
    lb = create_lb(api, ctx, "sdk-domains", AddressType="intranet", VSwitchId=ctx.vswitch)["LoadBalancerId"]
    base = {"RegionId": ctx.region, "LoadBalancerId": lb, "ListenerPort": 18444}
    api.call("slb", "CreateLoadBalancerHTTPSListener", {**base, "BackendServerPort": 8080, "Bandwidth": -1,
                                                        "HealthCheck": "off", "StickySession": "off",
                                                        "ServerCertificateId": first})
    ext = api.call("slb", "CreateDomainExtension", {**base, "Domain": "api.sdk.example.com",
                                                     "ServerCertificateId": first})["DomainExtensionId"]
    e = {"RegionId": ctx.region, "DomainExtensionId": ext}
    api.call("slb", "SetDomainExtensionAttribute", {**e, "ServerCertificateId": second})
    attr = api.call("slb", "DescribeDomainExtensionAttribute", e)
    check((attr.get("Domain"), attr.get("ServerCertificateId")) == ("api.sdk.example.com", second),
          f"DescribeDomainExtensionAttribute: {attr}")
    listed = items(api.call("slb", "DescribeDomainExtensions", base), "DomainExtensions", "DomainExtension")
    check([x["DomainExtensionId"] for x in listed] == [ext], f"DescribeDomainExtensions: {listed}")
    api.call("slb", "DeleteDomainExtension", e)
    check(items(api.call("slb", "DescribeDomainExtensions", base), "DomainExtensions", "DomainExtension") == [],
          "a deleted domain extension is still listed")
    delete_lb(api, ctx, lb)
    for cert in (first, second):
        api.call("slb", "DeleteServerCertificate", {"RegionId": ctx.region, "ServerCertificateId": cert})
