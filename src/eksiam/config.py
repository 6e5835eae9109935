"""Settings, built once from flags and the environment; nothing else in eksiam reads ``os.environ``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8455


def default_data_url() -> str:
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'eksiam' / 'eksiam.db'}"


@dataclass(frozen=True, slots=True)
class Settings:
    account_id: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_url: str = field(default_factory=default_data_url)
    enforce: bool = True
    partition: str = "aws"
    root_access_key_id: str | None = None
    root_secret_access_key: str | None = field(default=None, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def with_(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]


def store_url(value: str) -> str:
    """``--data`` and ``EKSIAM_DATA`` take a store URL or a plain SQLite file path."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def from_env(env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Settings from ``EKSIAM_*`` variables, then explicit overrides (flags) where not None."""
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    if "EKSIAM_ACCOUNT_ID" in env:
        values["account_id"] = env["EKSIAM_ACCOUNT_ID"]
    if "EKSIAM_REGION" in env:
        values["region"] = env["EKSIAM_REGION"]
    if "EKSIAM_DATA" in env:
        values["data_url"] = store_url(env["EKSIAM_DATA"])
    if "EKSIAM_PORT" in env:
        values["port"] = int(env["EKSIAM_PORT"])
    if "EKSIAM_ACCESS_KEY_ID" in env:
        values["root_access_key_id"] = env["EKSIAM_ACCESS_KEY_ID"]
    if "EKSIAM_SECRET_ACCESS_KEY" in env:
        values["root_secret_access_key"] = env["EKSIAM_SECRET_ACCESS_KEY"]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)  # type: ignore[arg-type]


def endpoint_from_env(flag: str | None, env: Mapping[str, str] | None = None) -> str:
    """The endpoint a client command talks to, found as the AWS CLI finds it."""
    env = os.environ if env is None else env
    return flag or env.get("AWS_ENDPOINT_URL") or f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
