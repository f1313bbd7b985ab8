"""OpenPGP through GnuPG, by one name: the public parts of the modules it is made of.

- :mod:`ksp.mail.key_policy`: pure checks on a recipient's key as gpg listed it;
- :mod:`ksp.mail.recipient_key`: reading a key with gpg in a scratch home
  (:func:`inspect_key`);
- :mod:`ksp.mail.keyring`: the service's keyring, encryption to pinned keys only;
- :mod:`ksp.mail.service_key`: the service's own signing key;
- :mod:`ksp.mail.gpg_process`: the options, scratch homes and agents of every gpg call.
"""

from __future__ import annotations

from ksp.mail.key_policy import KeyInfo, KeyProblem, KeyRejected, normalise_fingerprint
from ksp.mail.keyring import EncryptionFailed, Keyring
from ksp.mail.recipient_key import inspect_key
from ksp.mail.service_key import ServiceKey, check_service_key, new_service_key

__all__ = [
    "EncryptionFailed",
    "KeyInfo",
    "KeyProblem",
    "KeyRejected",
    "Keyring",
    "ServiceKey",
    "check_service_key",
    "inspect_key",
    "new_service_key",
    "normalise_fingerprint",
]
