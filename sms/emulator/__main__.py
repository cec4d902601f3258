"""``python -m sms.emulator``: serve the Twilio emulator in the foreground (see `sms.emulator.cli`)."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
