"""Privacy oversight: the admin's view of every reveal of a resident's phone number."""
