"""The triage console: agents work the triage queue in a browser, and every decision feeds the model."""
