"""A tiny ledger: accounts, transfers and a report."""
