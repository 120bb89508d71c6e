"""The partner API, version 1 (see README, "Partner API")."""

urlpatterns: list = []
