"""Follow-ups: inbound intake, classification, routing, queues and replies (issue 4)."""
