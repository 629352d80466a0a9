"""Local fakes of remote services (Slack, Teams, OpenAI), speaking their real wire protocols."""
