"""The Slack app: slack-bolt handlers over the platform-neutral services, and Slack delivery."""
