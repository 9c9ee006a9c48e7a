"""Infrastructure shared by every domain, with no domain rules of its own."""
