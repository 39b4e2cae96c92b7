#!/usr/bin/env python3
"""Write the seed inputs of the fuzz targets into Fuzz/seeds/<target>/.

Sources: the SMTP transcripts of ConduitSMTPTests, the MIME golden files, the
shared oracles' material on disk (/tmp/oracles: the CPython email corpus, the
RFC 7208 SPF suite, the ARC chains and their zone; a dkim-sign.py --matrix
directory for DKIM), the sample configs in etc/, and RFC examples written
here. Inputs use the targets' formats (Sources/ConduitFuzzTargets): sections
separated by a line `%%`, DNS answers as `@name[/TYPE]` sections.

`make fuzz` starts each campaign from Fuzz/corpus/<target>/ plus these seeds;
the committed corpus is the merged (`-merge=1`) result. Missing sources are
skipped with a note, so the script runs on any checkout.

Usage: Fuzz/make-seeds.py [--oracles /tmp/oracles] [--dkim-matrix DIR]
"""
import argparse
import hashlib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SEP = b"\n%%\n"


def write(target, data):
    directory = ROOT / "Fuzz" / "seeds" / target
    directory.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (directory / hashlib.sha1(data).hexdigest()).write_bytes(data)


def crlf(data):
    return re.sub(rb"\r?\n", b"\r\n", data)


def zone_sections(zone):
    """dns-serve.py zone JSON -> named answer sections, one per name and type."""
    out = []
    for name, records in zone.items():
        by_type = {}
        for record in records:
            for rtype, value in record.items():
                by_type.setdefault(rtype, []).append(value)
        for rtype, values in by_type.items():
            lines = []
            for value in values:
                if isinstance(value, list):
                    value = "".join(value)
                if rtype == "MX" and isinstance(value, dict):
                    value = f"{value.get('preference', 10)} {value.get('exchange', '')}"
                lines.append(str(value))
            out.append(f"@{name.rstrip('.')}/{rtype}\n" + "\n".join(lines))
    return [s.encode() for s in out]


def smtp_seeds():
    transcripts = ROOT / "Tests" / "ConduitSMTPTests" / "Transcripts"
    for path in sorted(transcripts.glob("*.txt")):
        lines = [line[3:] for line in path.read_text().splitlines() if line.startswith("C: ")]
        text = "".join(line.replace("\\t", "\t") + "\r\n" for line in lines).encode()
        for control in (0x03, 0x0E, 0x01):
            write("smtp", bytes([control]) + text)
    auth = ("EHLO c.example\r\nAUTH PLAIN AGFsaWNlAHNlY3JldA==\r\nAUTH LOGIN\r\nYWxpY2U=\r\nc2VjcmV0\r\n"
            "STARTTLS\r\nEHLO c.example\r\nAUTH PLAIN\r\nAGFsaWNlAHNlY3JldA==\r\nMAIL FROM:<a@b.example> SMTPUTF8\r\n"
            "RCPT TO:<h@conduit.test>\r\nRCPT TO:<x+tag@conduit.test>\r\nDATA\r\nSubject: x\r\n\r\n.\r\n..\r\nbody\n.\n\r\n.\r\nQUIT\r\n")
    for control in (0x0F, 0x07, 0x0C):
        write("smtp", bytes([control]) + auth.encode())
    write("smtp", b"\x00EHLO " + b"a" * 40 + b"\r\nMAIL FROM:<" + b"b" * 30 + b"@x>\r\n" + b"\r\n" * 3)


def mime_seeds(oracles):
    for path in sorted((ROOT / "Tests" / "ConduitMIMETests" / "Golden").glob("*.eml")):
        write("mime", path.read_bytes())
    corpus = oracles / "mime" / "cpython"
    if corpus.is_dir():
        for path in sorted(corpus.glob("*.txt")):
            write("mime", path.read_bytes())
    else:
        print(f"note: no {corpus}", file=sys.stderr)


def dns_seeds():
    try:
        from dnslib import A, AAAA, CNAME, MX, NS, PTR, QTYPE, RR, SOA, TXT, DNSRecord, EDNS0
    except ImportError:
        print("note: no dnslib (run with /tmp/oraclevenv/bin/python); DNS seeds skipped", file=sys.stderr)
        return
    questions = [("example.com", "TXT"), ("example.com", "A"), ("example.com", "MX"), ("x._domainkey.example.com", "TXT"),
                 ("1.2.0.192.in-addr.arpa", "PTR"), ("nx.example.com", "AAAA")]
    for name, qtype in questions:
        query = DNSRecord.question(name, qtype)
        reply = query.reply()
        if qtype == "TXT":
            reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(["v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"]), ttl=300))
            reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(["a" * 255, "b" * 40]), ttl=60))
        elif qtype == "A":
            reply.add_answer(RR(name, QTYPE.CNAME, rdata=CNAME("www." + name), ttl=300))
            reply.add_answer(RR("www." + name, QTYPE.A, rdata=A("192.0.2.7"), ttl=300))
        elif qtype == "MX":
            reply.add_answer(RR(name, QTYPE.MX, rdata=MX("mx1." + name, 10), ttl=300))
            reply.add_ar(RR("mx1." + name, QTYPE.AAAA, rdata=AAAA("2001:db8::25"), ttl=300))
        elif qtype == "PTR":
            reply.add_answer(RR(name, QTYPE.PTR, rdata=PTR("mail.example.com"), ttl=300))
        else:
            reply.header.rcode = 3
            reply.add_auth(RR("example.com", QTYPE.SOA, rdata=SOA("ns1.example.com", "hostmaster.example.com", (1, 2, 3, 4, 60)), ttl=300))
        reply.add_auth(RR("example.com", QTYPE.NS, rdata=NS("ns1.example.com"), ttl=300))
        reply.add_ar(EDNS0(udp_len=1232))
        write("dns", reply.pack())
        write("dns", query.pack())


def spf_seeds(oracles):
    try:
        import yaml
    except ImportError:
        print("note: no PyYAML (run with /tmp/oraclevenv/bin/python); SPF suite seeds skipped", file=sys.stderr)
        yaml = None
    suite = oracles / "spf" / "rfc7208-tests.yml"
    if yaml and suite.is_file():
        for scenario in yaml.safe_load_all(suite.read_text()):
            if not scenario:
                continue
            answers = []
            for name, records in (scenario.get("zonedata") or {}).items():
                by_type = {}
                for record in records:
                    if isinstance(record, str):
                        by_type.setdefault("TEMPFAIL" if record == "TIMEOUT" else record, [])
                        continue
                    for rtype, value in record.items():
                        if isinstance(value, list):
                            value = value[-1] if rtype == "MX" else "".join(value)
                        by_type.setdefault(rtype, []).append(str(value))
                for rtype, values in by_type.items():
                    if rtype == "TEMPFAIL":
                        answers.append(f"@{name}\nTEMPFAIL")
                    elif rtype in ("TXT", "SPF", "A", "AAAA", "MX", "PTR"):
                        answers.append(f"@{name}/{rtype}\n" + "\n".join(v.replace("\n", " ") for v in values))
            for test in (scenario.get("tests") or {}).values():
                head = f"{test.get('host', '')}\n{test.get('mailfrom', '')}\n{test.get('helo', '')}"
                write("spf", SEP.join([head.encode()] + [a.encode() for a in answers]))
    else:
        print(f"note: no {suite}", file=sys.stderr)
    write("spf", b"192.0.2.1\nuser@example.com\nmail.example.com\n%%\n@example.com/TXT\n"
          b"v=spf1 a mx/24 ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.%{l1r+-}._spf.%{d} include:_spf.example.net "
          b"redirect=_spf.example.org exp=explain.%{d}\n%%\n@_spf.example.net/TXT\nv=spf1 ptr:%{d2} ?all\n%%\n"
          b"@explain.example.com/TXT\n%{i} is not one of %{d}'s designated mail servers (%{s}, %{h}, %{v}, %{r}, %{t})")


def dkim_seeds(matrix, oracles):
    if not matrix.is_dir():
        print(f"note: no {matrix} (dkim-sign.py --matrix --outdir {matrix}); DKIM seeds skipped", file=sys.stderr)
        return
    zone = json.loads((matrix / "zone.json").read_text()) if (matrix / "zone.json").is_file() else {}
    answers = zone_sections(zone)
    for path in sorted(matrix.glob("*.eml")):
        write("dkim", SEP.join([path.read_bytes()] + answers))


def arc_seeds(oracles):
    cases = oracles / "arc" / "cases"
    if not cases.is_dir():
        print(f"note: no {cases}; ARC seeds skipped", file=sys.stderr)
        return
    answers = zone_sections(json.loads((oracles / "arc" / "zone.json").read_text()))
    for path in sorted(cases.glob("*.eml")):
        write("arc", SEP.join([path.read_bytes()] + answers))


def dmarc_seeds():
    message = crlf(b"From: Ann <ann@mail.example.com>\nTo: h@conduit.test\nSubject: hi\n\nbody\n")
    records = [
        b"@_dmarc.example.com/TXT\nv=DMARC1; p=reject; sp=quarantine; np=reject; adkim=s; aspf=r; pct=100; "
        b"rua=mailto:dmarc@example.com; ruf=mailto:f@example.com; fo=1; t=y; psd=n",
        b"@_dmarc.mail.example.com/TXT\nv=DMARC1; p=none",
        b"@_dmarc.com/TXT\nv=DMARC1; p=quarantine; psd=y",
        b"@mail.example.com/A\n192.0.2.1",
    ]
    for head in (b"pass mail.example.com pass example.com", b"fail other.example pass mail.example.com",
                 b"softfail example.com temperror example.com", b""):
        write("dmarc", SEP.join([head, message] + records))
    write("dmarc", SEP.join([b"pass example.org", crlf(b"From: a@b.example.org, c@d.example.net\nFrom: x@y\n\n"),
                             b"v=DMARC1;p=reject", b"NXDOMAIN", b"TEMPFAIL"]))


def config_seeds():
    for path in sorted((ROOT / "etc").glob("*.toml")):
        write("config", path.read_bytes())
    write("config", '[smtp]\nlisten = "[::1]:2525"\nhostname = "mx.example.com"\npublic_domains = ["conduit.test", "b\u00fccher.example"]\n'
          '[api]\nlisten = "127.0.0.1:8080"\npublic_url = "https://conduit.example.com/"\n[log]\nlevel = "debug"\n')


def api_json_seeds():
    bodies = [
        {"email": "ann@example.com", "password": "correct horse battery staple"},
        {"name": "ci", "allowed_ips": ["192.0.2.0/24", "2001:db8::/32"], "expires_in": 86400},
        {"timezone": "Europe/Berlin"}, {"current_password": "a", "new_password": "b"}, {"confirm": True, "password": "x"},
        {"token": "t", "new_password": "p"}, {"name": "example.com"}, {"totp_token": "t", "code": "123456"},
        {"refresh_token": "r"}, {"refresh_token": None}, {"code": "12345678"},
        {"name": "strict", "allowed_source_ips": "192.0.2.0/24, 2001:db8::/32", "allowed_spf_domains": "example.com",
         "allowed_dkim_domains": "example.com", "require_spf": True, "require_dkim": False, "require_smtp_auth": True,
         "smtp_credentials": "user:pass", "dmarc_enforcement": "reject"},
        {"status": "failed", "since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
        {"from": "a@example.com", "subject": "hi", "text": "body"},
        {"address": "hook@conduit.test", "target_url": "https://example.com/hook", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
         "custom_headers": {"X-A": "b"}, "payload_template": "{\"s\": \"{{subject}}\"}", "rate_limit": 10, "active": True,
         "smtp_security_policy_id": "p1", "clear_security_policy": False, "payload_format": "json", "max_payload_bytes": None},
        {"secret": "whsec_x", "previous_valid_seconds": 3600},
    ]
    for body in bodies:
        write("api-json", json.dumps(body))
    write("api-json", '{"name": "a", "name": "b", "expires_in": 1e400}')
    write("api-json", '[{"a": [[[[[[[[[[{}]]]]]]]]]]}, "\\ud800", 0.1e-7, -0]')


def template_seeds():
    templates = [
        '{"s": "{{subject}}", "name": "{{from.name}}", "rcpt": "{{envelope.rcpt_to}}", "size": {{size}}}',
        "[{{tag}}]{{#tag}}has tag{{/tag}}{{^tag}}no tag{{/tag}}",
        "{{#to}}<{{address}}>{{/to}}",
        "{{#headers}}{{name}}={{value}};{{/headers}}",
        "{{{text}}}{{&html}}{{! comment }}{{=<% %>=}}<% subject %><%={{ }}=%>",
        "{{#attachments}}{{filename}} {{content_base64}}{{/attachments}}",
        "{{> partial}}{{#auth.dkim}}{{domain}}:{{result}}{{/auth.dkim}}{{auth.spf.result}}",
        "{{#a}}{{#b}}{{#c}}{{#d}}{{#e}}{{#f}}{{#g}}{{#h}}x{{/h}}{{/g}}{{/f}}{{/e}}{{/d}}{{/c}}{{/b}}{{/a}}",
        "{{%CONTENT_TYPE: text}}{{subject}}",
        "{{#headers}}{{#headers}}{{text}}{{/headers}}{{/headers}}",
    ]
    for template in templates:
        write("template", template)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--oracles", type=pathlib.Path, default=pathlib.Path("/tmp/oracles"))
    parser.add_argument("--dkim-matrix", type=pathlib.Path, default=pathlib.Path("/tmp/fuzz-dkim-matrix"))
    args = parser.parse_args()
    smtp_seeds()
    mime_seeds(args.oracles)
    dns_seeds()
    spf_seeds(args.oracles)
    dkim_seeds(args.dkim_matrix, args.oracles)
    arc_seeds(args.oracles)
    dmarc_seeds()
    config_seeds()
    api_json_seeds()
    template_seeds()
    for directory in sorted((ROOT / "Fuzz" / "seeds").iterdir()):
        print(f"{directory.name}: {len(list(directory.iterdir()))} seeds")


if __name__ == "__main__":
    main()
