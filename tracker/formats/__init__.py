"""How dates and times are written where Django formats them itself (the admin above all).

Django's own English formats ("Dec. 1, 2026, 5:50 a.m.") win over DATE_FORMAT and
DATETIME_FORMAT in the settings, so the project's are given as a locale format module
(FORMAT_MODULE_PATH). The public pages write every date with an explicit format.
"""
