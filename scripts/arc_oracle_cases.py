"""The cases of scripts/arc-oracle.py: message mutations (plain byte
edits, no dkimpy) and the case table, each with the verdict RFC 8617 §5.2
gives and, where dkimpy parts from it, the explanation docs/ARC.md gives."""
import re

# --- mutations -------------------------------------------------------------------
def split(msg):
    i = msg.index(b"\r\n\r\n")
    return msg[:i + 2], msg[i + 4:]


def body_changed(msg):
    h, b = split(msg)
    return h + b"\r\n" + b.replace(b"Hello", b"Jello", 1)


def footer_added(msg):
    return msg + b"-- \r\nlist footer\r\n"


def trailing_lines(msg):
    return msg + b"\r\n\r\n\r\n"


def subject_changed(msg):
    return re.sub(rb"(?m)^Subject: .*$", b"Subject: tampered", msg, count=1)


def header_added(msg):
    h, b = split(msg)
    return h + b"X-Added-Later: yes\r\n\r\n" + b


def from_added(msg):
    h, b = split(msg)
    return h + b"From: mallory@example.org\r\n\r\n" + b


def to_refolded(msg):
    return msg.replace(b"To: Bob <bob@example.net>\r\n", b"To: Bob\r\n <bob@example.net>\r\n", 1)


def fields(msg):
    """The header fields of msg as whole byte strings (folding kept)."""
    h, _ = split(msg)
    return re.findall(rb"[^\r\n]+\r\n(?:[ \t][^\r\n]*\r\n)*", h)


def rebuild(msg, new_fields):
    _, b = split(msg)
    return b"".join(new_fields) + b"\r\n" + b


def arc_field(msg, name, instance):
    """Index of the ARC field `name` with i=instance."""
    for index, field in enumerate(fields(msg)):
        low = field.lower()
        if low.startswith(name.lower() + b":") and re.search(rb"(^|[\s;:])i\s*=\s*%d\s*;" % instance, low):
            return index
    raise KeyError((name, instance))


def edit_field(name, instance, fn):
    def mutate(msg):
        fs = fields(msg)
        i = arc_field(msg, name, instance)
        fs[i] = fn(fs[i])
        return rebuild(msg, fs)
    return mutate


def drop_field(name, instance):
    def mutate(msg):
        fs = fields(msg)
        del fs[arc_field(msg, name, instance)]
        return rebuild(msg, fs)
    return mutate


def duplicate_field(name, instance):
    def mutate(msg):
        fs = fields(msg)
        i = arc_field(msg, name, instance)
        return rebuild(msg, fs[:i] + [fs[i]] + fs[i:])
    return mutate


def corrupt_b(field):
    m = re.search(rb"\bb=\s*([A-Za-z0-9+/]{8})", field)
    v = bytearray(m.group(1))
    v[4] = ord("A") if v[4] != ord("A") else ord("B")
    return field[:m.start(1)] + bytes(v) + field[m.end(1):]


def set_instance(new):
    return lambda field: re.sub(rb"\bi=\d+", b"i=%d" % new, field, count=1)


def set_cv(new):
    return lambda field: re.sub(rb"\bcv=\w+", b"cv=" + new, field, count=1)


def aar_changed(field):
    return field.replace(b"spf=pass", b"spf=fail", 1)


def ams_t_changed(field):
    return re.sub(rb"\bt=(\d+)", lambda m: b"t=%d" % (int(m.group(1)) - 1), field, count=1)


def seal_refolded(field):
    return field.replace(b"; ", b";\r\n\t ", 2)


def name_lowercased(field):
    colon = field.index(b":")
    return field[:colon].lower() + field[colon:]


def move_oldest_set_to_top(msg):
    fs = fields(msg)
    picked = sorted(arc_field(msg, n, 1) for n in (b"ARC-Seal", b"ARC-Message-Signature", b"ARC-Authentication-Results"))
    oldest = [fs[i] for i in picked]
    rest = [f for i, f in enumerate(fs) if i not in picked]
    return rebuild(msg, oldest + rest)


def plain(msg):
    return msg


# --- the cases -------------------------------------------------------------------
# Explanations for verdicts where dkimpy and RFC 8617 (hence Conduit) part; the
# script checks each one's evidence (docs/ARC.md, "Disagreements with dkimpy").
ED25519 = ("ed25519", "stock dkimpy 1.1.8 knows only rsa-sha256 for ARC (ARC_HASH_ALGORITHMS); "
           "with ed25519-sha256 admitted, dkimpy gives Conduit's verdict")
TERMINATED = ("terminated", "dkimpy returns None ('the chain is terminated') when a seal says cv=fail; "
              "RFC 8617 §5.2 step 2 makes that 'fail'")
BY_POSITION = ("by-position", "dkimpy picks the fields a seal covers by header position (bottom-up by name); "
               "RFC 8617 §5.1.1 orders them by instance, so a reordered but intact chain passes")

P, F = "pass", "fail"


def cases():
    """(name, sealers, {hop: mutation after that hop}, final mutation, expected, explanation or None)."""
    c = []

    def add(name, sealers, expect, between=None, edits=None, after=plain, why=None):
        c.append((name, sealers, (between or {}, edits or {}), after, expect, why))

    # Intact chains.
    add("rsa-1hop", "a", (P, 1, 0))
    add("rsa-2hop", "ab", (P, 2, 0))
    add("rsa-3hop", "abc", (P, 3, 0))
    add("rsa-4hop", "abcd", (P, 4, 0))
    add("ed25519-1hop", "e", (P, 1, 0), why=ED25519)
    add("ed25519-2hop", "ef", (P, 2, 0), why=ED25519)
    add("mixed-rsa-then-ed25519", "ae", (P, 2, 0), why=ED25519)
    add("mixed-ed25519-then-rsa-3hop", "eab", (P, 3, 0), why=ED25519)
    add("no-arc", "", ("none", 0, None))
    # Changes after the last seal.
    add("body-changed-after-seal", "ab", (F, 2, None), after=body_changed)
    add("ed25519-body-changed-after-seal", "ef", (F, 2, None), after=body_changed)
    add("subject-changed-after-seal", "ab", (F, 2, None), after=subject_changed)
    add("from-added-after-seal", "a", (F, 1, None), after=from_added)
    add("unsigned-header-added", "ab", (P, 2, 0), after=header_added)
    add("trailing-empty-lines", "ab", (P, 2, 0), after=trailing_lines)
    add("to-refolded-relaxed", "ab", (P, 2, 0), after=to_refolded)
    # Changes between hops: the next sealer vouches (cv=pass), older AMSes break: oldest-pass.
    add("hop2-adds-footer", "ab", (P, 2, 2), edits={2: footer_added})
    add("hop3-adds-footer", "abc", (P, 3, 3), edits={3: footer_added})
    add("hop2-changes-subject-4hop", "abcd", (P, 4, 2), edits={2: subject_changed})
    add("hop2-and-hop4-add-footers", "abcd", (P, 4, 4), edits={2: footer_added, 4: footer_added})
    add("ed25519-hop2-adds-footer", "ef", (P, 2, 2), edits={2: footer_added}, why=ED25519)
    # Broken seals and signatures.
    add("newest-seal-b-corrupted", "ab", (F, 2, None), after=edit_field(b"ARC-Seal", 2, corrupt_b))
    add("oldest-seal-b-corrupted", "abc", (F, 3, None), after=edit_field(b"ARC-Seal", 1, corrupt_b))
    add("middle-seal-b-corrupted", "abc", (F, 3, None), after=edit_field(b"ARC-Seal", 2, corrupt_b))
    add("newest-ams-b-corrupted", "ab", (F, 2, None), after=edit_field(b"ARC-Message-Signature", 2, corrupt_b))
    add("older-ams-b-corrupted", "ab", (F, 2, None), after=edit_field(b"ARC-Message-Signature", 1, corrupt_b))
    add("aar-changed", "ab", (F, 2, None), after=edit_field(b"ARC-Authentication-Results", 1, aar_changed))
    add("ams-tag-changed", "ab", (F, 2, None), after=edit_field(b"ARC-Message-Signature", 2, ams_t_changed))
    add("seal-refolded-relaxed", "ab", (P, 2, 0), after=edit_field(b"ARC-Seal", 1, seal_refolded))
    add("arc-names-lowercased", "ab", (P, 2, 0), after=edit_field(b"ARC-Seal", 2, name_lowercased))
    # cv= rules.
    add("cv-fail-newest", "ab", (F, 2, None), between={1: body_changed}, why=TERMINATED)
    add("instance1-cv-pass", "a", (F, 1, None), after=edit_field(b"ARC-Seal", 1, set_cv(b"pass")))
    add("instance2-cv-none", "ab", (F, 2, None), after=edit_field(b"ARC-Seal", 2, set_cv(b"none")))
    # Structure.
    add("instance-gap", "ab", (F, 3, None), after=lambda m: edit_field(b"ARC-Seal", 2, set_instance(3))(
        edit_field(b"ARC-Message-Signature", 2, set_instance(3))(edit_field(b"ARC-Authentication-Results", 2, set_instance(3))(m))))
    add("seal-wrong-instance", "ab", (F, 2, None), after=edit_field(b"ARC-Seal", 1, set_instance(2)))
    add("duplicate-aar", "ab", (F, 2, None), after=duplicate_field(b"ARC-Authentication-Results", 1))
    add("missing-ams", "ab", (F, 2, None), after=drop_field(b"ARC-Message-Signature", 1))
    add("missing-newest-aar", "ab", (F, 2, None), after=drop_field(b"ARC-Authentication-Results", 2))
    add("missing-seal", "abc", (F, 3, None), after=drop_field(b"ARC-Seal", 2))
    add("instance-above-50", "a", (F, 51, None), after=lambda m: edit_field(b"ARC-Seal", 1, set_instance(51))(
        edit_field(b"ARC-Message-Signature", 1, set_instance(51))(edit_field(b"ARC-Authentication-Results", 1, set_instance(51))(m))))
    add("oldest-set-moved-to-top", "ab", (P, 2, 0), after=move_oldest_set_to_top, why=BY_POSITION)
    # Keys.
    add("revoked-key", ["revoked"], (F, 1, None))
    add("missing-key-newest", ["a", "missing"], (F, 2, None))
    return c
