"""``eksiam run-pod``: run a local process as if it were a container of a pod in an eksiam cluster.

What a kubelet and the EKS node would give the container is materialised locally, from the pod as
the cluster API stored it (already mutated by the pod identity webhook):

- the container's environment (``value`` entries; ``valueFrom`` is not resolved);
- every projected service-account token volume, fetched with TokenRequest for the pod's service
  account (audience and lifetime of the volume, bound to the pod) and written under a private
  directory; environment values that point into a mount path are rewritten to that directory;
- for Pod Identity, a local stand-in for the EKS Pod Identity Agent on 127.0.0.1: it answers
  ``GET /v1/credentials`` by calling eks-auth:AssumeRoleForPodIdentity with the token the SDK sends,
  signed with the caller's own credentials (the "node"), as the real agent does.

The child gets no AWS credentials of the caller: access keys, profiles and config files are removed
from its environment, its ``HOME`` is the private directory (so no credential cache is shared, as
none is between containers), and ``AWS_ENDPOINT_URL`` points at eksiam, so an unmodified program using the
SDK's default credential chain finds its role by itself (web identity or container credentials).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Annotated, Any

import boto3
import typer

from eksiam.cli.cluster_access import ClusterClient, connect
from eksiam.config import endpoint_from_env

_CALLER_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)


def _agent(eks_auth: Any, cluster: str) -> ThreadingHTTPServer:
    """The Pod Identity Agent's ``/v1/credentials`` on 127.0.0.1 (agent repo, eks_credential_handler)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            token = self.headers.get("Authorization", "")
            if self.path != "/v1/credentials":
                self._answer(404, {"message": "Not found"})
            elif not token:
                self._answer(400, {"message": "Service account token cannot be empty"})
            else:
                try:
                    answer = eks_auth.assume_role_for_pod_identity(clusterName=cluster, token=token)
                except eks_auth.exceptions.ClientError as err:
                    status = err.response["ResponseMetadata"]["HTTPStatusCode"]
                    self._answer(status, {"message": err.response["Error"].get("Message", "")})
                    return
                credentials = answer["credentials"]
                expiration: datetime = credentials["expiration"]
                self._answer(
                    200,
                    {
                        "AccessKeyId": credentials["accessKeyId"],
                        "SecretAccessKey": credentials["secretAccessKey"],
                        "Token": credentials["sessionToken"],
                        "AccountId": answer["assumedRoleUser"]["arn"].split(":")[4],
                        "Expiration": expiration.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    },
                )

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _token_files(
    client: ClusterClient, pod: dict[str, Any], container: dict[str, Any], root: Path
) -> dict[str, str]:
    """Write each projected token the container mounts; returns mount path -> local directory."""
    meta, spec = pod["metadata"], pod["spec"]
    mounts = {m["name"]: m["mountPath"] for m in container.get("volumeMounts") or []}
    where: dict[str, str] = {}
    for volume in spec.get("volumes") or []:
        if volume["name"] not in mounts:
            continue
        for source in (volume.get("projected") or {}).get("sources") or []:
            token_source = source.get("serviceAccountToken")
            if token_source is None:
                continue
            request = {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {
                    "audiences": [token_source["audience"]] if token_source.get("audience") else [],
                    "expirationSeconds": token_source.get("expirationSeconds", 3600),
                    "boundObjectRef": {
                        "kind": "Pod",
                        "apiVersion": "v1",
                        "name": meta["name"],
                        "uid": meta["uid"],
                    },
                },
            }
            sa = spec.get("serviceAccountName") or "default"
            path = f"/api/v1/namespaces/{meta['namespace']}/serviceaccounts/{sa}/token"
            token = client.request("POST", path, json=request)["status"]["token"]
            local = root / mounts[volume["name"]].lstrip("/")
            local.mkdir(parents=True, exist_ok=True)
            target = local / token_source["path"]
            target.write_text(token)
            target.chmod(0o600)
            where[mounts[volume["name"]]] = str(local)
    return where


def run_pod(
    pod_name: Annotated[str, typer.Argument(help="The pod whose environment to run in.")],
    command: Annotated[list[str], typer.Argument(help="The command to run (after --).")],
    cluster: Annotated[str, typer.Option(help="The eksiam cluster.")],
    namespace: Annotated[str, typer.Option("--namespace", "-n", help="The pod's namespace.")] = "default",
    container_name: Annotated[
        str | None, typer.Option("--container", "-c", help="Container (default: first).")
    ] = None,
    region: Annotated[
        str | None, typer.Option(help="The cluster's region (default: as the AWS CLI).")
    ] = None,
    endpoint_url: Annotated[
        str | None, typer.Option(help="eksiam endpoint (default: as the AWS CLI).")
    ] = None,
) -> None:
    """Run COMMAND locally with a pod's injected environment and token files, as its container would."""
    endpoint = endpoint_from_env(endpoint_url)
    session = boto3.session.Session(region_name=region)
    client_region = session.region_name or "us-east-1"
    client = connect(session, cluster, endpoint, client_region)
    pod = client.request("GET", f"/api/v1/namespaces/{namespace}/pods/{pod_name}")
    containers = pod["spec"].get("containers") or []
    chosen = (
        next((c for c in containers if c["name"] == container_name), None)
        if container_name
        else containers[0]
    )
    if chosen is None:
        typer.echo(f"error: pod {namespace}/{pod_name} has no container {container_name}", err=True)
        raise typer.Exit(2)
    with tempfile.TemporaryDirectory(prefix="eksiam-pod-") as directory:
        root = Path(directory)
        moved = _token_files(client, pod, chosen, root)
        env = {k: v for k, v in os.environ.items() if k not in _CALLER_VARIABLES}
        env.update(
            AWS_CONFIG_FILE=str(root / "no-config"), AWS_SHARED_CREDENTIALS_FILE=str(root / "no-credentials")
        )
        env["AWS_ENDPOINT_URL"] = endpoint
        env["HOME"] = str(root)  # a container's own home: no credential cache shared with the caller
        agent = None
        for variable in chosen.get("env") or []:
            if "value" not in variable:
                continue
            value = str(variable["value"])
            for mount, local in moved.items():
                if value.startswith(mount + "/"):
                    value = local + value[len(mount) :]
            env[variable["name"]] = value
        if "AWS_CONTAINER_CREDENTIALS_FULL_URI" in env:
            agent = _agent(
                session.client("eks-auth", endpoint_url=endpoint, region_name=client_region), cluster
            )
            env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = (
                f"http://127.0.0.1:{agent.server_address[1]}/v1/credentials"
            )
        try:
            result = subprocess.run(command, env=env, check=False)
        finally:
            if agent is not None:
                agent.shutdown()
            client.http.close()
    raise typer.Exit(result.returncode)
