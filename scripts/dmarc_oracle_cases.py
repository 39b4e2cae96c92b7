"""The cases of scripts/dmarc-oracle.py and the script's own reading of RFC
9989 (docs/DMARC.md, "Oracle comparison"): zones with `_dmarc` records in
fixed shapes and random tags, envelopes, DKIM signatures made by dkimpy, and
`Reference`, which computes from the zone alone what RFC 9989 says Conduit
should print. Imported by the driver, which runs it inside its venv."""
import base64
import re

IP = "192.0.2.7"


# ---------------------------------------------------------------- generation

POLICIES = ["none", "quarantine", "reject"]


def record_text(rng, psd=None, p=True, extra=""):
    tags = ["v=DMARC1"]
    if p:
        tags.append("p=" + rng.choice(POLICIES))
    for tag, chance in (("sp", 0.4), ("np", 0.4)):
        if rng.random() < chance:
            tags.append(f"{tag}={rng.choice(POLICIES)}")
    if rng.random() < 0.25:
        tags.append("t=y")
    if rng.random() < 0.25:
        tags.append("adkim=s")
    if rng.random() < 0.25:
        tags.append("aspf=s")
    if psd:
        tags.append(f"psd={psd}")
    if rng.random() < 0.3:
        tags.append("rua=mailto:reports@example.net")
    if extra:
        tags.append(extra)
    return "; ".join(tags)


# The shapes the generator cycles through, so each appears several times.
SHAPES = ["org", "own+org", "middle+org", "psd-tld+org", "psd-tld-only", "psd-n-middle", "nothing",
          "several-at-author", "invalid-p-rua", "invalid-p-no-rua", "tld-only", "psd-at-org", "no-p", "own-psd-n",
          "servfail-org"]


class Case:
    def __init__(self, index, rng, key_txt):
        self.index = index
        self.tld = f"t{index}"
        self.org = f"org.{self.tld}"
        self.shape = SHAPES[index % len(SHAPES)]
        depth = rng.choice([0, 1, 1, 2, 2, 3, 8, 10]) if self.shape != "own-psd-n" else rng.choice([1, 2])
        below = [f"l{d}" for d in range(depth, 0, -1)]
        self.author = ".".join(below + [self.org])
        self.middle = ".".join(below[-1:] + [self.org]) if depth >= 2 else None
        self.records = {}   # owner name -> [TXT strings]
        self.addresses = set()  # names with an A record
        self.notes = set()
        self.place_records(rng)
        if rng.random() < 0.6:
            self.addresses.add(self.author)
        else:
            # No A record: half the time an empty non-terminal (NODATA: it exists,
            # RFC 8020), else NXDOMAIN (non-existent, np) unless something lies below.
            if rng.random() < 0.5:
                self.addresses.add(f"host.{self.author}")
            elif not any(name.endswith("." + self.author) for name in self.records):
                self.notes.add("author-nxdomain")
        self.addresses.add(self.org)
        # MAIL FROM: the author, a sibling under the organization, an unrelated domain, or the null sender.
        choice = rng.choice(["author", "sibling", "sibling", "unrelated", "null"])
        self.helo = f"mx.{self.org}"
        if choice == "author":
            self.mail_from_domain = self.author
        elif choice == "sibling":
            self.mail_from_domain = f"bounce.{self.org}"
        elif choice == "unrelated":
            self.mail_from_domain = f"other{index}.example"
        else:
            self.mail_from_domain = self.helo
        self.mail_from = "" if choice == "null" else f"bounce@{self.mail_from_domain}"
        self.spf_pass = rng.random() < 0.7
        spf = f"v=spf1 ip4:{IP} -all" if self.spf_pass else "v=spf1 -all"
        self.records.setdefault(self.mail_from_domain, []).append(spf)
        # DKIM: unsigned, or signed by the author, the organization, a sibling or an unrelated domain.
        self.dkim_domain = rng.choice([None, self.author, self.org, f"news.{self.org}", f"signer{index}.example"])
        self.dkim_valid = rng.random() < 0.75
        if self.dkim_domain:
            self.records.setdefault(f"s1._domainkey.{self.dkim_domain}", []).append(key_txt)

    def put(self, name, text):
        self.records.setdefault(f"_dmarc.{name}", []).append(text)

    def place_records(self, rng):
        shape, org, tld = self.shape, self.org, self.tld
        if shape == "org":
            self.put(org, record_text(rng))
        elif shape == "own+org":
            self.put(self.author, record_text(rng))
            if self.author != org:
                self.put(org, record_text(rng))
        elif shape == "middle+org":
            if self.middle:
                self.put(self.middle, record_text(rng))
            self.put(org, record_text(rng))
        elif shape == "psd-tld+org":
            self.put(tld, record_text(rng, psd="y"))
            self.put(org, record_text(rng))
        elif shape == "psd-tld-only":
            self.put(tld, record_text(rng, psd="y"))
        elif shape == "psd-n-middle":
            if self.middle:
                self.put(self.middle, record_text(rng, psd="n"))
            self.put(org, record_text(rng))
        elif shape == "several-at-author":
            self.put(self.author, record_text(rng))
            self.put(self.author, record_text(rng))
            if self.author != org:
                self.put(org, record_text(rng))
            self.notes.add("several")
        elif shape == "invalid-p-rua":
            self.put(org, "v=DMARC1; p=always; rua=mailto:reports@example.net")
            self.notes.add("invalid-p")
        elif shape == "invalid-p-no-rua":
            self.put(org, "v=DMARC1; p=sometimes; sp=reject")
            self.notes.add("invalid-p")
        elif shape == "tld-only":
            self.put(tld, record_text(rng))
        elif shape == "psd-at-org":
            self.put(org, record_text(rng, psd="y"))
            if self.middle:
                self.put(self.middle, record_text(rng))
        elif shape == "no-p":
            self.put(org, record_text(rng, p=False))
            self.notes.add("no-p")
        elif shape == "servfail-org":
            # The organization's _dmarc lookup fails (SERVFAIL): discovery cannot finish.
            self.records.setdefault(f"_dmarc.{org}", []).append("TIMEOUT")
            self.notes.add("servfail")
        elif shape == "own-psd-n":
            self.put(self.author, record_text(rng, psd="n"))
            self.put(org, record_text(rng))
        # Noise a walk must skip: a TXT that is not DMARC beside the org's record.
        if rng.random() < 0.3 and shape != "servfail-org":
            self.records.setdefault(f"_dmarc.{org}", []).append("google-site-verification=abc")

    def zone(self):
        zone = {}
        for name, texts in self.records.items():
            zone.setdefault(name, []).extend({"TXT": t} for t in texts)
        for name in self.addresses:
            zone.setdefault(name, []).append({"A": "192.0.2.1"})
        return zone


def sign(message, domain, key_pem, valid):
    import dkim
    signature = dkim.sign(message, b"s1", domain.encode(), key_pem, include_headers=[b"from", b"subject", b"to"])
    signed = signature + message
    return signed if valid else signed.replace(b"Hello", b"Jello")


def make_key():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                            serialization.NoEncryption())
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return pem, "v=DKIM1; k=rsa; p=" + base64.b64encode(der).decode()


# ------------------------------------------------------- the RFC, in Python

def parse_record(text):
    """RFC 9989 §4.8 as docs/DMARC.md reads it; None when not DMARC."""
    parts = text.split(";")
    if not re.fullmatch(r"[vV][ \t]*=[ \t]*DMARC1[ \t]*", parts[0]):
        return None
    tags = {}
    for part in parts[1:]:
        m = re.fullmatch(r"[ \t]*([A-Za-z]+)[ \t]*=[ \t]*(.*?)[ \t]*", part)
        if m and m.group(1).lower() not in tags:
            tags[m.group(1).lower()] = m.group(2)
    return tags


class TemporaryFailure(Exception):
    pass


class Reference:
    """RFC 9989 §4.4, §4.7, §4.10 over the generated zone, no DNS."""

    def __init__(self, zone):
        self.zone = zone

    def level(self, name):
        texts = [r["TXT"] for r in self.zone.get(f"_dmarc.{name}", []) if "TXT" in r]
        if "TIMEOUT" in texts:
            raise TemporaryFailure(name)
        found = [t for t in (parse_record(x) for x in texts) if t is not None]
        return found[0] if len(found) == 1 else None

    @staticmethod
    def targets(domain):
        labels = domain.split(".")
        names = [domain]
        for count in range(min(len(labels) - 1, 7), 0, -1):
            names.append(".".join(labels[-count:]))
        return names

    def walk(self, domain):
        found = []
        for name in self.targets(domain):
            tags = self.level(name)
            if tags is None:
                continue
            found.append((name, tags))
            psd = tags.get("psd", "").lower()
            if psd == "n" or (psd == "y" and name != domain):
                break
        return found

    @staticmethod
    def one_below(ancestor, domain):
        return ".".join(domain.split(".")[-(len(ancestor.split(".")) + 1):])

    def org(self, domain):
        found = self.walk(domain)
        if not found:
            return domain
        name, tags = found[-1]
        if tags.get("psd", "").lower() == "y" and name != domain:
            return self.one_below(name, domain)
        return name

    def discover(self, domain):
        own = self.level(domain)
        if own is not None:
            return domain, own
        found = self.walk(domain)
        if not found:
            return None, None
        name, tags = found[-1]
        if tags.get("psd", "").lower() == "y":
            below = self.one_below(name, domain)
            for n, t in found:
                if n == below:
                    return n, t
        return name, tags

    def exists(self, domain):
        """RFC 9989 (RFC 8020): anything but NXDOMAIN; names with only names below them exist."""
        return any(name == domain or name.endswith("." + domain) for name in self.zone)

    def evaluate(self, case):
        try:
            return self.evaluate_or_fail(case)
        except TemporaryFailure:
            # Only discovery fails in the generated cases: no record, no org, temperror.
            return dict(result="temperror", policy="none", spf=False, dkim=False, org="", record="")

    def evaluate_or_fail(self, case):
        author = case.author
        where, tags = self.discover(author)
        org = self.org(author)
        if tags is None:
            return dict(result="none", policy="none", spf=False, dkim=False, org=org, record="")
        policies = {k: tags.get(k, "").lower() for k in ("p", "sp", "np") if k in tags}
        if any(v not in POLICIES for v in policies.values()):
            rua = tags.get("rua", "")
            if not any(re.match(r"[A-Za-z][A-Za-z0-9+.-]*:.", u.strip()) for u in rua.split(",")):
                return dict(result="none", policy="none", spf=False, dkim=False, org=org, record=where)
            policies = {"p": "none"}

        def aligned(identifier, mode):
            if identifier == author:
                return True
            return mode != "s" and self.org(identifier) == org

        spf = case.spf_pass and aligned(case.mail_from_domain, tags.get("aspf", "r").lower())
        dkim = case.dkim_valid and case.dkim_domain is not None and aligned(case.dkim_domain, tags.get("adkim", "r").lower())
        p = policies.get("p", "none")
        if where == author:
            published = p
        else:
            sub = policies.get("sp", p)
            published = sub if self.exists(author) else policies.get("np", sub)
        policy = published
        if tags.get("t", "").lower() == "y":
            policy = {"reject": "quarantine"}.get(published, "none")
        return dict(result="pass" if spf or dkim else "fail", policy=policy, spf=spf, dkim=dkim, org=org, record=where)
