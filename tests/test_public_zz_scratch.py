import pytest
from django.contrib.auth.models import Group
from django.db import connection

@pytest.mark.django_db(transaction=True)
def test_groups():
    print("GROUPS", list(Group.objects.values_list("name", flat=True)), len(getattr(connection, "_test_serialized_contents", "") or ""))
