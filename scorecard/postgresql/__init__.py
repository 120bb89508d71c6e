"""PostgreSQL as Django's own backend, with every wait for the server bounded (see base.py)."""
