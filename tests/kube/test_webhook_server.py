"""The standalone webhook over real HTTPS: a uvicorn server with a certificate made here, httpx
clients verifying it, AdmissionReviews shaped as kube-apiserver sends them, and the answered
JSONPatch applied with jsonpatch. The cluster behind it is an in-memory table of service accounts
read through the same ``IdentitySource`` the CLI uses (the e2e test reads a real eksiam cluster).
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
import uuid
from pathlib import Path

import httpx
import jsonpatch
import kubernetes
import pytest
import typer
import uvicorn
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from eksiam.cli.main import app as cli_app
from eksiam.kube.webhook import WebhookSettings, parse_go_bool
from eksiam.kube.webhook_server import reload_certificate, webhook_app, webhook_metrics
from eksiam.kube.webhook_sources import (
    AssociationFile,
    ClusterReads,
    IdentitySource,
    LookupFailed,
    parse_config_map,
)

ROLE = "arn:aws:iam::111122223333:role/app"
TOKEN_FILE = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"


def self_signed_tls(directory):
    """A CA and a server certificate for 127.0.0.1/localhost; returns (ca, cert, key) paths."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "webhook-test-ca")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pod-identity-webhook")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.OID_SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = directory / "ca.crt", directory / "tls.crt", directory / "tls.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def admission_review(pod, namespace, api_version="admission.k8s.io/v1"):
    """As kube-apiserver sends it: pod without metadata.namespace, namespace on the request."""
    uid = str(uuid.uuid4())
    request = {
        "uid": uid,
        "kind": {"group": "", "version": "v1", "kind": "Pod"},
        "resource": {"group": "", "version": "v1", "resource": "pods"},
        "requestKind": {"group": "", "version": "v1", "kind": "Pod"},
        "requestResource": {"group": "", "version": "v1", "resource": "pods"},
        "namespace": namespace,
        "operation": "CREATE",
        "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller", "groups": []},
        "object": pod,
        "oldObject": None,
        "dryRun": False,
        "options": {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"},
    }
    return uid, {"apiVersion": api_version, "kind": "AdmissionReview", "request": request}


def make_pod(sa, name="app-1", **meta):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **meta},
        "spec": {"serviceAccountName": sa, "containers": [{"name": "main", "image": "busybox"}]},
    }


class Cluster:
    """Service accounts and ConfigMaps by (namespace, name); counts reads; can be made to fail."""

    def __init__(self):
        self.accounts: dict[tuple[str, str], dict[str, str]] = {}
        self.config_maps: dict[tuple[str, str], dict[str, str]] = {}
        self.reads = 0
        self.broken = False

    def service_account(self, namespace, name):
        self.reads += 1
        if self.broken:
            raise LookupFailed(f"could not read service account {namespace}/{name}: HTTP 403 Forbidden")
        found = self.accounts.get((namespace, name))
        return None if found is None else dict(found)

    def config_map(self, namespace, name):
        return self.config_maps.get((namespace, name))

    def as_reads(self):
        return ClusterReads(self.service_account, self.config_map)


class Clock:
    def __init__(self):
        self.value = 0.0

    def __call__(self):
        return self.value


class RunningWebhook:
    def __init__(self, app, tmp_path):
        self.ca, cert, key = self_signed_tls(tmp_path)
        self.cert, self.key = cert, key
        sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"https://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(
            app, ssl_certfile=str(cert), ssl_keyfile=str(key), lifespan="off", ws="none", log_level="warning"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline and self.thread.is_alive(), "webhook did not start"
            time.sleep(0.02)
        self.client = httpx.Client(
            base_url=self.url, verify=ssl.create_default_context(cafile=str(self.ca)), timeout=10
        )

    def post(self, review, content_type="application/json"):
        body = review if isinstance(review, bytes) else json.dumps(review).encode()
        return self.client.post("/mutate", content=body, headers={"content-type": content_type})

    def stop(self):
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture
def cluster():
    return Cluster()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def events():
    return []


@pytest.fixture
def start(tmp_path, cluster, clock, events):
    running = []

    def start_webhook(settings=None, **source_options):
        source = IdentitySource(cluster.as_reads(), monotonic=clock, **source_options)
        registry, counter = webhook_metrics()
        app = webhook_app(
            source.identity,
            settings or WebhookSettings(),
            record=lambda ns, pod, why: events.append((ns, pod, why)),
            jitter=lambda low, high: low,
            counter=counter,
        )
        webhook = RunningWebhook(app, tmp_path)
        webhook.registry = registry
        running.append(webhook)
        return webhook

    yield start_webhook
    for webhook in running:
        webhook.stop()


def answered(response, uid):
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    envelope = response.json()
    assert envelope["response"]["uid"] == uid
    return envelope


def patched(pod, envelope):
    answer = envelope["response"]
    assert answer["allowed"] is True and answer["patchType"] == "JSONPatch"
    return jsonpatch.apply_patch(pod, json.loads(base64.b64decode(answer["patch"])))


def wait_for(predicate):
    deadline = time.monotonic() + 10
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def test_irsa_pod_gets_the_patch_over_verified_https(start, cluster):
    cluster.accounts[("team", "app")] = {"eks.amazonaws.com/role-arn": ROLE, "unrelated/x": "y"}
    webhook = start(WebhookSettings(aws_default_region="eu-west-1", sts_regional_endpoint=True))
    pod = make_pod("app")
    uid, review = admission_review(pod, "team")
    envelope = answered(webhook.post(review), uid)
    assert (envelope["apiVersion"], envelope["kind"]) == ("admission.k8s.io/v1", "AdmissionReview")
    result = patched(pod, envelope)
    main = result["spec"]["containers"][0]
    assert [(e["name"], e["value"]) for e in main["env"]] == [
        ("AWS_STS_REGIONAL_ENDPOINTS", "regional"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ROLE_ARN", ROLE),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", TOKEN_FILE),
    ]
    assert main["volumeMounts"] == [
        {"name": "aws-iam-token", "readOnly": True, "mountPath": TOKEN_FILE.rsplit("/", 1)[0]}
    ]
    token = result["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert token == {"audience": "sts.amazonaws.com", "expirationSeconds": 86400, "path": "token"}


def test_v1beta1_reviews_are_answered_in_kind(start, cluster):
    cluster.accounts[("team", "app")] = {"eks.amazonaws.com/role-arn": ROLE}
    webhook = start()
    uid, review = admission_review(make_pod("app"), "team", api_version="admission.k8s.io/v1beta1")
    assert answered(webhook.post(review), uid)["apiVersion"] == "admission.k8s.io/v1beta1"


def test_https_is_verified_against_the_ca(start, tmp_path):
    webhook = start()
    (tmp_path / "stranger").mkdir()
    other_ca, _, _ = self_signed_tls(tmp_path / "stranger")  # a fresh, unrelated CA
    with (
        httpx.Client(verify=ssl.create_default_context(cafile=str(other_ca))) as stranger,
        pytest.raises(httpx.ConnectError),
    ):
        stranger.get(f"{webhook.url}/healthz")
    assert webhook.client.get("/healthz").text == "ok"


def test_rotated_certificate_is_served_to_new_connections(start, tmp_path):
    webhook = start()
    context = webhook.server.config.ssl
    old_ca = webhook.ca.read_text()
    first = reload_certificate(context, webhook.cert, webhook.key, None)
    assert reload_certificate(context, webhook.cert, webhook.key, first) == first  # unchanged files

    (tmp_path / "mismatch").mkdir()
    _, _, other_key = self_signed_tls(tmp_path / "mismatch")
    webhook.key.write_bytes(other_key.read_bytes())  # half-way through a rotation: keep the old pair
    assert reload_certificate(context, webhook.cert, webhook.key, first) == first

    new_ca, _, _ = self_signed_tls(tmp_path)  # the rotation completes: new CA, certificate and key
    second = reload_certificate(context, webhook.cert, webhook.key, first)
    assert second not in (None, first)
    with httpx.Client(verify=ssl.create_default_context(cafile=str(new_ca))) as fresh:
        assert fresh.get(f"{webhook.url}/healthz").text == "ok"
    with (
        httpx.Client(verify=ssl.create_default_context(cadata=old_ca)) as old,
        pytest.raises(httpx.ConnectError),
    ):
        old.get(f"{webhook.url}/healthz")


def test_service_account_without_role_is_allowed_unpatched_and_explained(start, cluster, events, caplog):
    cluster.accounts[("team", "plain")] = {}
    webhook = start()
    caplog.set_level("INFO", logger="eksiam.kube.webhook")
    uid, review = admission_review(make_pod("plain", name="web-0"), "team")
    assert answered(webhook.post(review), uid)["response"] == {"uid": uid, "allowed": True}
    why = (
        "service account team/plain has no eks.amazonaws.com/role-arn annotation"
        " and no Pod Identity association"
    )
    wait_for(lambda: events)
    assert events == [("team", "web-0", why)]
    assert f"pod team/web-0 not mutated: {why}" in caplog.text


def test_pod_created_right_after_its_service_account_is_mutated(start, cluster, clock, events):
    """Upstream's cache race: a cached 'missing' or 'no role' is never trusted."""
    webhook = start()
    uid, review = admission_review(make_pod("late", generateName="late-"), "team")
    assert "patch" not in answered(webhook.post(review), uid)["response"]
    wait_for(lambda: events)
    assert events[0][2] == "service account team/late was not found"

    cluster.accounts[("team", "late")] = {}
    uid, review = admission_review(make_pod("late"), "team")
    assert "patch" not in answered(webhook.post(review), uid)["response"]

    cluster.accounts[("team", "late")] = {"eks.amazonaws.com/role-arn": ROLE}  # annotated a moment later
    pod = make_pod("late")
    uid, review = admission_review(pod, "team")
    env = patched(pod, answered(webhook.post(review), uid))["spec"]["containers"][0]["env"]
    assert {"name": "AWS_ROLE_ARN", "value": ROLE} in env


def test_positive_answers_are_cached_for_the_ttl(start, cluster, clock):
    cluster.accounts[("team", "app")] = {"eks.amazonaws.com/role-arn": ROLE}
    webhook = start(ttl=10)
    for _ in range(3):
        uid, review = admission_review(make_pod("app"), "team")
        assert "patch" in answered(webhook.post(review), uid)["response"]
    assert cluster.reads == 1
    clock.value = 11
    cluster.accounts[("team", "app")] = {"eks.amazonaws.com/role-arn": ROLE + "-v2"}
    pod = make_pod("app")
    uid, review = admission_review(pod, "team")
    env = patched(pod, answered(webhook.post(review), uid))["spec"]["containers"][0]["env"]
    assert {"name": "AWS_ROLE_ARN", "value": ROLE + "-v2"} in env and cluster.reads == 2


def test_failed_lookup_lets_the_pod_through_and_says_why(start, cluster, events):
    cluster.broken = True
    webhook = start()
    uid, review = admission_review(make_pod("app", name="api-0"), "team")
    assert answered(webhook.post(review), uid)["response"] == {"uid": uid, "allowed": True}
    wait_for(lambda: events)
    assert events == [("team", "api-0", "could not read service account team/app: HTTP 403 Forbidden")]


def test_config_map_mode_exact_then_star(start, cluster):
    cluster.accounts[("team", "a")] = {}
    cluster.accounts[("other", "b")] = {}
    cluster.config_maps[("webhooks", "pod-identity-webhook")] = {
        "config": json.dumps(
            {
                "team/a": {
                    "RoleARN": ROLE,
                    "Audience": "custom",
                    "UseRegionalSTS": True,
                    "TokenExpiration": 3600,
                },
                "*/b": {"RoleARN": ROLE + "-b"},
            }
        )
    }
    webhook = start(watch_config_map=True, config_map_namespace="webhooks")
    pod = make_pod("a")
    uid, review = admission_review(pod, "team")
    result = patched(pod, answered(webhook.post(review), uid))
    token = result["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert (token["audience"], token["expirationSeconds"]) == ("custom", 3600)
    assert result["spec"]["containers"][0]["env"][0] == {
        "name": "AWS_STS_REGIONAL_ENDPOINTS",
        "value": "regional",
    }
    pod = make_pod("b")
    uid, review = admission_review(pod, "other")
    env = patched(pod, answered(webhook.post(review), uid))["spec"]["containers"][0]["env"]
    assert {"name": "AWS_ROLE_ARN", "value": ROLE + "-b"} in env


def test_association_file_turns_on_pod_identity_and_is_reread(start, cluster, tmp_path):
    cluster.accounts[("team", "app")] = {"eks.amazonaws.com/role-arn": ROLE}
    cluster.accounts[("team", "other")] = {}
    path = tmp_path / "associations.json"
    path.write_text(json.dumps({"identities": [{"namespace": "team", "serviceAccount": "app"}]}))
    webhook = start(association_file=AssociationFile(path))
    pod = make_pod("app", labels={"app": "x"})
    uid, review = admission_review(pod, "team")
    result = patched(pod, answered(webhook.post(review), uid))
    assert result["metadata"]["labels"] == {"app": "x", "eks.amazonaws.com/pod-identity": "enabled"}
    names = [e["name"] for e in result["spec"]["containers"][0]["env"]]
    assert names == ["AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
    token = result["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert token["audience"] == "pods.eks.amazonaws.com" and token["expirationSeconds"] == 79200

    path.write_text(
        json.dumps({"identities": [{"namespace": "team", "serviceAccount": "other"}, {"namespace": "x"}]})
    )
    pod = make_pod("other")
    uid, review = admission_review(pod, "team")
    assert (
        "eks.amazonaws.com/pod-identity"
        in patched(pod, answered(webhook.post(review), uid))["metadata"]["labels"]
    )
    path.write_text("")
    uid, review = admission_review(make_pod("other"), "team")
    assert "patch" not in answered(webhook.post(review), uid)["response"]


def test_protocol_errors_over_https(start, events):
    webhook = start()
    _, review = admission_review(make_pod("app"), "team")
    wrong = webhook.post(review, content_type="application/json; charset=utf-8")
    assert (wrong.status_code, wrong.text) == (415, "Invalid Content-Type, expected `application/json`")
    broken = webhook.post(b"{not json")
    assert broken.status_code == 200 and broken.json()["response"]["allowed"] is False
    no_request = webhook.post(b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}')
    assert no_request.json()["response"] == {
        "uid": "",
        "allowed": False,
        "status": {"message": "bad content"},
    }
    assert webhook.post(b"x" * (3 * 1024 * 1024 + 1)).status_code == 413
    assert webhook.client.get("/mutate").status_code == 405
    assert events == []


def test_metrics_count_results(start, cluster):
    cluster.accounts[("team", "app")] = {"eks.amazonaws.com/role-arn": ROLE}
    cluster.accounts[("team", "plain")] = {}
    webhook = start()
    for sa in ("app", "app", "plain"):
        webhook.post(admission_review(make_pod(sa), "team")[1])
    webhook.post(b"[]")
    sample = webhook.registry.get_sample_value
    assert sample("pod_identity_webhook_admissions_total", {"result": "mutated", "mode": "irsa"}) == 2
    assert sample("pod_identity_webhook_admissions_total", {"result": "skipped", "mode": ""}) == 1
    assert sample("pod_identity_webhook_admissions_total", {"result": "refused", "mode": ""}) == 1


def test_config_map_parsing_keeps_only_well_formed_entries():
    entries = parse_config_map(
        json.dumps({"a/b": {"RoleARN": ROLE, "TokenExpiration": "soon"}, "c/d": {"Audience": "x"}, "e/f": 3})
    )
    assert list(entries) == ["a/b"] and entries["a/b"].token_expiration == 0
    assert parse_config_map("not json") == {} and parse_config_map(None) == {}


runner = CliRunner()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sts-regional-endpoint=maybe"], 'invalid boolean value "maybe" for --sts-regional-endpoint'),
        (["--watch-config-map", "yes"], 'invalid boolean value "yes" for --watch-config-map'),
        (["--token-expiration", "soon"], "is not a valid integer"),
        (["--port", "70000"], "70000"),
    ],
)
def test_bad_flags_are_refused_before_serving(tmp_path, args, message):
    _, cert, key = self_signed_tls(tmp_path)
    result = runner.invoke(cli_app, ["webhook", "--tls-cert", str(cert), "--tls-key", str(key), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split()).replace("│", "").replace("  ", " ")


def test_tls_files_must_exist_and_match(tmp_path):
    _, cert, _ = self_signed_tls(tmp_path)
    (tmp_path / "other").mkdir()
    _, _, other_key = self_signed_tls(tmp_path / "other")
    missing = runner.invoke(
        cli_app, ["webhook", "--tls-cert", str(tmp_path / "nope.crt"), "--tls-key", str(cert)]
    )
    assert missing.exit_code == 2 and "does not exist" in " ".join(missing.output.replace("│", " ").split())
    mismatched = runner.invoke(cli_app, ["webhook", "--tls-cert", str(cert), "--tls-key", str(other_key)])
    assert mismatched.exit_code == 2 and "cannot load --tls-cert/--tls-key" in " ".join(
        mismatched.output.split()
    )


DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def deploy_objects():
    files = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"]
    docs = [doc for name in files for doc in yaml.safe_load_all((DEPLOY / name).read_text()) if doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def test_mutating_webhook_configuration_is_upstreams():
    objects = deploy_objects()
    config = objects[("MutatingWebhookConfiguration", "pod-identity-webhook")]
    model = kubernetes.client.ApiClient()._ApiClient__deserialize(config, "V1MutatingWebhookConfiguration")
    (hook,) = model.webhooks
    assert (hook.side_effects, hook.failure_policy) == ("None", "Ignore")
    assert hook.admission_review_versions == ["v1", "v1beta1"]
    (rule,) = hook.rules
    assert (rule.operations, rule.api_groups, rule.api_versions, rule.resources) == (
        ["CREATE"],
        [""],
        ["v1"],
        ["pods"],
    )
    (expression,) = hook.object_selector.match_expressions
    assert (expression.key, expression.operator) == (
        "eks.amazonaws.com/skip-pod-identity-webhook",
        "DoesNotExist",
    )
    service = hook.client_config.service
    assert service.path == "/mutate"
    assert ("Service", service.name) in objects
    assert objects[("Service", service.name)]["metadata"]["namespace"] == service.namespace
    certificate = objects[("Certificate", "pod-identity-webhook")]
    assert f"{service.name}.{service.namespace}.svc" in certificate["spec"]["dnsNames"]
    ns, name = config["metadata"]["annotations"]["cert-manager.io/inject-ca-from"].split("/")
    assert (certificate["metadata"]["namespace"], certificate["metadata"]["name"]) == (ns, name)


def test_deployment_runs_eksiam_webhook_with_flags_it_accepts():
    objects = deploy_objects()
    pod = objects[("Deployment", "pod-identity-webhook")]["spec"]["template"]
    (container,) = pod["spec"]["containers"]
    command = typer.main.get_command(cli_app).commands[container["args"][0]]
    known = {opt for param in command.params for opt in param.opts}
    flags = dict(arg.removeprefix("--").split("=", 1) for arg in container["args"][1:])
    assert {f"--{name}" for name in flags} <= known
    assert all(
        parse_go_bool(flags[name]) is not None for name in ("sts-regional-endpoint", "watch-config-map")
    )
    assert pod["metadata"]["labels"]["eks.amazonaws.com/skip-pod-identity-webhook"]
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports["https"] == int(flags["port"])
    assert objects[("Service", "pod-identity-webhook")]["spec"]["ports"][0]["targetPort"] == "https"
    mount = container["volumeMounts"][0]["mountPath"]
    assert flags["tls-cert"].startswith(mount) and flags["tls-key"].startswith(mount)
    secret = pod["spec"]["volumes"][0]["secret"]["secretName"]
    assert objects[("Certificate", "pod-identity-webhook")]["spec"]["secretName"] == secret
    account = pod["spec"]["serviceAccountName"]
    assert ("ServiceAccount", account) in objects
    rules = objects[("ClusterRole", "pod-identity-webhook")]["rules"]
    assert {rule["resources"][0]: rule["verbs"] for rule in rules} == {
        "serviceaccounts": ["get", "list", "watch"],
        "events": ["create", "patch"],
    }


def test_without_kubeconfig_outside_a_cluster_it_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)  # as if not in a pod, even in CI pods
    _, cert, key = self_signed_tls(tmp_path)
    result = runner.invoke(
        cli_app, ["webhook", "--tls-cert", str(cert), "--tls-key", str(key), "--port", "0"]
    )
    assert result.exit_code == 2
    assert "cannot load the cluster configuration" in " ".join(result.output.split())
