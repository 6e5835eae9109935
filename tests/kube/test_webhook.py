"""The webhook's mutation, case by case after the upstream fixtures (irsa-and-eksctl.md 1.9).

Each test applies the returned JSONPatch (RFC 6902) to the pod and checks the pod that results, as
the spec recommends, rather than the patch bytes.
"""

import copy

import jsonpatch
import pytest

from eksiam.kube.webhook import ConfigMapEntry, Identity, WebhookSettings, mutate_pod, parse_go_bool

ROLE = "arn:aws:iam::111122223333:role/s3-reader"
TOKEN = "/var/run/secrets/eks.amazonaws.com/serviceaccount/token"
PI_TOKEN = "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"
PI_URI = "http://169.254.170.23/v1/credentials"


def pod(containers=None, init=None, volumes=None, annotations=None, labels=None, node_selector=None):
    spec = {"serviceAccountName": "default", "containers": containers or [{"name": "app", "image": "x"}]}
    if init is not None:
        spec["initContainers"] = init
    if volumes is not None:
        spec["volumes"] = volumes
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    meta = {"name": "p"}
    if annotations:
        meta["annotations"] = annotations
    if labels:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


def irsa(**extra):
    return Identity(annotations={"eks.amazonaws.com/role-arn": ROLE, **extra})


def apply(p, mutation):
    assert mutation.patch is not None, mutation.reason
    return jsonpatch.apply_patch(copy.deepcopy(p), mutation.patch)


def env(container):
    return [(e["name"], e.get("value")) for e in container.get("env", [])]


def test_basic_irsa_pod_gets_role_token_volume_and_mount():
    p = pod()
    out = apply(p, mutate_pod(p, "default", irsa()))
    (app,) = out["spec"]["containers"]
    assert env(app) == [("AWS_ROLE_ARN", ROLE), ("AWS_WEB_IDENTITY_TOKEN_FILE", TOKEN)]
    assert app["volumeMounts"] == [
        {
            "name": "aws-iam-token",
            "readOnly": True,
            "mountPath": "/var/run/secrets/eks.amazonaws.com/serviceaccount",
        }
    ]
    assert out["spec"]["volumes"] == [
        {
            "name": "aws-iam-token",
            "projected": {
                "sources": [
                    {
                        "serviceAccountToken": {
                            "audience": "sts.amazonaws.com",
                            "expirationSeconds": 86400,
                            "path": "token",
                        }
                    }
                ]
            },
        }
    ]


def test_new_volume_is_inserted_before_existing_volumes():
    p = pod(volumes=[{"name": "data", "emptyDir": {}}])
    out = apply(p, mutate_pod(p, "default", irsa()))
    assert [v["name"] for v in out["spec"]["volumes"]] == ["aws-iam-token", "data"]


def test_existing_volume_and_mount_with_the_name_are_kept():
    p = pod(
        containers=[{"name": "app", "volumeMounts": [{"name": "aws-iam-token", "mountPath": "/elsewhere"}]}],
        volumes=[{"name": "aws-iam-token", "hostPath": {"path": "/x"}}],
    )
    m = mutate_pod(p, "default", irsa())
    assert all(op["path"] not in ("/spec/volumes", "/spec/volumes/0") for op in m.patch)
    out = apply(p, m)
    assert out["spec"]["volumes"] == [{"name": "aws-iam-token", "hostPath": {"path": "/x"}}]
    assert out["spec"]["containers"][0]["volumeMounts"] == [
        {"name": "aws-iam-token", "mountPath": "/elsewhere"}
    ]


def test_region_flag_injects_default_region_then_region_before_identity():
    p = pod()
    out = apply(p, mutate_pod(p, "default", irsa(), WebhookSettings(aws_default_region="eu-west-1")))
    assert [n for n, _ in env(out["spec"]["containers"][0])] == [
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_ROLE_ARN",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ]


def test_one_region_variable_present_blocks_both():
    p = pod(containers=[{"name": "app", "env": [{"name": "AWS_REGION", "value": "us-west-2"}]}])
    out = apply(p, mutate_pod(p, "default", irsa(), WebhookSettings(aws_default_region="eu-west-1")))
    assert env(out["spec"]["containers"][0]) == [
        ("AWS_REGION", "us-west-2"),
        ("AWS_ROLE_ARN", ROLE),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", TOKEN),
    ]


def test_init_and_main_containers_with_the_same_name_are_both_mutated():
    p = pod(containers=[{"name": "c"}], init=[{"name": "c"}, {"name": "sidecar", "restartPolicy": "Always"}])
    out = apply(p, mutate_pod(p, "default", irsa()))
    for c in out["spec"]["initContainers"] + out["spec"]["containers"]:
        assert ("AWS_ROLE_ARN", ROLE) in env(c)
    assert out["spec"]["initContainers"][1]["restartPolicy"] == "Always"


@pytest.mark.parametrize(
    ("annotation", "flag", "injected"),
    [
        ("true", False, True),
        ("false", True, False),
        ("T", False, True),
        ("yes", True, True),
        ("yes", False, False),
    ],
)
def test_sts_regional_annotation_overrides_the_flag_both_ways(annotation, flag, injected):
    p = pod()
    m = mutate_pod(
        p,
        "default",
        irsa(**{"eks.amazonaws.com/sts-regional-endpoints": annotation}),
        WebhookSettings(sts_regional_endpoint=flag),
    )
    names = [n for n, _ in env(apply(p, m)["spec"]["containers"][0])]
    assert (names[0] == "AWS_STS_REGIONAL_ENDPOINTS") is injected


def test_container_with_every_group_is_left_untouched_but_volume_is_added():
    have = [
        {"name": "AWS_ROLE_ARN", "value": "mine"},
        {"name": "AWS_DEFAULT_REGION", "value": "r"},
        {"name": "AWS_STS_REGIONAL_ENDPOINTS", "value": "legacy"},
    ]
    p = pod(
        containers=[{"name": "app", "env": have}], annotations={"eks.amazonaws.com/token-expiration": "3600"}
    )
    out = apply(p, mutate_pod(p, "default", irsa()))
    assert out["spec"]["containers"] == [{"name": "app", "env": have}]
    assert (
        out["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"]
        == 3600
    )


def test_one_identity_variable_blocks_the_other():
    p = pod(containers=[{"name": "app", "env": [{"name": "AWS_ROLE_ARN", "value": "already-defined"}]}])
    out = apply(p, mutate_pod(p, "default", irsa()))
    assert env(out["spec"]["containers"][0]) == [("AWS_ROLE_ARN", "already-defined")]
    assert out["spec"]["containers"][0]["volumeMounts"][0]["name"] == "aws-iam-token"


@pytest.mark.parametrize(
    ("pod_value", "sa_value", "expected"),
    [
        (None, None, 86400),
        ("3600", None, 3600),
        ("0", None, 600),
        ("junk", "7200", 7200),
        (None, "100", 600),
        ("4000", "7200", 4000),
    ],
)
def test_token_expiration_precedence_and_floor(pod_value, sa_value, expected):
    annotations = {"eks.amazonaws.com/token-expiration": pod_value} if pod_value else None
    extra = {"eks.amazonaws.com/token-expiration": sa_value} if sa_value else {}
    p = pod(annotations=annotations)
    out = apply(p, mutate_pod(p, "default", irsa(**extra)))
    assert (
        out["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["expirationSeconds"]
        == expected
    )


def test_skip_containers_are_untouched():
    p = pod(
        containers=[{"name": "a"}, {"name": "b"}],
        init=[{"name": "b"}],
        annotations={"eks.amazonaws.com/skip-containers": "b"},
    )
    out = apply(p, mutate_pod(p, "default", irsa()))
    assert out["spec"]["containers"][1] == {"name": "b"}
    assert out["spec"]["initContainers"] == [{"name": "b"}]
    assert ("AWS_ROLE_ARN", ROLE) in env(out["spec"]["containers"][0])


def test_unrelated_container_fields_survive():
    c = {
        "name": "app",
        "ports": [{"containerPort": 50051, "name": "grpc"}],
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
    }
    p = pod(containers=[c])
    out = apply(p, mutate_pod(p, "default", irsa()))
    assert out["spec"]["containers"][0]["ports"] == c["ports"]
    assert out["spec"]["containers"][0]["securityContext"] == c["securityContext"]


@pytest.mark.parametrize("key", ["kubernetes.io/os", "beta.kubernetes.io/os"])
def test_windows_pods_get_a_windows_token_path_and_unix_mount(key):
    p = pod(node_selector={key: "windows"})
    out = apply(p, mutate_pod(p, "default", irsa()))
    c = out["spec"]["containers"][0]
    assert (
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token",
    ) in env(c)
    assert c["volumeMounts"][0]["mountPath"] == "/var/run/secrets/eks.amazonaws.com/serviceaccount"


def test_audience_annotation_sets_the_token_audience():
    p = pod()
    out = apply(p, mutate_pod(p, "default", irsa(**{"eks.amazonaws.com/audience": "my-aud"})))
    assert out["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]["audience"] == "my-aud"


def test_no_role_means_no_patch_and_a_reason():
    m = mutate_pod(pod(), "team", Identity(annotations={}))
    assert m.patch is None and "team/default" in m.reason and "role-arn" in m.reason
    missing = mutate_pod(pod(), "team", Identity(service_account_found=False))
    assert missing.patch is None and "not found" in missing.reason


def test_pod_identity_takes_precedence_over_role_arn_and_labels_the_pod():
    p = pod()
    out = apply(
        p,
        mutate_pod(
            p, "default", Identity(annotations={"eks.amazonaws.com/role-arn": ROLE}, pod_identity=True)
        ),
    )
    assert out["metadata"]["labels"] == {"eks.amazonaws.com/pod-identity": "enabled"}
    assert env(out["spec"]["containers"][0]) == [
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", PI_URI),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", PI_TOKEN),
    ]
    token = out["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert out["spec"]["volumes"][0]["name"] == "eks-pod-identity-token"
    assert token == {
        "audience": "pods.eks.amazonaws.com",
        "expirationSeconds": 79200,
        "path": "eks-pod-identity-token",
    }


def test_pod_identity_adds_one_label_to_existing_labels():
    p = pod(labels={"app": "web"})
    out = apply(p, mutate_pod(p, "default", Identity(pod_identity=True)))
    assert out["metadata"]["labels"] == {"app": "web", "eks.amazonaws.com/pod-identity": "enabled"}


def test_pod_identity_jitter_only_for_the_default_lifetime():
    p = pod()
    jittered = mutate_pod(p, "default", Identity(pod_identity=True), jitter=lambda lo, hi: hi - 5)
    assert (
        apply(p, jittered)["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"][
            "expirationSeconds"
        ]
        == 86395
    )
    fixed = mutate_pod(
        p,
        "default",
        Identity(pod_identity=True, annotations={"eks.amazonaws.com/token-expiration": "7200"}),
        jitter=lambda lo, hi: hi - 5,
    )
    assert (
        apply(p, fixed)["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"][
            "expirationSeconds"
        ]
        == 7200
    )


def test_irsa_never_jitters():
    p = pod()
    m = mutate_pod(p, "default", irsa(), jitter=lambda lo, hi: lo)
    assert (
        apply(p, m)["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"][
            "expirationSeconds"
        ]
        == 86400
    )


def test_config_map_entry_supplies_role_when_sa_has_none():
    p = pod()
    entry = ConfigMapEntry(role_arn=ROLE, audience="aud2", use_regional_sts=True, token_expiration=0)
    out = apply(p, mutate_pod(p, "default", Identity(annotations={}, config_map=entry)))
    c = out["spec"]["containers"][0]
    assert env(c)[0] == ("AWS_STS_REGIONAL_ENDPOINTS", "regional")
    assert ("AWS_ROLE_ARN", ROLE) in env(c)
    src = out["spec"]["volumes"][0]["projected"]["sources"][0]["serviceAccountToken"]
    assert (src["audience"], src["expirationSeconds"]) == ("aud2", 86400)


def test_custom_annotation_prefix():
    p = pod()
    ident = Identity(annotations={"example.com/role-arn": ROLE})
    assert mutate_pod(p, "default", ident).patch is None
    assert mutate_pod(p, "default", ident, WebhookSettings(annotation_prefix="example.com")).patch is not None


def test_patch_operations_are_in_upstream_order():
    p = pod(init=[{"name": "i"}], labels={"a": "b"})
    paths = [op["path"] for op in mutate_pod(p, "default", Identity(pod_identity=True)).patch]
    assert paths == [
        "/metadata/labels/eks.amazonaws.com~1pod-identity",
        "/spec/volumes",
        "/spec/containers",
        "/spec/initContainers",
    ]
    assert all(op["op"] == "add" for op in mutate_pod(p, "default", irsa()).patch)


def test_go_bool_spellings():
    assert [parse_go_bool(s) for s in ("1", "True", "FALSE", "f", "yes", "")] == [
        True,
        True,
        False,
        False,
        None,
        None,
    ]


def test_input_pod_is_not_modified():
    p = pod(containers=[{"name": "app", "env": [{"name": "X", "value": "1"}]}])
    before = copy.deepcopy(p)
    mutate_pod(p, "default", irsa())
    assert p == before
