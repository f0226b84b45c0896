"""Provider webhooks: Brevo (email and SMS events) and the print-and-mail provider (letters)."""
