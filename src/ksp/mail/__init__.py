"""Encrypted circulation of KSP lists by OpenPGP mail.

Built with issue 4; nothing here yet.
"""
