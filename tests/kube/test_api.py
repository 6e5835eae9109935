"""The cluster API over a real store, through Starlette's HTTP test client.

Authentication and authorization are the boundary the server wires (STS tokens, access entries);
here they accept one token and forbid one verb so both answers can be checked.
"""

import json
from datetime import UTC, datetime, timedelta

import pytest
from starlette.testclient import TestClient

from eksiam.clock import ManualClock
from eksiam.kube.api import ClusterHandle, KubeUser, cluster_api
from eksiam.kube.in_cluster import webhook_admission
from eksiam.kube.objects import KubeCluster

ROLE = "arn:aws:iam::123456789012:role/s3-reader"
AUTH = {"Authorization": "Bearer good"}


@pytest.fixture
def client(store):
    clock = ManualClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC))
    objects = KubeCluster(store, "c-1", clock, admit=webhook_admission())

    def issue_token(namespace, sa, uid, audiences, seconds, pod):
        return f"jwt:{namespace}:{sa}:{','.join(audiences)}", clock.now() + timedelta(seconds=seconds)

    handle = ClusterHandle("c-1", "demo", objects, issue_token)

    def authenticate(cluster, token):
        return KubeUser("admin", ("system:masters",)) if token == "good" else None

    def authorize(cluster, user, verb, resource, namespace):
        return not (resource == "configmaps" and verb == "delete" and namespace == "locked")

    app = cluster_api(lambda uid: handle if uid == "c-1" else None, authenticate, authorize)
    with TestClient(app) as c:
        yield c


def test_unauthenticated_request_gets_401_status(client):
    r = client.get("/c-1/api/v1/namespaces")
    assert r.status_code == 401
    assert r.json()["kind"] == "Status" and r.json()["reason"] == "Unauthorized"
    assert client.get("/c-1/api/v1/namespaces", headers={"Authorization": "Bearer bad"}).status_code == 401


def test_forbidden_verb_gets_403_naming_user_and_resource(client):
    client.post("/c-1/api/v1/namespaces", headers=AUTH, json={"metadata": {"name": "locked"}})
    client.post("/c-1/api/v1/namespaces/locked/configmaps", headers=AUTH, json={"metadata": {"name": "cm"}})
    r = client.delete("/c-1/api/v1/namespaces/locked/configmaps/cm", headers=AUTH)
    assert r.status_code == 403
    assert 'User "admin" cannot delete resource "configmaps"' in r.json()["message"]
    assert 'in the namespace "locked"' in r.json()["message"]
    assert client.get("/c-1/api/v1/namespaces/locked/configmaps/cm", headers=AUTH).status_code == 200


def test_discovery_lists_the_served_resources(client):
    assert client.get("/c-1/api", headers=AUTH).json()["versions"] == ["v1"]
    names = {r["name"] for r in client.get("/c-1/api/v1", headers=AUTH).json()["resources"]}
    assert {"namespaces", "serviceaccounts", "pods", "configmaps", "serviceaccounts/token"} <= names
    assert client.get("/c-1/version", headers=AUTH).json()["major"] == "1"


def test_new_cluster_has_system_namespaces_with_default_service_accounts(client):
    names = [
        n["metadata"]["name"] for n in client.get("/c-1/api/v1/namespaces", headers=AUTH).json()["items"]
    ]
    assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]
    sa = client.get("/c-1/api/v1/namespaces/kube-system/serviceaccounts/default", headers=AUTH).json()
    assert sa["kind"] == "ServiceAccount" and sa["metadata"]["namespace"] == "kube-system"


def test_create_get_conflict_and_not_found(client):
    body = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "cfg", "labels": {"a": "1"}},
        "data": {"k": "v"},
    }
    created = client.post("/c-1/api/v1/namespaces/default/configmaps", headers=AUTH, json=body)
    assert created.status_code == 201
    meta = created.json()["metadata"]
    assert meta["uid"] and meta["resourceVersion"] and meta["creationTimestamp"] == "2026-11-23T12:00:00Z"
    again = client.post("/c-1/api/v1/namespaces/default/configmaps", headers=AUTH, json=body)
    assert again.status_code == 409 and again.json()["reason"] == "AlreadyExists"
    missing = client.get("/c-1/api/v1/namespaces/default/configmaps/nope", headers=AUTH)
    assert missing.status_code == 404 and missing.json()["message"] == 'configmaps "nope" not found'
    no_ns = client.post("/c-1/api/v1/namespaces/ghost/configmaps", headers=AUTH, json=body)
    assert no_ns.status_code == 404


def test_invalid_names_are_422(client):
    r = client.post("/c-1/api/v1/namespaces", headers=AUTH, json={"metadata": {"name": "Bad_Name"}})
    assert r.status_code == 422 and r.json()["reason"] == "Invalid"


def test_update_with_stale_resource_version_is_a_conflict(client):
    url = "/c-1/api/v1/namespaces/default/configmaps"
    obj = client.post(url, headers=AUTH, json={"metadata": {"name": "c"}, "data": {"x": "1"}}).json()
    obj["data"] = {"x": "2"}
    fresh = client.put(f"{url}/c", headers=AUTH, json=obj)
    assert fresh.status_code == 200 and fresh.json()["data"] == {"x": "2"}
    assert int(fresh.json()["metadata"]["resourceVersion"]) > int(obj["metadata"]["resourceVersion"])
    stale = client.put(f"{url}/c", headers=AUTH, json=obj)
    assert stale.status_code == 409 and stale.json()["reason"] == "Conflict"


@pytest.mark.parametrize(
    ("content_type", "patch", "expected"),
    [
        ("application/merge-patch+json", {"metadata": {"annotations": {"a": "b"}}, "data": {"x": None}}, {}),
        ("application/strategic-merge-patch+json", {"data": {"y": "2"}}, {"x": "1", "y": "2"}),
        (
            "application/json-patch+json",
            [{"op": "add", "path": "/data/z", "value": "3"}],
            {"x": "1", "z": "3"},
        ),
    ],
)
def test_patch_flavours(client, content_type, patch, expected):
    url = "/c-1/api/v1/namespaces/default/configmaps"
    client.post(url, headers=AUTH, json={"metadata": {"name": "p"}, "data": {"x": "1"}})
    r = client.patch(f"{url}/p", headers={**AUTH, "Content-Type": content_type}, content=json.dumps(patch))
    assert r.status_code == 200, r.text
    assert r.json().get("data", {}) == expected


def test_label_selectors_filter_lists(client):
    url = "/c-1/api/v1/namespaces/default/configmaps"
    for name, labels in (("a", {"app": "web", "tier": "fe"}), ("b", {"app": "db"}), ("c", {})):
        client.post(url, headers=AUTH, json={"metadata": {"name": name, "labels": labels}})

    def names(selector):
        items = client.get(url, headers=AUTH, params={"labelSelector": selector}).json()["items"]
        return [i["metadata"]["name"] for i in items]

    assert names("app=web") == ["a"]
    assert names("app!=web") == ["b", "c"]
    assert names("app in (web,db)") == ["a", "b"]
    assert names("!app") == ["c"]
    assert names("app,tier=fe") == ["a"]


def test_pod_with_annotated_service_account_is_mutated(client):
    base = "/c-1/api/v1/namespaces/default"
    client.post(
        f"{base}/serviceaccounts",
        headers=AUTH,
        json={"metadata": {"name": "reader", "annotations": {"eks.amazonaws.com/role-arn": ROLE}}},
    )
    pod = client.post(
        f"{base}/pods",
        headers=AUTH,
        json={
            "metadata": {"name": "app"},
            "spec": {"serviceAccountName": "reader", "containers": [{"name": "c", "image": "x"}]},
        },
    )
    assert pod.status_code == 201
    env = {e["name"]: e["value"] for e in pod.json()["spec"]["containers"][0]["env"]}
    assert env["AWS_ROLE_ARN"] == ROLE
    assert env["AWS_WEB_IDENTITY_TOKEN_FILE"] == "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
    assert pod.json()["spec"]["volumes"][0]["name"] == "aws-iam-token"


def test_pod_not_mutated_gets_an_event_saying_why(client):
    base = "/c-1/api/v1/namespaces/default"
    pod = client.post(
        f"{base}/pods",
        headers=AUTH,
        json={"metadata": {"name": "plain"}, "spec": {"containers": [{"name": "c"}]}},
    )
    assert "env" not in pod.json()["spec"]["containers"][0]
    events = client.get(
        f"{base}/events", headers=AUTH, params={"fieldSelector": "involvedObject.name=plain"}
    ).json()
    (event,) = events["items"]
    assert event["reason"] == "PodIdentityNotInjected"
    assert "default/default has no eks.amazonaws.com/role-arn annotation" in event["message"]


def test_token_request_returns_a_token_for_the_service_account(client):
    r = client.post(
        "/c-1/api/v1/namespaces/default/serviceaccounts/default/token",
        headers=AUTH,
        json={
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"audiences": ["sts.amazonaws.com"], "expirationSeconds": 3600},
        },
    )
    assert r.status_code == 201
    assert r.json()["status"]["token"] == "jwt:default:default:sts.amazonaws.com"
    assert r.json()["status"]["expirationTimestamp"] == "2026-11-23T13:00:00Z"
    short = client.post(
        "/c-1/api/v1/namespaces/default/serviceaccounts/default/token",
        headers=AUTH,
        json={"spec": {"expirationSeconds": 60}},
    )
    assert short.status_code == 422


def test_deleting_a_namespace_removes_its_objects(client):
    client.post("/c-1/api/v1/namespaces", headers=AUTH, json={"metadata": {"name": "team"}})
    client.post("/c-1/api/v1/namespaces/team/configmaps", headers=AUTH, json={"metadata": {"name": "x"}})
    assert client.delete("/c-1/api/v1/namespaces/team", headers=AUTH).status_code == 200
    assert client.get("/c-1/api/v1/namespaces/team/configmaps/x", headers=AUTH).status_code == 404
    assert client.get("/c-1/api/v1/namespaces/team/serviceaccounts/default", headers=AUTH).status_code == 404


def test_watch_streams_changes_after_a_resource_version(client):
    url = "/c-1/api/v1/namespaces/default/configmaps"
    listed = client.get(url, headers=AUTH).json()["metadata"]["resourceVersion"]
    client.post(url, headers=AUTH, json={"metadata": {"name": "w"}})
    client.delete(f"{url}/w", headers=AUTH)
    with client.stream(
        "GET", url, headers=AUTH, params={"watch": "true", "resourceVersion": listed, "timeoutSeconds": "1"}
    ) as r:
        lines = [json.loads(line) for line in r.iter_lines() if line]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in lines] == [("ADDED", "w"), ("DELETED", "w")]


def test_table_output_for_kubectl(client):
    r = client.get(
        "/c-1/api/v1/namespaces", headers={**AUTH, "Accept": "application/json;as=Table;v=v1;g=meta.k8s.io"}
    )
    table = r.json()
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Status", "Age"]
    assert table["rows"][0]["cells"][:2] == ["default", "Active"]


def test_unknown_cluster_and_resource(client):
    assert client.get("/c-9/api/v1/namespaces", headers=AUTH).status_code == 404
    assert client.get("/c-1/api/v1/secrets", headers=AUTH).status_code == 404
