"""The certificate authority behind every cluster endpoint, kept in the store.

Kubernetes clients send bearer tokens only over TLS (client-go drops them on plain HTTP), so the
clusters' APIs are served over HTTPS on eksiam's one port. One CA per store signs the server's
certificate; DescribeCluster returns it as ``certificateAuthority.data`` (base64 of the PEM), so a
kubeconfig written from DescribeCluster trusts the endpoint, and every server sharing the database
presents a certificate from the same CA.

Rule: the CA is created once, inside a write transaction, by whoever needs it first; later callers
read it. The private key never leaves the store and the server process.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from eksiam.storage import Store, UnitOfWork

KIND = "tls-ca"
KEY = "cluster-ca"


@dataclass(frozen=True, slots=True)
class CertificateAuthority:
    cert_pem: bytes
    key_pem: bytes = field(repr=False)

    @property
    def data(self) -> str:
        """``certificateAuthority.data`` as EKS returns it."""
        return base64.b64encode(self.cert_pem).decode()


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _new_ca(now: datetime) -> CertificateAuthority:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eksiam kubernetes CA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(key, hashes.SHA256())
    )
    return CertificateAuthority(cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))


def cluster_ca(uow: UnitOfWork, now: datetime) -> CertificateAuthority:
    """The store's CA, created on first use inside the caller's transaction."""
    found = uow.get(KIND, "", KEY)
    if found is None:
        ca = _new_ca(now)
        uow.put(KIND, "", KEY, {"cert": ca.cert_pem.decode(), "key": ca.key_pem.decode()})
        return ca
    return CertificateAuthority(found["cert"].encode(), found["key"].encode())


def ensure_cluster_ca(store: Store, now: datetime) -> CertificateAuthority:
    return store.write(lambda uow: cluster_ca(uow, now))


def server_certificate(ca: CertificateAuthority, hosts: list[str], now: datetime) -> tuple[bytes, bytes]:
    """A leaf certificate for ``hosts`` (names or IP addresses) signed by ``ca``: (cert PEM, key PEM)."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert_pem)
    ca_key = serialization.load_pem_private_key(ca.key_pem, password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = []
    for host in dict.fromkeys(hosts):
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eksiam")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM), _pem_key(key)
