"""The import graph (decision 014): no service imports another, `shared` imports no service, and the control
plane (radar_api) reaches a pipeline service only through its face, imported at module top (the CLI's commands
import faces where they need them, for its start-up time).

Read from the source with `ast`, so an import inside a function counts as much as one at the top.
"""

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = {"radar_feed_watcher": "feed_watcher", "radar_classifier": "classifier", "radar_notifier": "notifier"}
SERVICES = {**PIPELINE, "radar_api": "api"}
FACES = {"radar_notifier.operator", "radar_classifier.operator", "radar_feed_watcher.preview"}


def starts_lazily(path: Path) -> bool:
    """The CLI's command modules import a face inside the command that needs it: `radar --help` and the database
    commands must start in well under a second (issue 13; tests/unit/api/test_cli_startup.py), and a face brings
    its service's dependencies (feedparser, Apprise, the lexicons). They still import nothing but faces."""
    return path.relative_to(ROOT / "services" / "api" / "radar_api").as_posix().startswith("cli/")


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # the module imported: `from a.b import c` gives a.b.c when a.b is a package root, else a.b
    nested: bool  # inside a function or class body, not at module top

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.module}{' (inside a function)' if self.nested else ''}"


def package_of(path: Path) -> str:
    """The dotted module name of a source file (`services/api/radar_api/web.py` -> `radar_api.web`)."""
    parts = list(path.with_suffix("").parts)
    root = next(i for i, part in enumerate(parts) if part.startswith("radar_"))
    return ".".join(parts[root:])


def imports_of(path: Path) -> list[Import]:
    """Every import of the file, at any depth; relative imports resolved; `from pkg import mod` as pkg.mod."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    module_name = package_of(path)
    is_package = path.name == "__init__.py"
    out: list[Import] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda)
            if isinstance(child, ast.Import):
                out.extend(Import(path, child.lineno, alias.name, nested) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = module_name.split(".")
                    anchor = anchor[: len(anchor) - child.level + (1 if is_package else 0)]
                    base = ".".join([*anchor, base] if base else anchor)
                if base in SERVICES:  # `from radar_notifier import store` imports the module radar_notifier.store
                    out.extend(Import(path, child.lineno, f"{base}.{alias.name}", nested) for alias in child.names)
                else:
                    out.append(Import(path, child.lineno, base, nested))
            visit(child, inner)

    visit(tree, False)
    return out


def service_of(module: str) -> str | None:
    top = module.split(".")[0]
    return top if top in SERVICES else None


def sources(package_dir: Path) -> list[Path]:
    return sorted(p for p in package_dir.rglob("*.py") if "__pycache__" not in p.parts)


def package_dir(package: str) -> Path:
    if package == "radar_shared":
        return ROOT / "shared" / "radar_shared"
    return ROOT / "services" / SERVICES[package] / package


@pytest.mark.parametrize("package", sorted(PIPELINE))
def test_no_pipeline_service_imports_another_service(package: str) -> None:
    wrong = [str(i) for path in sources(package_dir(package)) for i in imports_of(path) if service_of(i.module) not in (None, package)]
    assert not wrong, f"{package} imports other services:\n" + "\n".join(wrong)


def test_shared_imports_no_service() -> None:
    wrong = [str(i) for path in sources(package_dir("radar_shared")) for i in imports_of(path) if service_of(i.module)]
    assert not wrong, "radar_shared imports services:\n" + "\n".join(wrong)


def control_plane_imports() -> list[Import]:
    return [i for path in sources(package_dir("radar_api")) for i in imports_of(path) if service_of(i.module) in PIPELINE]


def test_the_control_plane_imports_only_the_faces_of_services() -> None:
    wrong = [str(i) for i in control_plane_imports() if i.module not in FACES]
    assert not wrong, f"radar_api may import from services only {', '.join(sorted(FACES))}:\n" + "\n".join(wrong)


def test_the_control_plane_imports_the_faces_at_module_top() -> None:
    hidden = [str(i) for i in control_plane_imports() if i.nested and not starts_lazily(i.path)]
    assert not hidden, "a face is imported at module top, where a reader sees what the module depends on:\n" + "\n".join(hidden)


def test_the_faces_exist_and_the_control_plane_uses_each() -> None:
    """A face that was renamed or is no longer used would make the rules above check nothing."""
    for face in FACES:
        package, module = face.split(".")
        assert (package_dir(package) / f"{module}.py").is_file(), face
    assert {i.module for i in control_plane_imports()} == FACES


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from radar_notifier.store import resend\n", [("radar_notifier.store", False)]),
        ("from radar_notifier import store, operator\n", [("radar_notifier.store", False), ("radar_notifier.operator", False)]),
        ("def f():\n    import radar_classifier.query as q\n", [("radar_classifier.query", True)]),
        ("class C:\n    from .routes import Context\n", [("radar_api.routes", True)]),
        ("from . import web\n", [("radar_api.web", False)]),
    ],
)
def test_imports_are_read_at_any_depth(tmp_path: Path, source: str, expected: list[tuple[str, bool]]) -> None:
    path = tmp_path / "services" / "api" / "radar_api" / "probe.py"
    path.parent.mkdir(parents=True)
    path.write_text(source, encoding="utf-8")
    assert [(i.module, i.nested) for i in imports_of(path)] == expected
