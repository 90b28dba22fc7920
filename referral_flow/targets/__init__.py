"""Referral targets: the federation's grid and bulk default, the union chair's own plan."""
