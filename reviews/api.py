"""Reviews endpoints of the JSON API (lms/api.py mounts this router at /api/v1/)."""

from ninja import Router

from lms.lib.api import token_auth

router = Router(tags=["Reviews"], auth=token_auth)
