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
import re
import socket
import unicodedata
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
# Unicode categories refused anywhere in a URL: control, format (invisible: zero-width, bidi), surrogate.
UNPRINTABLE = frozenset({"Cc", "Cf", "Cs"})
# The host and port after any user-info: a bracketed IPv6 literal or a name/IPv4 address with no brackets
# or colon, then at most one ``:`` and ASCII digits (urlsplit drops text before ``[`` and after ``]``).
HOST_PORT = re.compile(r"(?:\[[^\[\]]*\]|[^\[\]:]*)(?::(?P<port>[0-9]*))?")


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


def _unprintable(url: str) -> str | None:
    """The first whitespace (any, not only ASCII), control (C0, DEL, C1), format (invisible: zero-width,
    bidi) or lone surrogate character in ``url``, described; ``None`` when there is none. urlsplit
    silently drops tabs and line breaks and strips leading spaces, so this looks before it."""
    for index, char in enumerate(url):
        if char.isspace() or unicodedata.category(char) in UNPRINTABLE:
            return f"U+{ord(char):04X} at position {index}"
    return None


def parse(url: str, *, allow_private: bool) -> Target:
    """The URL's parts, or :class:`RefusedUrl` (not http(s), https required, credentials, no host,
    a #fragment, whitespace or control characters, a port outside 1-65535)."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedUrl(f"must be at most {MAX_URL_LENGTH} characters")
    found = _unprintable(url)
    if found is not None:
        raise RefusedUrl(f"must not contain whitespace or control characters (found {found})")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedUrl(f"is not a valid URL ({error})") from None
    host_port = HOST_PORT.fullmatch(parts.netloc.rpartition("@")[2])
    if host_port is None:
        raise RefusedUrl("is not a valid URL (its host and port cannot be read)")
    if host_port["port"] == "" or (port is not None and not 1 <= port <= 65535):
        raise RefusedUrl("must have a port from 1 to 65535 after the ':' (or none, for the default)")
    if parts.scheme not in ("https", "http"):
        raise RefusedUrl("must be an https:// URL")
    if parts.scheme == "http" and not allow_private:
        raise RefusedUrl("must use https (http is allowed only with BILLFOLD_WEBHOOK_ALLOW_PRIVATE=true)")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl("must not carry a user name or password")
    if not parts.hostname:
        raise RefusedUrl("must name a host")
    if parts.fragment or "#" in url:
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
