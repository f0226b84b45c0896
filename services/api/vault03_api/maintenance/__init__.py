"""Maintenance windows: notice to staff (and share recipients), the 503 switch, restored notice."""
