"""Which webhook URLs :func:`billfold.services.webhook_urls.parse` refuses before anything is resolved,
and the parts it reads from those it takes."""

from __future__ import annotations

import pytest

from billfold.services.webhook_urls import RefusedUrl, Target, check_url, parse

PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        # urlsplit drops CR, LF and tab silently: the URL as stored would differ from the one called
        (f"https://{PUBLIC}/\r\nX-Injected: 1", "U+000D at position 22"),
        (f"https://{PUBLIC}/a\nb", "U+000A"),
        (f"https://{PUBLIC}/a\tb", "U+0009"),
        (f"https://{PUBLIC}/a b", "U+0020"),
        (f" https://{PUBLIC}/", "U+0020 at position 0"),
        (f"https://{PUBLIC}/a ", "U+0020"),
        (f"https://{PUBLIC} /", "U+0020"),
        (f"https://{PUBLIC}/?q=a b", "U+0020"),
        (f"https://{PUBLIC}/a\x00b", "U+0000"),
        (f"https://{PUBLIC}/a\x1fb", "U+001F"),
        (f"https://{PUBLIC}/a\x7fb", "U+007F"),
        (f"https://{PUBLIC}/a\x85b", "U+0085"),  # NEL, a C1 control
        (f"https://{PUBLIC}/a\u00a0b", "U+00A0"),  # no-break space
        (f"https://{PUBLIC}/a\u2028b", "U+2028"),  # line separator
        (f"https://{PUBLIC}/a\u3000b", "U+3000"),  # ideographic space
        ("https://exa\u200bmple.com/", "U+200B"),  # zero-width space (IDNA would drop it)
        (f"https://{PUBLIC}/\u202eb", "U+202E"),  # right-to-left override
        (f"https://{PUBLIC}/\ud800", "U+D800"),  # a lone surrogate (valid JSON, not encodable)
    ],
)
def test_whitespace_and_control_characters_are_refused(url: str, reason: str) -> None:
    with pytest.raises(RefusedUrl, match="whitespace or control characters") as refused:
        parse(url, allow_private=False)
    assert reason in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PUBLIC}:0/",
        f"https://{PUBLIC}:00/",
        f"https://{PUBLIC}:/",
        "https://[2606:2800:220:1:248:1893:25c8:1946]:0/",
        "https://[2606:2800:220:1:248:1893:25c8:1946]:/",
    ],
)
def test_port_zero_or_empty_is_refused(url: str) -> None:
    with pytest.raises(RefusedUrl, match="port from 1 to 65535"):
        parse(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        f"https://{PUBLIC}:65536/",
        f"https://{PUBLIC}:99999/",
        f"https://{PUBLIC}:-1/",
        f"https://{PUBLIC}:+443/",
        f"https://{PUBLIC}:4_43/",
        f"https://{PUBLIC}:\u0664\u0664\u0663/",  # Arabic-Indic digits: int() would read 443
        f"https://{PUBLIC}:443:443/",
        f"https://{PUBLIC}:https/",
        # urlsplit reads these as [::1] and drops the rest
        "https://[2606:2800:220:1:248:1893:25c8:1946]x/",
        "https://x[2606:2800:220:1:248:1893:25c8:1946]/",
        "https://[2606:2800:220:1:248:1893:25c8:1946]]/",
        "https://[2606:2800:220:1:248:1893:25c8:1946]:443x/",
        "https://[::1/",
    ],
)
def test_unreadable_ports_and_hosts_are_refused(url: str) -> None:
    with pytest.raises(RefusedUrl, match="not a valid URL"):
        parse(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        f"https://user:pass@{PUBLIC}/",
        f"https://user@{PUBLIC}/",
        f"https://:pass@{PUBLIC}/",
        f"https://@{PUBLIC}/",
        f"https://a@b@{PUBLIC}/",
        f"https://user:pass@{PUBLIC}:8443/",
    ],
)
def test_user_info_is_refused(url: str) -> None:
    with pytest.raises(RefusedUrl, match="user name or password"):
        parse(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [f"https://{PUBLIC}/in#part", f"https://{PUBLIC}/in#", f"https://{PUBLIC}/in?x=1#", f"https://{PUBLIC}#"],
)
def test_fragments_are_refused_even_empty(url: str) -> None:
    with pytest.raises(RefusedUrl, match="#fragment"):
        parse(url, allow_private=False)


@pytest.mark.parametrize(
    ("url", "target"),
    [
        (f"https://{PUBLIC}/hooks", Target("https", PUBLIC, 443, "/hooks")),
        (f"https://{PUBLIC}", Target("https", PUBLIC, 443, "/")),
        (f"https://{PUBLIC}:8443/in?a=1&b=%20x", Target("https", PUBLIC, 8443, "/in?a=1&b=%20x")),
        (f"https://{PUBLIC}:1/", Target("https", PUBLIC, 1, "/")),
        (f"https://{PUBLIC}:65535/", Target("https", PUBLIC, 65535, "/")),
        (f"https://{PUBLIC}:0443/", Target("https", PUBLIC, 443, "/")),
        (f"https://{PUBLIC}/a%0D%0Ab", Target("https", PUBLIC, 443, "/a%0D%0Ab")),  # encoded: just bytes
        ("https://Hooks.Example.com/in", Target("https", "hooks.example.com", 443, "/in")),
        ("https://hooks.example.com/b\u00fccher", Target("https", "hooks.example.com", 443, "/b\u00fccher")),
        (
            "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/in?x=y",
            Target("https", "2606:2800:220:1:248:1893:25c8:1946", 8443, "/in?x=y"),
        ),
        (
            "https://[2606:2800:220:1:248:1893:25c8:1946]/",
            Target("https", "2606:2800:220:1:248:1893:25c8:1946", 443, "/"),
        ),
        ("http://127.0.0.1:9/hooks", Target("http", "127.0.0.1", 9, "/hooks")),
    ],
)
def test_ordinary_urls_are_read(url: str, target: Target) -> None:
    assert parse(url, allow_private=True) == target


async def test_ordinary_urls_pass_the_whole_check() -> None:
    async def resolver(host: str, port: int) -> list[str]:
        assert (host, port) == ("hooks.example.com", 8443)
        return [PUBLIC]

    for url in (
        f"https://{PUBLIC}:8443/in?a=1",
        "https://[2606:2800:220:1:248:1893:25c8:1946]:8443/in",
        "https://hooks.example.com:8443/in?a=1&b=2",
    ):
        assert (await check_url(url, allow_private=False, resolver=resolver)).port == 8443
