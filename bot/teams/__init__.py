"""Microsoft Teams: the only package that imports botbuilder (moving to the Microsoft 365 Agents SDK stays here)."""
