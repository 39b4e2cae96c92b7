"""The account storage quota (`[storage] account_quota_mb`, issue "Safe to
expose" item 2) against the real binary: one account whose webhook answers
400 keeps every body in the spool until its quota is full; from then on SMTP
answers 452 4.2.2 for its recipients (at RCPT when already full or when the
declared SIZE would pass it, after DATA when the message would), while
another account's mail still gets 250; deleting the account frees its spool
at once."""

import smtplib
import uuid

import pytest

from dns_helpers import start_conduit
from identity_helpers import Client
from smtp_helpers import PUBLIC, make_webhook, queued_id, spool_json, unique_local, wait_for

QUOTA_MB = 1
OVERHEAD = 2048  # SpoolUsage.recordOverhead: charged per message on top of its body
DELIVERY = """
[delivery]
allow_private_targets = true
timeout_ms = 3000
"""


@pytest.fixture
def server():
    handle, cleanup = start_conduit(
        "quota", extra=DELIVERY, smtp_settings=f'public_domains = ["{PUBLIC}"]\n',
        storage_settings=f"account_quota_mb = {QUOTA_MB}\n",
    )
    handle.api = Client(handle.server.api_url)
    yield handle
    cleanup()


def account_with_hook(server, receiver, status):
    account = server.api.new_account()
    path = "/" + uuid.uuid4().hex[:12]
    receiver.script(path, default=status)
    address = f"{unique_local()}@{PUBLIC}"
    make_webhook(server.api, account, address, target_url=receiver.url(path))
    return account, address, path


def message(size):
    head = f"From: <alice@example.org>\r\nSubject: quota\r\nMessage-ID: <{uuid.uuid4().hex}@example.org>\r\n\r\n"
    line = "x" * 998 + "\r\n"
    body = (line * (size // len(line) + 1))[: max(0, size - len(head) - 2)]
    return (head + body + "\r\n").encode()


def open_session(server):
    client = smtplib.SMTP("127.0.0.1", server.server.smtp_port, timeout=30)
    client.ehlo("client.example")
    return client


def send(server, rcpts, size, declare_size=False):
    """(rcpt replies, DATA reply or None)."""
    data = message(size)
    with open_session(server) as client:
        client.mail("alice@example.org", [f"SIZE={len(data)}"] if declare_size else [])
        replies = [client.rcpt(r) for r in rcpts]
        if not any(code == 250 for code, _ in replies):
            client.rset()
            return replies, None
        return replies, client.data(data)


def fill(server, address, size=200 * 1024):
    """Sends `size`-byte messages to `address` until the next one would pass the quota."""
    quota = QUOTA_MB << 20
    count = quota // (size + OVERHEAD)
    for _ in range(count):
        replies, (code, reply) = send(server, [address], size)
        assert replies[0][0] == 250 and code == 250, (replies, reply)
    return quota - count * (size + OVERHEAD)  # what is left


def deliveries_for(server, account_id):
    return [d for entry in spool_json(server.server.config) for d in entry["deliveries"] if d["account_id"] == account_id]


def test_full_account_gets_452_after_data_while_another_account_gets_250(server, receiver):
    _, full_address, full_path = account_with_hook(server, receiver, 400)
    other, other_address, other_path = account_with_hook(server, receiver, 200)
    left = fill(server, full_address)
    receiver.wait(full_path, 1)

    # The next message is larger than what is left: refused after DATA.
    replies, (code, reply) = send(server, [full_address], left + 1)
    assert replies[0][0] == 250, replies
    assert code == 452 and b"4.2.2" in reply, reply

    # The same message to both accounts: accepted, spooled for the other one only.
    replies, (code, reply) = send(server, [full_address, other_address], left + 1)
    assert [c for c, _ in replies] == [250, 250], replies
    assert code == 250, reply
    message_id = queued_id(reply)
    entry = next((e for e in spool_json(server.server.config) if e["message"]["id"] == message_id), None)
    if entry is not None:  # it may already be delivered (200) and gone
        assert [r["account_id"] for r in entry["message"]["recipients"]] == [other.id]
    receiver.wait(other_path, 1)
    # A small message still fits.
    replies, (code, reply) = send(server, [full_address], 1024)
    assert code == 250, reply


def test_full_account_gets_452_at_rcpt(server, receiver):
    _, full_address, _ = account_with_hook(server, receiver, 400)
    _, other_address, other_path = account_with_hook(server, receiver, 200)
    fill(server, full_address)
    # A declared SIZE that would pass the quota: 452 at RCPT.
    replies, result = send(server, [full_address], 300 * 1024, declare_size=True)
    assert replies[0][0] == 452 and b"4.2.2" in replies[0][1], replies
    assert result is None
    # Fill to the brim, then even a message of unknown size is refused at RCPT.
    for _ in range(100):
        replies, result = send(server, [full_address], 1024)
        if result is None or result[0] != 250:
            break
    replies, result = send(server, [full_address, other_address], 100)
    assert replies[0][0] == 452 and b"4.2.2" in replies[0][1], replies
    assert replies[1][0] == 250, replies
    assert result[0] == 250, result
    receiver.wait(other_path, 1)


def test_deleting_the_account_frees_its_spool_at_once(server, receiver):
    account, address, path = account_with_hook(server, receiver, 400)
    fill(server, address)
    receiver.wait(path, 1)
    assert deliveries_for(server, account.id)
    status, _, body = server.api.delete(
        "/accounts/me", {"confirm": True, "password": account.password}, token=account.access
    )
    assert status == 204, body
    assert deliveries_for(server, account.id) == []
    assert all(
        account.id not in [r["account_id"] for r in e["message"]["recipients"]] for e in spool_json(server.server.config)
    )
