"""The command line: ``python -m sms.emulator --port 8099 ...`` serves in the foreground."""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from typing import List, Optional

from core import clock

from .core import TwilioEmulator
from .store import DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sms.emulator", description="Serve the Twilio emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--account-sid", default=DEFAULT_ACCOUNT_SID)
    parser.add_argument("--auth-token", default=DEFAULT_AUTH_TOKEN)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every message create")
    parser.add_argument("--auto-deliver", action="store_true", help="post sent/delivered status callbacks")
    parser.add_argument("--fail-share", type=float, default=0.0, help="share of auto-delivered messages undelivered")
    parser.add_argument("--delivery-delay", type=float, default=0.0, help="seconds between sent and delivered")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)
    if os.environ.get("TESTING") == "1" and os.environ.get("FAKE_NOW"):  # a test's time (see core.clock)
        clock.set_process_clock(clock.RunningClock(clock.parse_fake_now(os.environ["FAKE_NOW"])))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(asctime)s %(message)s")

    emulator = TwilioEmulator(
        account_sid=args.account_sid,
        auth_token=args.auth_token,
        latency=args.latency,
        host=args.host,
        port=args.port,
        auto_deliver=args.auto_deliver,
        fail_share=args.fail_share,
        seed=args.seed,
        delivery_delay=args.delivery_delay,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):  # explicit: SIGINT may arrive ignored (background job)
        signal.signal(signum, lambda *_: stop.set())
    with emulator:
        print(emulator.base_url, flush=True)
        print(f"account {emulator.account_sid}; TWILIO_API_BASE={emulator.base_url}", file=sys.stderr, flush=True)
        while not stop.wait(0.5):
            pass
    print(f"stopped after {len(emulator.messages)} messages", file=sys.stderr)
    return 0
