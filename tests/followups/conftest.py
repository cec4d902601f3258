"""The sending fixtures of tests/broadcast (clock, scripted gateway, worker) serve follow-up replies too."""
from tests.broadcast.conftest import approved, book, clock, gateway, worker  # noqa: F401
