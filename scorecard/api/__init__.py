"""The partner API, version 1 (see README, "Partner API", and /api/docs/).

Reads go through `tracker.queries`, writes through `tracker.services`, and who may see or
do what is decided by `tracker.roles`; this package only translates HTTP to and from them.
"""
