"""The soak test (`make soak`, soak/run.py): the site under load, its database stopped and
paused, and what must hold afterwards."""
