"""VAULT03 notifier: operators' alerts to Telegram, from the API's deliveries and Alertmanager."""
