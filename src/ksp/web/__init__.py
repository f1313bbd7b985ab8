"""The web application: Danish pages rendered on the server for people (issue 10).

Handlers call the services of the composition root (``ksp.bootstrap``) by name, exactly as
``ksp.api`` does, never the API over HTTP. Templates live in ``templates/web/``.
"""
