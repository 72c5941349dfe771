"""What every process shares: the error hierarchy, paths, command-line and HTTP helpers, logging, file readers."""
