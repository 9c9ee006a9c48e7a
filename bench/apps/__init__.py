"""The apps benchmarks compare against: a bare Flask app, floors, a peer."""
