"""Mail plumbing that knows nothing of subscribers: EMAIL_URL, messages, transports, the outbox."""
