"""What the mail system tells us back: bounces, complaints and inbound unsubscribes (webhooks)."""
