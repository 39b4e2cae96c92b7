"""The webhook payload's JSON Schema (docs/webhook-payload.schema.json) as a
validator, for the receiver helper and test_payload_schema.py."""

import json
from pathlib import Path

import jsonschema

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "webhook-payload.schema.json"
SCHEMA_TEXT = SCHEMA_PATH.read_text()
SCHEMA = json.loads(SCHEMA_TEXT)
jsonschema.Draft202012Validator.check_schema(SCHEMA)
# Formats are asserted too (date-time), not only annotations.
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)

# Keys only the default payload has: a custom `payload_template` in these
# tests renders none of them, so a JSON body carrying one is taken for the
# default payload and must match the schema in full.
DEFAULT_PAYLOAD_MARKERS = {"webhook_id", "received_at", "envelope", "auth", "attachments", "headers", "reply_text"}


def schema_errors(value):
    """Every mismatch of `value` with the schema, as readable lines ([] when it validates)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message[:300]}"
        for error in sorted(VALIDATOR.iter_errors(value), key=lambda e: list(map(str, e.absolute_path)))
    ]


def default_payload_errors(body: bytes, content_type: str):
    """Schema mismatches of a received POST body when it is the default payload, else []."""
    if not content_type.lower().startswith("application/json"):
        return []
    try:
        value = json.loads(body)
    except ValueError:
        return []
    if not isinstance(value, dict) or not DEFAULT_PAYLOAD_MARKERS & value.keys():
        return []
    return schema_errors(value)
