"""One panel per tab; each writes its part of a render request and shows its results."""
