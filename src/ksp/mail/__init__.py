"""Encrypted circulation of KSP lists by OpenPGP mail.

Each recipient gets one message, encrypted to their key alone and signed by the
service's own OpenPGP key; if encryption fails the message is not sent, and there is no
setting that sends without it.

- :mod:`ksp.mail.key_policy` (pure checks on a key as gpg listed it) and
  :mod:`ksp.mail.recipient_key`: recipients' keys checked in a scratch GnuPG home;
  :mod:`ksp.mail.keyring`: the service's keyring, keys pinned by full fingerprint,
  encryption and signing; :mod:`ksp.mail.service_key`: its signing key;
  :mod:`ksp.mail.gpg_process`: the options and homes of every gpg call.
  :mod:`ksp.mail.gpg` gathers their public names.
- :mod:`ksp.mail.mime_parts`: the inner message every mail carries (the real subject in
  protected headers, the document, its JSON, PDF and invitation), built from a
  ``CirculationContent`` whatever the envelope; :mod:`ksp.mail.pgpmime` (PGP/MIME,
  RFC 3156) and :mod:`ksp.mail.smime` (S/MIME, RFC 8551) wrap its bytes for one
  recipient, a neutral subject outside. A notice recipient gets instead the content's
  notice (no personal data), clear-signed by :mod:`ksp.mail.smime` (``multipart/signed``).
- :mod:`ksp.mail.secure`: the envelopes behind the application's ``SecureMail`` port;
  :mod:`ksp.bootstrap` (the composition root) builds it and the transport from the settings.
- :mod:`ksp.mail.transport` and :mod:`ksp.mail.worker`: the outbox, delivered by SMTP
  (TLS required) or to a maildir, with retries.

Nothing is imported here, so importing the package starts no gpg.
"""
