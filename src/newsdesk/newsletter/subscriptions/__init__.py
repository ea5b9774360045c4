"""Who gets the newsletter: signup, confirmation, consent, tokens, preferences, rate limits, CSV."""
