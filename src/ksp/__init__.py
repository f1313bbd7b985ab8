"""KSP service."""
