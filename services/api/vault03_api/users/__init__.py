"""User administration (admins only): invite, list, roles, disable, 2FA and password resets."""
