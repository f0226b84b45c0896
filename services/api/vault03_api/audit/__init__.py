"""The audit log's recording: every change of an audited table, written in the same
transaction, chained (read over HTTP by auditlog/)."""
