"""Searching: a query parsed, planned into tiers, matched on postings, ranked and highlighted."""
