"""Who may call what. The decisions themselves are made in `tracker.rules`.

These classes only turn away, before any body is read, a role that may do an operation in
no state at all (anonymous clients get 401, partners 403); what a role may do to a given
evaluation in its state is decided by the services, which ask `tracker.rules` again.
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from tracker import rules
from tracker.rules import Operation


class ReadOrEdit(BasePermission):
    """Anyone reads (published data only, unless an editor); editors and publishers write."""

    message = rules.ROLE_REASONS[Operation.CHANGE_EVALUATION]

    def has_permission(self, request: Request, view) -> bool:
        return request.method in SAFE_METHODS or rules.role_may_ever(
            request.user, Operation.CHANGE_EVALUATION
        )


class Publish(BasePermission):
    message = rules.ROLE_REASONS[Operation.PUBLISH_EVALUATION]

    def has_permission(self, request: Request, view) -> bool:
        return rules.role_may_ever(request.user, Operation.PUBLISH_EVALUATION)


class ReadOrEditSources(BasePermission):
    """Anyone reads sources; editors and publishers add and correct them."""

    message = rules.ROLE_REASONS[Operation.CHANGE_SOURCE]

    def has_permission(self, request: Request, view) -> bool:
        if request.method in SAFE_METHODS:
            return True
        operation = Operation.CREATE_SOURCE if request.method == "POST" else Operation.CHANGE_SOURCE
        self.message = rules.ROLE_REASONS[operation]
        return rules.role_may_ever(request.user, operation)
