"""What replaces a found value: a placeholder, a salted hash, or a consistent fake from reserved ranges."""

from __future__ import annotations

import hashlib

from pipeline.pii.numbers import luhn_ok
from schemas.config import PII_ENTITIES, PiiConfig

_FAKE_NAMES = ("Alex", "Sam", "Robin", "Kim", "Jordan", "Taylor", "Morgan", "Casey")
_FAKE_SURNAMES = ("Doe", "Roe", "Smith", "Moe", "Poe", "Public", "Sample", "Placeholder")


def _luhn_complete(body: str) -> str:
    return body + next(str(d) for d in range(10) if luhn_ok(body + str(d)))


# Fakes come from ranges reserved for documentation or never issued, so a fake is never a real person's:
# 555-01xx (NANP fiction), 192.0.2.0/24 (RFC 5737), 2001:db8::/32 (RFC 3849), SSN area 9xx (never issued),
# IBAN check digits 00 (never valid), BIN 400000 (card-network test range).
_FAKES = {
    "EMAIL_ADDRESS": lambda n, v: f"user{n % 100000}@example.com",
    "PHONE_NUMBER": lambda n, v: f"+1-202-555-01{n % 100:02d}",
    "IP_ADDRESS": lambda n, v: f"2001:db8::{n % 65536:x}" if ":" in v else f"192.0.2.{n % 254 + 1}",
    "CREDIT_CARD": lambda n, v: _luhn_complete(f"400000{n % 10**9:09d}"),
    "IBAN_CODE": lambda n, v: f"DE00{n % 10**18:018d}",
    "US_SSN": lambda n, v: f"9{n % 100:02d}-{n // 100 % 90 + 10:02d}-{n // 10**4 % 9000 + 1000:04d}",
    "PERSON": lambda n, v: f"{_FAKE_NAMES[n % 8]} {_FAKE_SURNAMES[n // 8 % 8]}",
    "STREET_ADDRESS": lambda n, v: f"{n % 999 + 1} Example Street",
    "URL_CREDENTIALS": lambda n, v: "user:password",
    "SECRET": lambda n, v: f"EXAMPLE{n % 16**8:08x}",
}


class Replacer:
    """Replacement text for a found value, by the policy of its type."""

    def __init__(self, config: PiiConfig):
        self.policies = {e: config.policies.get(e, config.default_policy) for e in PII_ENTITIES}
        self.salt = config.hash_salt.encode()

    def __call__(self, entity: str, value: str) -> str:
        policy = self.policies[entity]
        if policy == "placeholder":
            return f"<{entity}>"
        digest = hashlib.sha256(self.salt + value.encode()).hexdigest()
        if policy == "hash":
            return f"<{entity}:{digest[:12]}>"
        return _FAKES[entity](int(digest[:16], 16), value)
