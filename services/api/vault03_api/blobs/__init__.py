"""Encrypted blob storage under the domains: per-file data keys wrapped by the master key,
bodies sealed in authenticated chunks (crypto.py), written to and read from the files
directory (storage.py). Vaults and the portal keep their files here."""
