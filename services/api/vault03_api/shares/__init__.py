"""Shares: a vault opened to a recipient by a link and an access code sent over another channel
(the pages the link opens are the portal's, in portal/)."""
