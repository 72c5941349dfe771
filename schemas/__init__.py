"""Event and bundle contracts shared by the router and the trainer (pydantic v2)."""
