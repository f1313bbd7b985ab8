"""Witnesses (C2SP tlog-witness): cosignatures, policies, the witness server and its client.

``cosignature`` and ``policy`` are pure (what an auditor runs offline); ``state`` and
``server`` are the small witness another unit runs with its own key (``ksp witness serve``);
``client`` is how the service asks its witnesses to cosign.
"""
