"""Level 2 batch scoring: a partitioned Parquet dataset scored by a registered version on Dask."""
