from tests.api.conftest import mapped  # noqa: F401  (grids with outlines, for points)
