"""Build the mail adapters from settings: keyring, secure mail, transport, worker."""

from __future__ import annotations

from typing import Literal, cast

from ksp.mail.keyring import Keyring
from ksp.mail.secure import GpgSecureMail
from ksp.mail.transport import MaildirTransport, SmtpConfig, SmtpTransport, Transport
from ksp.settings import Settings

__all__ = ["secure_mail", "transport"]


def secure_mail(settings: Settings) -> GpgSecureMail:
    """The service's keyring lives in ``$KSP_DATA_DIR/gnupg`` (0700); its signing key comes
    from ``KSP_MAIL_SIGNING_KEY_FILE`` when that is set."""
    keyring = Keyring(
        settings.data_dir / "gnupg",
        sender_email=settings.mail_from,
        service_key=settings.mail_signing_key,
    )
    return GpgSecureMail(keyring, sender=settings.mail_from)


def transport(settings: Settings) -> Transport:
    """SMTP when KSP_SMTP_HOST is set, else the maildir ``$KSP_DATA_DIR/mail``."""
    if settings.smtp_host is None:
        return MaildirTransport(settings.data_dir / "mail")
    tls = cast("Literal['starttls', 'implicit']", settings.smtp_tls)
    return SmtpTransport(
        SmtpConfig(
            settings.smtp_host,
            settings.smtp_port,
            tls,
            settings.smtp_username,
            settings.smtp_password,
            settings.smtp_ca_file,
        )
    )
