"""The data source every level reads: a seeded churn simulator and a loader for your own files."""
