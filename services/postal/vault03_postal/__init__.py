"""VAULT03 postal worker: renders letters as PDF and submits them to print-and-mail."""
