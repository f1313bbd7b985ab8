"""Key-encryption keys (KEKs) and their keepers: the keys that wrap the data keys."""
