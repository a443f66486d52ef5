"""The house rules of the code base, checked on its source: the public API, who imports what,
where SQL lives, one exception hierarchy."""

from __future__ import annotations

import ast
import inspect

import pytest

import icp_engine
from tests.conftest import ROOT

PACKAGE = ROOT / "icp_engine"
SHELL = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def _imports(path) -> list[str]:
    """Modules imported by a file (``from a.b import c`` -> ``a.b``; relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    rel = path.relative_to(ROOT).with_suffix("")
    pkg = list(rel.parts[:-1]) if rel.name != "__init__" else list(rel.parts[:-1])
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg[: len(pkg) - node.level + 1]
                out.append(".".join([*base, node.module] if node.module else base))
            else:
                out.append(node.module or "")
    return out


def test_every_public_name_resolves():
    for name in icp_engine.__all__:
        assert getattr(icp_engine, name) is not None, name
    with pytest.raises(AttributeError):
        icp_engine.no_such_name


@pytest.mark.parametrize("path", SHELL, ids=lambda p: p.name)
def test_app_and_pages_import_only_the_public_api(path):
    ours = [m for m in _imports(path) if m.split(".")[0] == "icp_engine"]
    if path.name == "app.py":  # the server only (st.App); the shell is pages/_app.py
        assert set(ours) <= {"icp_engine"}, ours
        return
    assert ours and set(ours) == {"icp_engine"}, ours


def test_the_package_never_imports_streamlit():
    for path in PACKAGE.rglob("*.py"):
        assert not any(m.split(".")[0] == "streamlit" for m in _imports(path)), path


def test_sql_lives_under_icp_engine_db():
    """Only icp_engine/db/ talks to the database driver, SQLAlchemy or Alembic."""
    outside = {}
    for path in PACKAGE.rglob("*.py"):
        if (PACKAGE / "db") in path.parents:
            continue
        drivers = [m for m in _imports(path) if m.split(".")[0] in ("sqlalchemy", "alembic", "psycopg", "pgvector")]
        if drivers:
            outside[str(path.relative_to(ROOT))] = drivers
    assert outside == {}


def test_engine_stays_a_small_facade():
    assert len((PACKAGE / "engine.py").read_text(encoding="utf-8").splitlines()) <= 400


def test_one_exception_hierarchy():
    classes = [getattr(icp_engine, n) for n in icp_engine.__all__]
    errors = [c for c in classes if inspect.isclass(c) and issubclass(c, BaseException)]
    assert len(errors) >= 14
    assert all(issubclass(e, icp_engine.ICPError) for e in errors), [e for e in errors if not issubclass(e, icp_engine.ICPError)]
    # the branches keep the built-in bases callers catch
    assert issubclass(icp_engine.NotFound, LookupError)
    for e in (icp_engine.InvalidInput, icp_engine.UploadError, icp_engine.ApifyExportError):
        assert issubclass(e, ValueError)
    assert not issubclass(icp_engine.ApifyFatalError, icp_engine.ServiceError)  # never swallowed as a transient error


def test_public_names_are_listed_once():
    assert sorted(icp_engine.__all__) == sorted(icp_engine._EXPORTS) and len(set(icp_engine.__all__)) == len(icp_engine.__all__)
