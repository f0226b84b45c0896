"""VAULT03 SMS worker: sends text messages through Brevo (or the local sink)."""
