"""The sending fixtures of tests/broadcast (a stopped clock, a scripted gateway, a worker, five gold clients
and an approved broadcast), so that the records here are the ones sending really writes."""
from tests.broadcast.conftest import approved, book, clock, gateway, worker  # noqa: F401
