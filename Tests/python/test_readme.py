"""The documentation's examples run: every ```python block of README.md and of each page of docs/, in
order, in one namespace per file. The site's build (scripts/docs.sh) runs the blocks marked exec="on"
the same way, one markdown-exec session per page; this test also runs those that need MNIST."""
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
# A block opens with ```python, optionally followed by markdown-exec's options (exec="on" session=...).
PYTHON_BLOCK = re.compile(r"^```python([^\n]*)\n(.*?)^```", flags=re.S | re.M)
RELATIVE_LINK = re.compile(r"\]\((?!https?://)([^)#\s]+)(?:#[^)\s]*)?\)")


def _blocks(path):
    return PYTHON_BLOCK.findall(path.read_text(encoding="utf-8"))


def _documents_with_examples():
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return [pytest.param(path, id=str(path.relative_to(ROOT)),
                         marks=[pytest.mark.slow] if "load_mnist" in path.read_text(encoding="utf-8") else [])
            for path in documents if _blocks(path)]


@pytest.mark.parametrize("document", _documents_with_examples())
def test_every_python_block_runs(document, tmp_path, monkeypatch):
    blocks = _blocks(document)
    sessions = {session for options, _ in blocks for session in re.findall(r'session="([^"]*)"', options)}
    # One session per page, named after it: the build then runs the blocks in the namespace this test uses.
    assert sessions <= {document.stem}, f"{document.name}: markdown-exec sessions {sessions}, expected {document.stem!r}"
    monkeypatch.chdir(tmp_path)  # the examples save files
    namespace = {}
    for number, (_, block) in enumerate(blocks, 1):
        exec(compile(block, f"{document.name} python block {number}", "exec"), namespace)


def test_the_guide_has_examples_on_its_topics():
    documented = {path.stem for path in (ROOT / "docs").glob("*.md") if _blocks(path)}
    assert {"index", "concepts", "network", "optimizers", "callbacks", "estimators", "files", "threads"} <= documented


def test_readme_links_point_to_files_in_the_repository():
    targets = RELATIVE_LINK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "docs/index.md" in targets
    assert [target for target in targets if not (ROOT / target).is_file()] == []
