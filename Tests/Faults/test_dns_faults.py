"""Fault campaign: the resolver Conduit is configured with is down, slow or
answering garbage (docs/RELIABILITY.md, "DNS down, slow or answering
garbage").

For every fault of faulty_dns.MODES (nothing listening, no answer, a late
answer, SERVFAIL/REFUSED/FORMERR, random bytes, an empty datagram, wrong ID,
wrong question, a cut packet, TC=1 forever or a broken TCP retry, a CNAME
loop, an oversized datagram):
- mail to a webhook whose policy requires SPF: `451 4.7.24` at RCPT;
- mail signed by DKIM to one requiring DKIM: `451 4.7.5` after DATA;
- mail to one with `dmarc_enforcement = "reject"`: `451 4.7.5` after DATA;
- `POST /domains/{id}/verify`: 422 `dns_temporary_failure`;
each within a bound derived from the config (below), never a 5xx, a 250
(the message would be accepted unchecked) or a dropped connection, and the
server's open files are back where they were afterwards (no socket leaked).

The bound: one lookup is at most attempts (2, DNSResolver's default) ×
nameservers (1) × (the UDP wait + the TCP retry's wait) = 4 × dns.timeout_ms;
an SMTP stage waits for at most STAGE_LOOKUPS such lookups one after another,
plus SLACK for the machine (two cores shared with other builds).

Short form: every mode once, dns.timeout_ms = 200. Long form (FAULTS_LONG=1):
dns.timeout_ms = 1000 and 8 concurrent clients per mode and scenario, three
rounds."""

import concurrent.futures
import smtplib
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from env_faults import Conduit, pick, server_fds, temporary_directory
from dns_helpers import dns_config, free_port
from faulty_dns import MODES, FaultyDNS
from smtp_helpers import PUBLIC, dkim_signed, make_policy, make_webhook, oracle_python, unique_local
from webhook_receiver import Receiver

TIMEOUT_MS = pick(200, 1000)
ATTEMPTS = 2  # DNSResolver's default; ConduitServer does not change it
LOOKUP_BOUND = ATTEMPTS * 1 * 2 * TIMEOUT_MS / 1000
# SPF's first TXT lookup, or DMARC's _dmarc walk and DKIM's key, run one
# after the other at the end of DATA: a few lookups, never dozens.
STAGE_LOOKUPS = 6
SLACK = 10.0
STAGE_BOUND = STAGE_LOOKUPS * LOOKUP_BOUND + SLACK
CLIENTS = pick(1, 8)
ROUNDS = pick(1, 3)
SELECTOR = "sel1"


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory):
    key = tmp_path_factory.mktemp("keys") / "key.pem"
    subprocess.run(["openssl", "genrsa", "-traditional", "-out", str(key), "2048"], check=True, capture_output=True)
    return key


@pytest.fixture(scope="module")
def signer():
    """The oracle venv's python (dkimpy), looked up once for the module."""
    return oracle_python()


@pytest.fixture(scope="module")
def dns():
    server = FaultyDNS(free_port())
    yield server
    server.close()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="module")
def server(dns, receiver):
    tmp = temporary_directory("dns")
    conduit = Conduit(Path(tmp.name),
                      extra=dns_config(dns.port, timeout_ms=TIMEOUT_MS) + "\n[delivery]\nallow_private_targets = true\n",
                      smtp_settings=f'public_domains = ["{PUBLIC}"]\n',
                      replace=[('[log]\nlevel = "debug"', '[log]\nlevel = "info"')])
    try:
        account = conduit.api.new_account()
        conduit.account = account
        conduit.rcpt = {}
        for name, fields in (("spf", {"require_spf": True}), ("dkim", {"require_dkim": True}),
                             ("dmarc", {"dmarc_enforcement": "reject"})):
            policy = make_policy(conduit.api, account, **fields)
            address = f"{unique_local(name)}@{PUBLIC}"
            make_webhook(conduit.api, account, address, target_url=receiver.url("/" + name),
                         smtp_security_policy_id=policy["id"])
            conduit.rcpt[name] = address
        conduit.resting_fds = server_fds(conduit.server.proc.pid)
        yield conduit
    finally:
        conduit.stop()
        tmp.cleanup()


def message(author_domain):
    return (f"From: A <a@{author_domain}>\r\nTo: x@{PUBLIC}\r\nSubject: dns fault\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@{author_domain}>\r\n\r\nHello.\r\n").encode()


def fresh_domain(mode):
    # A new name every time: nothing can come from Conduit's cache.
    return f"{mode.replace('_', '-')}-{uuid.uuid4().hex[:10]}.faults.example"


def smtp_case(server, scenario, data_for):
    """One transaction for `scenario`: (stage, code, text, seconds that stage took)."""
    domain = fresh_domain(scenario)
    client = smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=STAGE_BOUND + 30, local_hostname="client.example")
    try:
        client.ehlo()
        code, text = client.mail(f"s@{domain}")
        assert code == 250, (code, text)
        start = time.monotonic()
        code, text = client.rcpt(server.rcpt[scenario])
        took = time.monotonic() - start
        if code != 250:
            return "rcpt", code, text, took
        data = data_for(domain)
        start = time.monotonic()
        code, text = client.data(data)
        return "data", code, text, time.monotonic() - start
    except smtplib.SMTPServerDisconnected as error:
        return "disconnected", None, str(error).encode(), 0.0
    finally:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()


EXPECTED = {
    "spf": ("rcpt", 451, b"4.7.24"),
    "dkim": ("data", 451, b"4.7.5"),
    "dmarc": ("data", 451, b"4.7.5"),
}


def verify_case(server):
    name = fresh_domain("verify")
    status, _, domain = server.api.post("/domains", {"name": name}, token=server.account.access)
    assert status == 201, domain
    start = time.monotonic()
    status, _, body = server.api.post(f"/domains/{domain['id']}/verify", token=server.account.access,
                                      timeout=STAGE_BOUND + 30)
    took = time.monotonic() - start
    server.api.delete(f"/domains/{domain['id']}", token=server.account.access)
    return status, body, took


@pytest.mark.parametrize("mode", MODES)
def test_dns_fault_defers_and_finishes_within_the_bound(mode, server, dns, rsa_key, signer):
    dns.set_mode(mode)
    data_for = {
        "spf": message,
        "dkim": lambda domain: dkim_signed(rsa_key, message(domain), domain, SELECTOR, python=signer),
        "dmarc": message,
    }
    slowest = {}
    for _ in range(ROUNDS):
        with concurrent.futures.ThreadPoolExecutor(max_workers=CLIENTS * 4) as pool:
            smtp_futures = [(scenario, pool.submit(smtp_case, server, scenario, data_for[scenario]))
                            for scenario in EXPECTED for _ in range(CLIENTS)]
            verify_futures = [pool.submit(verify_case, server) for _ in range(CLIENTS)]
            for scenario, future in smtp_futures:
                stage, code, text, took = future.result()
                expected_stage, expected_code, enhanced = EXPECTED[scenario]
                assert (stage, code) == (expected_stage, expected_code) and text.startswith(enhanced), \
                    f"{mode}/{scenario}: {stage} {code} {text!r}"
                assert took <= STAGE_BOUND, f"{mode}/{scenario}: {took:.1f} s > {STAGE_BOUND:.1f} s"
                slowest[scenario] = max(slowest.get(scenario, 0), took)
            for future in verify_futures:
                status, body, took = future.result()
                assert status == 422 and body.get("code") == "dns_temporary_failure", (mode, status, body)
                assert took <= STAGE_BOUND, f"{mode}/verify: {took:.1f} s > {STAGE_BOUND:.1f} s"
                slowest["verify"] = max(slowest.get("verify", 0), took)
    assert server.alive()
    print(f"\n{mode}: slowest " + ", ".join(f"{k} {v:.2f} s" for k, v in slowest.items())
          + f" (bound {STAGE_BOUND:.1f} s; {dns.queries} queries so far)")


def test_no_socket_is_left_behind_and_dns_coming_back_is_noticed(server, dns, receiver):
    """After every fault the server's open files are back to their resting
    number (a failed exchange closes its socket), and mail that needs DNS
    flows again without a restart once answers are right (NXDOMAIN for
    everything: SPF none, so the require_spf webhook refuses with 550 —
    an answer, not a deferral)."""
    dns.set_mode("late")  # answers, just too late; then fix it by answering in time
    dns.late_seconds = 0
    pid = server.server.proc.pid
    deadline = time.monotonic() + 30
    resting = None
    while time.monotonic() < deadline:
        resting = server_fds(pid)
        if resting <= server.resting_fds + 4:
            break
        time.sleep(0.5)
    assert resting <= server.resting_fds + 4, f"{resting} files open after the DNS faults, {server.resting_fds} before"
    stage, code, text, _ = smtp_case(server, "spf", message)
    assert (stage, code) == ("rcpt", 550) and text.startswith(b"5.7.23"), (stage, code, text)
    print(f"\nserver files open: {server.resting_fds} before the DNS faults, {resting} after")

