"""The SMS gateway interface, Twilio and simulator gateways, segment counting (issue 3)."""
