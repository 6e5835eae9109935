"""IpAddress / NotIpAddress (IAM User Guide, "Condition operators", "IP address condition operators").

Policy values are IPv4 or IPv6 addresses or CIDR blocks (host bits may be set, as in
``203.0.113.0/24`` written ``203.0.113.7/24``); the request value is one address. An IPv4 address
never falls in an IPv6 block and vice versa.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from eksiam.policy.operators.family import Family
from eksiam.policy.wildcards import unmark

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def read_network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(unmark(text).strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=8192)  # parsing an address costs more than the comparison; requests repeat them
def read_address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _within(address: Any, network: Any) -> bool:
    return bool(address.version == network.version and address in network)


FAMILIES = {
    "IpAddress": Family("IpAddress", False, read_network, read_address, _within),
    "NotIpAddress": Family("NotIpAddress", True, read_network, read_address, _within),
}
