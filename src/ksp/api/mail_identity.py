"""``/api/v1/mail/identity``: the service's public keys for recipients (any role)."""

from __future__ import annotations

import anyio.to_thread
from litestar import Controller, get
from litestar.di import NamedDependency

from ksp.api.auth import action, authorised
from ksp.api.docs import problems
from ksp.api.schemas.circulation import MailIdentityOut
from ksp.domain.access import Action
from ksp.mail.secure import EnvelopeMail
from ksp.mail.smime_policy import certificate_fingerprint

__all__ = ["MailIdentityController"]


class MailIdentityController(Controller):
    path = "/mail"
    guards = [authorised]  # noqa: RUF012 - Litestar's declared class attribute
    tags = ["circulation"]  # noqa: RUF012

    @get(
        "/identity",
        opt=action(Action.READ_REFERENCE),
        responses=problems(),
        summary="The service's OpenPGP key and S/MIME certificate chain, to pin and verify",
    )
    async def identity(self, mail: NamedDependency[EnvelopeMail]) -> MailIdentityOut:
        """What a recipient pins to check the service's signatures: the OpenPGP public key
        (and its fingerprint) and the S/MIME signing certificate with its CAs."""

        def read() -> MailIdentityOut:
            identity = mail.smime.identity()
            return MailIdentityOut(
                openpgp_key=mail.public_key(),
                openpgp_fingerprint=mail.signing_fingerprint(),
                smime_certificates=identity.chain_pem(),
                smime_fingerprint=certificate_fingerprint(identity.certificate),
            )

        return await anyio.to_thread.run_sync(read)
