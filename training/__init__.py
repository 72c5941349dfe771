"""The training side: classifier training and refresh, and the loan-volume forecaster."""
