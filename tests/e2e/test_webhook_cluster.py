"""``eksiam webhook --kubeconfig`` against an eksiam cluster served by a real ``eksiam serve``.

The cluster is created through the EKS API, its kubeconfig written by ``eksiam update-kubeconfig``
(the user runs ``aws eks get-token``, which the webhook's ``kubernetes`` client executes too), and
service accounts, ConfigMaps and Pod Identity associations are made with kubectl and the aws CLI.
The webhook runs as its own process over HTTPS with a certificate made by the test; AdmissionReviews
are posted as kube-apiserver posts them, and what is not mutated must show up as a cluster Event.
"""

from __future__ import annotations

import base64
import json
import os
import re
import selectors
import shutil
import signal
import ssl
import subprocess
import sys
import time
import uuid

import httpx
import jsonpatch
import pytest

from kube.test_webhook_server import admission_review, make_pod, self_signed_tls

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed"),
]

ROLE_NAME = "webhook-app"


def run(server, *args, check=True):
    result = subprocess.run(
        list(args), cwd=server.workdir, env=server.kube_env, capture_output=True, text=True, timeout=120
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed: {result.stdout}\n{result.stderr}")
    return result


def kubectl(server, *args):
    return run(server, "kubectl", *args)


def write_json(server, name, document):
    (server.workdir / name).write_text(json.dumps(document))
    return f"file://{name}"


@pytest.fixture(scope="module")
def cluster(eksiam_server):
    server = eksiam_server
    service_trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["eks.amazonaws.com", "pods.eks.amazonaws.com"]},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        ],
    }
    trust = write_json(server, "trust.json", service_trust)
    for role in ("webhookClusterRole", ROLE_NAME, "webhook-pid"):
        server.aws("iam", "create-role", "--role-name", role, "--assume-role-policy-document", trust)
    server.aws(
        "eks",
        "create-cluster",
        "--name",
        "hooks",
        "--role-arn",
        f"arn:aws:iam::{server.account_id}:role/webhookClusterRole",
        "--resources-vpc-config",
        "subnetIds=subnet-1",
    )
    kubeconfig = server.workdir / "webhook-kubeconfig"
    server.kube_env = server.cli_env(KUBECONFIG=str(kubeconfig))
    run(
        server,
        sys.executable,
        "-m",
        "eksiam",
        "update-kubeconfig",
        "--name",
        "hooks",
        "--kubeconfig",
        str(kubeconfig),
    )
    server.kubeconfig = kubeconfig
    server.role_arn = f"arn:aws:iam::{server.account_id}:role/{ROLE_NAME}"
    kubectl(server, "create", "namespace", "team")
    for sa in ("app", "plain", "pid", "mapped"):
        kubectl(server, "create", "serviceaccount", sa, "-n", "team")
    kubectl(
        server,
        "annotate",
        "serviceaccount",
        "app",
        "-n",
        "team",
        f"eks.amazonaws.com/role-arn={server.role_arn}",
    )
    config = {"team/mapped": {"RoleARN": server.role_arn + "-mapped", "UseRegionalSTS": False}}
    kubectl(
        server,
        "create",
        "configmap",
        "pod-identity-webhook",
        "-n",
        "team",
        f"--from-literal=config={json.dumps(config)}",
    )
    server.aws(
        "eks",
        "create-pod-identity-association",
        "--cluster-name",
        "hooks",
        "--namespace",
        "team",
        "--service-account",
        "pid",
        "--role-arn",
        f"arn:aws:iam::{server.account_id}:role/webhook-pid",
    )
    return server


class Webhook:
    def __init__(self, server, tmp_path, *flags):
        ca, cert, key = self_signed_tls(tmp_path)
        self.directory = tmp_path
        self.log_path = tmp_path / "webhook.log"
        args = [
            sys.executable,
            "-m",
            "eksiam",
            "webhook",
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(key),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--kubeconfig",
            str(server.kubeconfig),
            *flags,
        ]
        env = server.kube_env | {"PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, env=env, cwd=tmp_path)
        try:
            self.url = self._ready()
        except BaseException:
            self.stop()
            raise
        self.client = httpx.Client(
            base_url=self.url, verify=ssl.create_default_context(cafile=str(ca)), timeout=30
        )
        assert self.client.get("/healthz").text == "ok"

    def _ready(self):
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline, buffer = time.monotonic() + 60, b""
        try:
            while time.monotonic() < deadline and self.process.poll() is None:
                if selector.select(timeout=0.2):
                    buffer += os.read(self.process.stdout.fileno(), 4096)
                    for line in buffer.decode(errors="replace").splitlines():
                        if line.startswith("eksiam webhook ready at "):
                            return line.split()[-1]
        finally:
            selector.close()
        raise AssertionError(f"webhook did not start: {buffer!r}\n{self.log()}")

    def log(self):
        return self.log_path.read_text(errors="replace")

    def review(self, pod, namespace="team"):
        uid, review = admission_review(pod, namespace)
        response = self.client.post("/mutate", json=review)
        assert response.status_code == 200, response.text
        answer = response.json()["response"]
        assert answer["uid"] == uid and answer["allowed"] is True
        if "patch" not in answer:
            return None
        return jsonpatch.apply_patch(pod, json.loads(base64.b64decode(answer["patch"])))

    def stop(self):
        if getattr(self, "client", None) is not None:
            self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def webhook(cluster, tmp_path_factory):
    hook = Webhook(
        cluster,
        tmp_path_factory.mktemp("webhook"),
        "--aws-default-region",
        "eu-west-1",
        "--sts-regional-endpoint=true",
        "--token-audience",
        "custom-audience",
        "--watch-config-map=true",
        "--namespace",
        "team",
        "--cluster-name",
        "hooks",
        "--endpoint-url",
        cluster.endpoint,
        "--metrics-port",
        "0",
    )
    yield hook
    hook.stop()


def env_of(pod):
    return {e["name"]: e["value"] for e in pod["spec"]["containers"][0]["env"]}


def events_for(cluster, pod_name):
    found = json.loads(kubectl(cluster, "get", "events", "-n", "team", "-o", "json").stdout)["items"]
    return [e for e in found if e["involvedObject"]["name"] == pod_name]


def wait_for_event(cluster, pod_name):
    deadline = time.monotonic() + 30
    while not (found := events_for(cluster, pod_name)):
        assert time.monotonic() < deadline, f"no event for {pod_name}"
        time.sleep(0.3)
    return found


def test_annotated_service_account_gets_the_irsa_patch(cluster, webhook):
    pod = webhook.review(make_pod("app", name="app-0"))
    assert pod is not None
    assert list(env_of(pod).items()) == [
        ("AWS_STS_REGIONAL_ENDPOINTS", "regional"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_ROLE_ARN", cluster.role_arn),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"),
    ]
    token = pod["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert token == {"audience": "custom-audience", "expirationSeconds": 86400, "path": "token"}


def test_service_account_without_role_gets_an_event_in_the_cluster(cluster, webhook):
    name = f"plain-{uuid.uuid4().hex[:6]}"
    assert webhook.review(make_pod("plain", name=name)) is None
    (event,) = wait_for_event(cluster, name)
    assert event["involvedObject"]["kind"] == "Pod" and event["reason"] == "PodIdentityNotInjected"
    assert event["message"] == (
        "service account team/plain has no eks.amazonaws.com/role-arn annotation"
        " and no Pod Identity association"
    )
    assert event["source"]["component"] == "pod-identity-webhook"
    assert f"pod team/{name} not mutated" in webhook.log()


def test_service_account_annotated_just_before_the_pod_is_not_skipped(cluster, webhook):
    assert webhook.review(make_pod("late", name="late-0")) is None
    assert "was not found" in wait_for_event(cluster, "late-0")[0]["message"]
    kubectl(cluster, "create", "serviceaccount", "late", "-n", "team")
    assert webhook.review(make_pod("late", name="late-1")) is None
    kubectl(
        cluster,
        "annotate",
        "serviceaccount",
        "late",
        "-n",
        "team",
        f"eks.amazonaws.com/role-arn={cluster.role_arn}",
    )
    pod = webhook.review(make_pod("late", name="late-2"))
    assert pod is not None and env_of(pod)["AWS_ROLE_ARN"] == cluster.role_arn


def test_pod_identity_association_from_eks(cluster, webhook):
    pod = webhook.review(make_pod("pid", name="pid-0"))
    assert pod is not None
    assert pod["metadata"]["labels"] == {"eks.amazonaws.com/pod-identity": "enabled"}
    env = env_of(pod)
    assert env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "http://169.254.170.23/v1/credentials"
    assert "AWS_ROLE_ARN" not in env
    token = pod["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert token["audience"] == "pods.eks.amazonaws.com" and 79200 <= token["expirationSeconds"] <= 86400


def test_config_map_entry_read_from_the_cluster(cluster, webhook):
    pod = webhook.review(make_pod("mapped", name="mapped-0"))
    assert pod is not None
    env = env_of(pod)
    assert env["AWS_ROLE_ARN"] == cluster.role_arn + "-mapped"
    assert "AWS_STS_REGIONAL_ENDPOINTS" not in env  # the entry's UseRegionalSTS=false beats the flag


def test_metrics_count_what_was_answered(cluster, webhook):
    webhook.review(make_pod("app", name="app-m"))
    webhook.review(make_pod("plain", name="plain-m"))
    (url,) = re.findall(r"metrics at (http://\S+)", webhook.log())
    text = httpx.get(url, timeout=10).text
    mutated = re.search(r'pod_identity_webhook_admissions_total\{mode="irsa",result="mutated"\} (\d+)', text)
    skipped = re.search(r'pod_identity_webhook_admissions_total\{mode="",result="skipped"\} (\d+)', text)
    assert mutated and float(mutated.group(1)) >= 1
    assert skipped and float(skipped.group(1)) >= 1


def test_webhook_without_config_map_or_cluster_name_ignores_them(cluster, tmp_path):
    hook = Webhook(cluster, tmp_path)
    try:
        assert hook.review(make_pod("mapped", name="mapped-1")) is None
        assert hook.review(make_pod("pid", name="pid-1")) is None
        pod = hook.review(make_pod("app", name="app-1"))
        assert pod is not None and list(env_of(pod)) == ["AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"]
    finally:
        hook.stop()


def test_rotated_certificate_is_picked_up_without_a_restart(cluster, tmp_path):
    hook = Webhook(cluster, tmp_path)
    try:
        (tmp_path / "next").mkdir()
        new_ca, new_cert, new_key = self_signed_tls(tmp_path / "next")
        (tmp_path / "tls.key").write_bytes(new_key.read_bytes())  # as a Secret update lands: both files
        (tmp_path / "tls.crt").write_bytes(new_cert.read_bytes())
        verify = ssl.create_default_context(cafile=str(new_ca))
        deadline = time.monotonic() + 60
        while True:
            try:
                with httpx.Client(verify=verify) as fresh:
                    assert fresh.get(f"{hook.url}/healthz").text == "ok"
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, hook.log()
                time.sleep(0.5)
        assert "reloaded" in hook.log()
        assert hook.process.poll() is None
    finally:
        hook.stop()
