"""Signing in: lockouts after failed passwords (django-axes, with newsdesk's lock lengths), limits
on page and document passwords, and a password hasher that cannot starve reader pages."""
