"""The audit log's API: admins and auditors read, filter and export what audit/ records (a
domain above auth, while the recording in audit/ sits under every domain)."""
