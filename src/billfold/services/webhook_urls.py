"""Which webhook URLs Billfold will call: no loopback, private, link-local, shared (CGNAT), multicast,
reserved, unspecified or cloud-metadata addresses, in IPv4, IPv6 or IPv4-mapped/-translated forms, and
``https`` only, unless ``BILLFOLD_WEBHOOK_ALLOW_PRIVATE=true`` (for local receivers and tests).

A name is resolved here, by Billfold, and every address it resolves to must be allowed: the check runs
when the endpoint is created or its URL changed (a 400 naming ``url``) and again before every delivery,
when the deliverer connects to one of the addresses it has just checked (so a name re-pointed at an
internal address after creation, DNS rebinding, is refused with nothing sent).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses it resolves to
Resolver = Callable[[str, int], Awaitable[list[str]]]
MAX_URL_LENGTH = 2048
RESOLVE_TIMEOUT_S = 5
# Cloud instance-metadata services answer on these (besides 169.254.169.254, link-local anyway).
METADATA = {ipaddress.ip_address("fd00:ec2::254"), ipaddress.ip_address("100.100.100.200")}
CGNAT = ipaddress.ip_network("100.64.0.0/10")


class RefusedUrl(ValueError):
    """A URL Billfold will not call; the message says why."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    # path and query, as given
    path: str


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def parse(url: str, *, allow_private: bool) -> Target:
    """The URL's parts, or :class:`RefusedUrl` (not http(s), https required, credentials, no host)."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedUrl(f"must be at most {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedUrl(f"is not a valid URL ({error})") from None
    if parts.scheme not in ("https", "http"):
        raise RefusedUrl("must be an https:// URL")
    if parts.scheme == "http" and not allow_private:
        raise RefusedUrl("must use https (http is allowed only with BILLFOLD_WEBHOOK_ALLOW_PRIVATE=true)")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl("must not carry a user name or password")
    if not parts.hostname:
        raise RefusedUrl("must name a host")
    if parts.fragment:
        raise RefusedUrl("must not have a #fragment")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), path)


def refusal(address: str) -> str | None:
    """Why ``address`` may not be called, or ``None`` when it is a public unicast address."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is None and ip in ipaddress.ip_network("64:ff9b::/96"):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            reason = refusal(str(embedded))
            return None if reason is None else f"{address} embeds {reason}"
    checks = (
        (ip.is_loopback, "loopback"),
        (ip.is_unspecified, "unspecified"),
        (ip.is_link_local, "link-local (cloud metadata lives here)"),
        (ip.is_multicast, "multicast"),
        (ip in METADATA, "a cloud metadata address"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in CGNAT, "shared address space (CGNAT)"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "not globally routable"),
    )
    for hit, name in checks:
        if hit:
            return f"{address} is {name}"
    return None


async def allowed_addresses(
    target: Target, *, allow_private: bool, resolver: Resolver | None = None
) -> list[str]:
    """Resolve the target's host and return its addresses, every one of them allowed; otherwise
    :class:`RefusedUrl`. An IP literal is checked as it is."""
    host = target.host
    try:
        ipaddress.ip_address(host)
        addresses = [host]
    except ValueError:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT_S):
                addresses = await (resolver or system_resolver)(host, target.port)
        except OSError as error:
            raise RefusedUrl(f"its host {host} cannot be resolved ({error.strerror or error})") from None
        except (UnicodeError, ValueError):
            raise RefusedUrl(f"its host {host[:100]} is not a valid host name") from None
        except TimeoutError:
            raise RefusedUrl(f"its host {host} could not be resolved in {RESOLVE_TIMEOUT_S} s") from None
    if not addresses:
        raise RefusedUrl(f"its host {host} resolves to no address")
    if not allow_private:
        for address in addresses:
            reason = refusal(address)
            if reason is not None:
                raise RefusedUrl(f"resolves to a refused address: {reason}")
    return addresses


async def check_url(url: str, *, allow_private: bool, resolver: Resolver | None = None) -> Target:
    target = parse(url, allow_private=allow_private)
    await allowed_addresses(target, allow_private=allow_private, resolver=resolver)
    return target
