"""RTES indexer: parse resource exports, chunk them into passages, embed and store them."""
