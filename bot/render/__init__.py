"""Pure renderers: platform-neutral views (bot/views.py) to Slack Block Kit, Teams cards and text."""
