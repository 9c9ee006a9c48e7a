"""The generated city: geometry, rows, loading, and its life over time."""
