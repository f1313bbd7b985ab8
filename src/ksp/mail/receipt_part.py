"""The receipt part of a circulated message, for either format (PGP/MIME, S/MIME).

The version's C2SP ``tlog-proof@v1`` receipt rides inside the encryption as its own
attachment, base64-encoded so that no mail system rewrites its line endings (the
checkpoint's signatures cover its exact bytes). Its name is the document's, with
``.tlog-proof`` for ``.json``: the recipient keeps both side by side and checks them with
``ksp journal verify-receipt``.
"""

from __future__ import annotations

from email.message import MIMEPart

__all__ = ["RECEIPT_TYPE", "receipt_name", "receipt_part"]

RECEIPT_TYPE = "application/x.tlog-proof"


def receipt_name(attachment_name: str) -> str:
    return attachment_name.removesuffix(".json") + ".tlog-proof"


def receipt_part(entity: MIMEPart, receipt: str, attachment_name: str) -> None:
    """Add ``receipt`` to the multipart ``entity`` as the receipt of ``attachment_name``."""
    maintype, subtype = RECEIPT_TYPE.split("/")
    entity.add_attachment(
        receipt.encode("utf-8"),
        maintype,
        subtype,
        cte="base64",
        filename=receipt_name(attachment_name),
    )
