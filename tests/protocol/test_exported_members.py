"""The public API is exactly ``__all__`` (other layers import only these names)."""

from __future__ import annotations

import eksiam.protocol


def test_every_exported_name_exists() -> None:
    assert all(hasattr(eksiam.protocol, name) for name in eksiam.protocol.__all__)
    assert {"AwsEndpoint", "HttpRequest", "HttpResponse", "RoutedOperation", "DispatchDrift"} <= set(
        eksiam.protocol.__all__
    )
