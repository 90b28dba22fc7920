"""Domain verbs. Services flush; the caller (view or command) commits once."""
