"""The client book: clients, monthly figures, imports and quarterly tier reviews."""
