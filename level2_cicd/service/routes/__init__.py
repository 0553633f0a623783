"""The service's routes, one module per concern: info, scoring, labels, admin."""
