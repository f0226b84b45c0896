"""Shares: a vault opened to a recipient by a link and an access code sent over another channel,
and the customer portal the link opens."""
