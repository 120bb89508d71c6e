"""Who may call what. The decisions themselves are made in `tracker.roles`."""

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from tracker import roles


class ReadOrEdit(BasePermission):
    """Anyone reads (published data only, unless an editor); editors and publishers write."""

    message = "Only editors and publishers can change evaluations."

    def has_permission(self, request: Request, view) -> bool:
        return request.method in SAFE_METHODS or roles.is_editor(request.user)


class Publish(BasePermission):
    message = "Only publishers can publish evaluations."

    def has_permission(self, request: Request, view) -> bool:
        return roles.can_publish(request.user)
