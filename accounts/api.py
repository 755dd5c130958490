"""Accounts endpoints of the JSON API (lms/api.py mounts this router at /api/v1/)."""

from ninja import Router, Schema

from accounts.models import User
from lms.lib.api import Problem, token_auth

router = Router(tags=["Accounts"], auth=token_auth)


class MeOut(Schema):
    id: int
    email: str
    role: User.Role


@router.get(
    "/me",
    response={200: MeOut, 401: Problem},
    operation_id="get_me",
    summary="The signed-in account",
)
def me(request):
    return request.user  # loaded by token_auth: no query here
