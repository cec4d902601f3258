"""Broadcasts: drafts, compliance checks, audiences, approval, scheduling, dispatch (issue 3)."""
