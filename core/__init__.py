"""Shared foundations: extension singletons, configuration, roles, audit log, time helpers."""
