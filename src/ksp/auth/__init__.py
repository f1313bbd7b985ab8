"""Signing in: OpenID Connect, sessions in the database, the development sign-in."""
