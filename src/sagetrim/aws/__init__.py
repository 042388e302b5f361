"""Talking to AWS: sessions per account and region, retries, paging, batched metric reads."""
