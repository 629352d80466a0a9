"""Getting messages to people: channels (Slack, Teams, outbox) behind one interface, and the ledger."""
