"""Build hook only (metadata is in pyproject.toml): the translation catalogues are
compiled (.po -> .mo) into the build, so a wheel made from a clean checkout speaks
English too. `make translations` does the same for the source tree."""
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogues(build_py):
    def run(self):
        super().run()
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in Path("community/translations").glob("*/LC_MESSAGES/*.po"):
            target = Path(self.build_lib) / po_path.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            with target.open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithCatalogues})
