"""Records a regulator can trust (留痕): every message to a client and every audit entry joins one hash chain,
sealed after it is written; the chain is verified and exported for an inspection, and nothing in it is
deleted before RETENTION_YEARS."""
