"""Testinfra checks of the `api-lb` scenario: keepalived holds the VIP on one host, HAProxy answers on it,
and the VIP moves when the holder's keepalived (or HAProxy) stops."""

import os
import re
import time

import testinfra

RUN = os.environ.get("KUBEFORGE_RUN_ID") or "local"
NAMES = [f"kubeforge-lb-a-{RUN}", f"kubeforge-lb-b-{RUN}"]


def _hosts():
    return [testinfra.get_host(f"podman://{name}") for name in NAMES]


def _vip(host):
    conf = host.file("/etc/keepalived/keepalived.conf").content_string
    return re.search(r"^\s+(\d+\.\d+\.\d+\.\d+)/32 dev", conf, re.M).group(1)


def _holders(hosts, vip):
    return [h for h in hosts if f"inet {vip}/32" in h.check_output("ip -4 addr show")]


def _wait_holder(hosts, vip, expected, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        holders = _holders(hosts, vip)
        if holders == [expected]:
            return
        time.sleep(0.5)
    raise AssertionError(
        f"VIP {vip} held by {[h.backend.name for h in _holders(hosts, vip)]}, expected {expected.backend.name}"
    )


def test_haproxy_config_checked_by_haproxy(host):
    host.run_expect([0], "haproxy -c -f /etc/haproxy/haproxy.cfg")
    cfg = host.file("/etc/haproxy/haproxy.cfg").content_string
    servers = re.findall(r"^\s+server (\S+) (\S+):6443 check", cfg, re.M)
    assert [name for name, _ in servers] == NAMES
    assert "bind *:8443" in cfg


def test_services_running(host):
    for name in ("haproxy", "keepalived"):
        assert host.service(name).is_running
        assert host.service(name).is_enabled


def test_keepalived_config_is_private_and_unicast(host):
    conf = host.file("/etc/keepalived/keepalived.conf")
    assert conf.mode == 0o600
    assert "unicast_peer" in conf.content_string


def test_one_host_holds_the_vip_and_haproxy_answers_on_it():
    hosts = _hosts()
    vip = _vip(hosts[0])
    # The first host has the highest priority.
    _wait_holder(hosts, vip, hosts[0])
    hosts[1].run_expect([0], f"timeout 5 bash -c '</dev/tcp/{vip}/8443'")


def test_vip_moves_when_keepalived_stops_and_comes_back():
    a, b = hosts = _hosts()
    vip = _vip(a)
    _wait_holder(hosts, vip, a)
    a.check_output("systemctl stop keepalived")
    try:
        _wait_holder(hosts, vip, b)
        a.run_expect([0], f"timeout 5 bash -c '</dev/tcp/{vip}/8443'")
    finally:
        a.check_output("systemctl start keepalived")
    # Higher priority: the first host takes the VIP back.
    _wait_holder(hosts, vip, a)


def test_vip_moves_when_haproxy_stops():
    a, b = hosts = _hosts()
    vip = _vip(a)
    _wait_holder(hosts, vip, a)
    a.check_output("systemctl stop haproxy")
    try:
        _wait_holder(hosts, vip, b)
    finally:
        a.check_output("systemctl start haproxy")
    _wait_holder(hosts, vip, a)
