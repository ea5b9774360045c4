"""newsdesk: a self-hosted news publication."""

__version__ = "0.1.0"
