"""VAULT03 email worker: renders messages and hands them to Brevo (or the local sink)."""
