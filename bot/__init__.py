"""Tandem: the shared read of every account, for the AM and the CSM, in Slack and Teams."""

__version__ = "0.1.0"
