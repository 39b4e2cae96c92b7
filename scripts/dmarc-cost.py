#!/usr/bin/env python3
"""The per-message cost of DMARC and ARC at end of DATA (docs/DMARC.md, "In
the server"): one SMTP connection sends N small messages one after another
to one webhook, with [smtp] dmarc = true and false, once with one author
domain (its _dmarc answers cached after the first message) and once with a
new author domain per message (a walk of two _dmarc queries each), against
dns-serve.py on loopback. Prints ms per message.

Usage: CONDUIT_BIN=.build/release/conduit python3 scripts/dmarc-cost.py [DIR]"""
import smtplib
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "Tests" / "Integration"))
from dns_helpers import DNSServer, dns_config, free_port, start_conduit  # noqa: E402
from identity_helpers import Client  # noqa: E402
from smtp_helpers import PUBLIC, make_webhook, unique_local  # noqa: E402

N = 1000
dns = DNSServer(free_port(), sys.argv[1] if len(sys.argv) > 1 else tempfile.mkdtemp(prefix="dmarc-cost-"))
dns.serve({"_dmarc.same.example": [{"TXT": "v=DMARC1; p=reject"}]})
try:
    for setting in ("dmarc = true\n", "dmarc = false\n"):
        handle, cleanup = start_conduit("bench", extra=dns_config(dns.port, timeout_ms=500),
                                        smtp_settings=f'public_domains = ["{PUBLIC}"]\n' + setting)
        try:
            api = Client(handle.server.api_url)
            account = api.new_account()
            address = f"{unique_local()}@{PUBLIC}"
            make_webhook(api, account, address)
            for label, unique in (("same author domain", False), ("new author domain each", True)):
                with smtplib.SMTP("127.0.0.1", handle.server.smtp_port, timeout=30) as client:
                    client.ehlo("client.example")
                    start = time.monotonic()
                    for i in range(N):
                        author = f"d{uuid.uuid4().hex[:10]}.example" if unique else "same.example"
                        data = f"From: a@{author}\r\nTo: {address}\r\nSubject: x\r\n\r\nHello.\r\n"
                        client.sendmail("s@other.example", [address], data)
                    elapsed = time.monotonic() - start
                print(f"{setting.strip():14} {label:24} {N} messages {elapsed:.2f}s  {1000*elapsed/N:.2f} ms/message", flush=True)
        finally:
            cleanup()
finally:
    dns.close()
