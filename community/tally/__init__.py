"""What the figures count, on the writing side: the stays a request leaves (facts)
and the days a change touches (marks). community.stats reads and recounts above it."""
