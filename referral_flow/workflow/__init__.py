"""The referral state machine as data, its guards, rule sets and the working-day calendar."""
