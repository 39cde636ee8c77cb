"""Which webhook targets may be called: the address classifier (IPv4 embedded in IPv6
unwrapped before ``is_global``) and the URL check (hostile hosts refused, never an
exception other than ``BadTarget``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler import webhooks as rules
from scheduler.webhooks import Reach

PUBLIC, PRIVATE, NEVER = Reach.PUBLIC, Reach.PRIVATE, Reach.NEVER


@pytest.mark.parametrize(
    "address,reach",
    [
        ("93.184.215.14", PUBLIC),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", PUBLIC),
        ("64:ff9b::808:808", PUBLIC),  # NAT64 of 8.8.8.8
        ("2002:808:808::1", PUBLIC),  # 6to4 of 8.8.8.8
        ("127.0.0.1", PRIVATE),
        ("10.1.2.3", PRIVATE),
        ("192.168.0.1", PRIVATE),
        ("100.64.0.1", PRIVATE),  # carrier-grade NAT: is_private misses it
        ("169.254.169.254", PRIVATE),
        ("::1", PRIVATE),
        ("fe80::1%eth0", PRIVATE),
        ("fc00::1", PRIVATE),
        # IPv4 loopback and private ranges inside IPv6
        ("::127.0.0.1", PRIVATE),  # IPv4-compatible
        ("::ffff:127.0.0.1", PRIVATE),  # IPv4-mapped
        ("::ffff:10.0.0.1", PRIVATE),
        ("64:ff9b::7f00:1", PRIVATE),  # NAT64 of 127.0.0.1
        ("64:ff9b::a00:1", PRIVATE),  # NAT64 of 10.0.0.1
        ("64:ff9b:1::a00:1", PRIVATE),  # local-use NAT64 (RFC 8215)
        ("2002:7f00:1::1", PRIVATE),  # 6to4 of 127.0.0.1
        ("2002:a9fe:a9fe::1", PRIVATE),  # 6to4 of 169.254.169.254
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", PRIVATE),  # Teredo, client 127.0.0.1
        # never, whatever the setting
        ("224.0.0.1", NEVER),
        ("239.255.255.250", NEVER),
        ("ff02::1", NEVER),
        ("ff0e::1", NEVER),
        ("0.0.0.0", NEVER),
        ("::", NEVER),
        ("255.255.255.255", NEVER),
        ("::ffff:224.0.0.1", NEVER),
        ("64:ff9b::e000:1", NEVER),  # NAT64 of 224.0.0.1
        ("2002:e000:1::1", NEVER),  # 6to4 of 224.0.0.1
        ("::ffff:0.0.0.0", NEVER),
        ("64:ff9b::ffff:ffff", NEVER),  # NAT64 of 255.255.255.255
    ],
)
def test_addresses_are_classified_with_embedded_ipv4_unwrapped(address, reach):
    assert rules.reach(address) is reach


@pytest.mark.parametrize(
    "address,refused_without,refused_with",
    [
        ("93.184.215.14", False, False),
        ("127.0.0.1", True, False),
        ("64:ff9b::7f00:1", True, False),
        ("224.0.0.1", True, True),
        ("::", True, True),
    ],
)
def test_the_setting_allows_private_addresses_never_multicast_or_unspecified(
    address, refused_without, refused_with
):
    assert bool(rules.refused([address], allow_private=False)) is refused_without
    assert bool(rules.refused([address], allow_private=True)) is refused_with


@pytest.mark.parametrize(
    "url",
    [
        "http://a..b/",
        "http://[::1",
        "http://℀.com/",
        "http://" + "a" * 64 + ".example/",
        "http://" + ("a" * 60 + ".") * 5 + "example/",  # a name of more than 253
        "http://-lead.example/",
        "http://under_score.example/",
        "http://exa mple.org/",
        "http://[v1.fe80::a]/",
        "http://[fe80::1%25eth0]/",
        "http://[not-an-address]/",
        "http:///nohost",
        "ftp://example.org/",
        "http://example.org:99999/",
        "http://example.org:-1/",
        "http://\x00.example/",
    ],
)
def test_malformed_hosts_are_a_bad_target_not_an_exception(url):
    with pytest.raises(rules.BadTarget):
        rules.check_url(url)


@pytest.mark.parametrize(
    "url,host,port",
    [
        ("https://hooks.example.org/in", "hooks.example.org", 443),
        ("http://Bücher.example:8080/", "xn--bcher-kva.example", 8080),
        ("http://example.org./x", "example.org", 80),
        ("http://[2001:db8::1]/", "2001:db8::1", 80),
        ("http://127.0.0.1:9/x", "127.0.0.1", 9),
    ],
)
def test_well_formed_urls_give_the_host_to_resolve(url, host, port):
    assert rules.check_url(url) == (host, port)


@pytest.mark.parametrize(
    "url,reach",
    [
        ("http://[::127.0.0.1]/", PRIVATE),
        ("http://[64:ff9b::7f00:1]/", PRIVATE),
        ("http://[2002:7f00:1::1]/", PRIVATE),
        ("http://224.0.0.1/", NEVER),
        ("http://[ff02::1]/", NEVER),
        ("http://0.0.0.0/", NEVER),
        ("http://hooks.example.org/", None),  # a name: known only once resolved
    ],
)
def test_a_literal_address_is_classified_without_resolving(url, reach):
    assert rules.literal_reach(url) is reach


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.text(max_size=80),
        st.builds(lambda h: f"http://{h}/x", st.text(max_size=70)),
        st.builds(
            lambda h: f"https://[{h}]:8443/", st.text(alphabet="0123456789abcdef:.%[]", max_size=45)
        ),
    )
)
def test_any_url_is_accepted_or_a_bad_target(url):
    """Whatever a client sends: a host to resolve, or ``BadTarget`` (a 422), never
    another exception (a 500), in our rules or in httpx's parsing after them."""
    from server.services.webhook_sending import parsed

    try:
        host, port = parsed(url)
    except rules.BadTarget:
        return
    assert host and 0 < port < 65536
