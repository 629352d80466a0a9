"""The scheduler: nightly sync and score per organization, each member's digest at their local time."""
