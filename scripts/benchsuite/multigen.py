#!/usr/bin/env python3
"""../shared/bench/smtpload.py with one recipient per message taken in turn
from a list: message seq goes to --rcpts[seq % len(rcpts)].

Everything else (message bodies, pacing, records, the JSON summary) is the
shared generator's own; only the recipient of each transaction changes.
Usage: multigen.py --rcpts a@x,b@x,... [smtpload.py options]"""

import os
import sys

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "bench")
sys.path.insert(0, os.path.abspath(BENCH))
import smtpload  # noqa: E402


def main():
    args = sys.argv[1:]
    if "--rcpts" not in args:
        sys.exit("multigen.py: --rcpts a@x,b@x,... is required")
    i = args.index("--rcpts")
    rcpts = args[i + 1].split(",")
    del args[i:i + 2]

    class Gen(smtpload.Gen):
        async def transact(self, reader, writer, r):
            # smtpload builds its command tuple from a.rcpt before its first
            # await, so setting it here applies to exactly this transaction.
            self.a.rcpt = rcpts[r.seq % len(rcpts)]
            return await super().transact(reader, writer, r)

    smtpload.Gen = Gen
    sys.argv = [sys.argv[0], *args]
    smtpload.main()


if __name__ == "__main__":
    main()
