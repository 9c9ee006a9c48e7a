"""The packages of community/ form no import cycle (issue 23).

The graph is built from the source (ast, nothing imported): an edge A → B for each
`import community.B…` / `from community.B… import …` / relative import reaching B
written in a module of package A. Counted: MODULE-LEVEL imports (the statements at
the top of a module, inside `if`/`try` blocks at that level too). Imports inside
functions are deferred on purpose and are not counted here; `graph(deferred=True)`
shows them. Loose top-level modules (community/x.py) are not packages and not counted.

Two-way imports still to be cut are listed in KNOWN, each with its reason; the test fails on any
other cycle, and on a KNOWN one that is gone (so the list only shrinks).
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2] / "community"
PACKAGES = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()}

# Cycles left, by pairs of packages: views importing each other's decorators and
# helpers (the decorators move to auth/ with the permission rules), and privacy's
# anonymiser reading open311's rows while open311 masks through privacy.
KNOWN = {
    frozenset({"ratings", "workqueue"}),
    frozenset({"stats", "workqueue"}),
    frozenset({"open311", "privacy"}),
}


def _module_name(path: Path) -> tuple[str, bool]:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    if parts[-1] == "__init__":
        return ".".join(parts[:-1]), True
    return ".".join(parts), False


def _top_level(tree):
    """The module's own statements, through if/try blocks, not into defs or classes."""
    stack = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.If, ast.Try)):
            stack += node.body + node.orelse + getattr(node, "handlers", []) \
                + getattr(node, "finalbody", [])
        elif isinstance(node, ast.ExceptHandler):
            stack += node.body


def _imported(node, module: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level:
            base = module.split(".") if is_package else module.split(".")[:-1]
            base = base[:len(base) - (node.level - 1)]
            name = ".".join(base + ([node.module] if node.module else []))
        else:
            name = node.module or ""
        return [name] + [f"{name}.{a.name}" for a in node.names]
    return []


def _package(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "community" and parts[1] in PACKAGES else None


def graph(deferred: bool = False) -> dict[str, dict[str, set[str]]]:
    """package → imported package → the modules (with line) that import it."""
    edges: dict[str, dict[str, set[str]]] = {p: {} for p in PACKAGES}
    for path in ROOT.rglob("*.py"):
        module, is_package = _module_name(path)
        source = _package(module)
        if source is None:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in (ast.walk(tree) if deferred else _top_level(tree)):
            for name in _imported(node, module, is_package):
                target = _package(name)
                if target and target != source:
                    edges[source].setdefault(target, set()).add(f"{module}:{node.lineno}")
    return edges


def cycles(edges) -> set[frozenset]:
    """Pairs of packages that import each other directly (A → B and B → A). Longer
    rings are not looked for: with the pairs in KNOWN still there, every package they
    join would show up pairwise with every other (one strongly connected component)."""
    return {frozenset({a, b}) for a in edges for b in edges[a] if a in edges.get(b, {})}


def test_no_cycle_between_packages():
    found = cycles(graph())
    new = found - KNOWN
    assert not new, "import cycles between packages: " + "; ".join(
        " ↔ ".join(sorted(pair)) for pair in sorted(new, key=sorted))
    assert not KNOWN - found, f"no longer a cycle, drop from KNOWN: {KNOWN - found}"


def test_the_cut_cycles_stay_cut():
    """The ones issue 23 named, function-level imports included."""
    edges, top = graph(deferred=True), graph()
    for graph_, a, b in ((edges, "sla", "workqueue"), (edges, "ratings", "sla"),
                         (top, "ratings", "stats")):  # ratings.demo reads stats when seeding
        assert not (b in graph_[a] and a in graph_[b]), (a, b, graph_[a].get(b), graph_[b].get(a))
    for low in ("clock", "tally"):  # below the domains that call them
        assert not {"sla", "workqueue", "ratings", "stats"} & set(edges[low]), edges[low]


def test_forms_helpers_import_no_domain():
    tree = ast.parse((ROOT / "forms.py").read_text(encoding="utf-8"))
    names = [n for node in ast.walk(tree) for n in _imported(node, "community.forms", False)]
    assert not [n for n in names if _package(n)], names


def test_the_check_finds_a_cycle():
    edges = {"a": {"b": set()}, "b": {"c": set()}, "c": {"a": set()}, "d": {"a": set()}}
    edges["a"]["d"] = set()
    assert cycles(edges) == {frozenset("ad")}
