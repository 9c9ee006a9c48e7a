"""The demo county's geometry: 3 streets, 12 communities and 48 grids that tile a
patch of Kunming (east of 东风广场, around 25.04°N 102.73°E) without gaps or
overlaps, built by community.areas.tiling, so points, maps and "use my
location" work on a demo instance."""
import random

from community.areas import geo
from community.areas.tiling import Lattice, partition

CENTRE = (25.040, 102.735)
ROWS, COLS, CELL_M = 10, 14, 170  # 1.7 km × 2.4 km in cells of about 170 m
SEED = 530199


def layout(codes: dict) -> dict:
    """Unit code -> GeoJSON Polygon for the county, its streets, communities and grids.

    `codes` is the demo's tree: {street code: {community code: [grid codes]}}. Grids
    get 2–4 cells each by chance (seeded), so they differ in size like real ones."""
    lattice = Lattice.around(*CENTRE, ROWS, COLS, CELL_M, seed=SEED)
    rng = random.Random(SEED)
    weights = {street: {community: [rng.choice((2, 2, 3, 3, 4)) for _ in grids]
                        for community, grids in communities.items()}
               for street, communities in codes.items()}
    shapes = {}
    whole = (0, 0, ROWS, COLS)
    street_blocks = partition(whole, [sum(map(sum, w.values())) for w in weights.values()],
                              [sum(map(len, c.values())) for c in codes.values()])
    for street, block in zip(codes, street_blocks):
        shapes[street] = block
        community_blocks = partition(block, [sum(w) for w in weights[street].values()],
                                     [len(g) for g in codes[street].values()])
        for community, c_block in zip(codes[street], community_blocks):
            shapes[community] = c_block
            for grid, g_block in zip(codes[street][community],
                                     partition(c_block, weights[street][community])):
                shapes[grid] = g_block
    return {code: lattice.polygon(*block) for code, block in shapes.items()} | \
        {"__county__": lattice.polygon(*whole)}


def apply(county, tree: dict) -> None:
    """Set the boundaries of the county `county` (a Unit) and of every unit in `tree`
    ({street Unit: {community Unit: [grid Units]}})."""
    units = {county.code: county}
    codes = {}
    for street, communities in tree.items():
        units[street.code] = street
        codes[street.code] = {}
        for community, grids in communities.items():
            units[community.code] = community
            codes[street.code][community.code] = [g.code for g in grids]
            units.update({g.code: g for g in grids})
    shapes = layout(codes)
    shapes[county.code] = shapes.pop("__county__")
    for code, polygon in shapes.items():
        geo.set_boundary(units[code], polygon)
