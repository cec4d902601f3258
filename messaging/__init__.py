"""The outbox and inbox every message shares: states, claiming and hand-over, the worker, the webhooks."""
