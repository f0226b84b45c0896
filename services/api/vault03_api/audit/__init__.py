"""The audit log: every change of an audited table, written in the same transaction, chained."""
