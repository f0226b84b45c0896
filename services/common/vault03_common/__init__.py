"""Shared parts of the VAULT03 fleet: settings, logging, metrics, events and the worker runtime."""

__version__ = "0.1.0"
