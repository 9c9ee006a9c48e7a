"""The demo county: `seed-demo` and the scripted journeys it replays."""
