"""The sending fixtures of tests/broadcast (clock, scripted gateway, worker) serve follow-up replies too."""
from tests.broadcast.conftest import (  # noqa: F401
    approved,
    book,
    clock,
    emulator,
    gateway,
    live_app,
    twilio_worker,
    worker,
)
