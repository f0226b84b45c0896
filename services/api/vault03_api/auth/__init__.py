"""Staff identity: accounts, password + TOTP login, sessions, API tokens, roles, throttling."""
