"""MkDocs hook: publishes repository files that live outside docs/ under their repository paths.

The guide links them root-relative (`/bench/results.md`, `/bench/results.png`): GitHub resolves such
links from the repository root, and MkDocs (validation.links.absolute_links: relative_to_docs) from
the site's root, where this hook puts them. Markdown files become pages of the site, others are
copied as they are. A listed file that is missing fails the build.
"""
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

REPOSITORY_FILES = (
    "CHANGELOG.md",
    "CONTRIBUTING.md",
    "bench/ENGINES.md",
    "bench/batch_sweep.png",
    "bench/cost_growth.png",
    "bench/results.md",
    "bench/results.png",
    "bench/sparse.md",
    "bench/sweep.md",
    "examples/gradient_descent.ipynb",
    "examples/gradient_descent_tour.py",
    "examples/mnist_nielsen.py",
)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    repository = Path(config.config_file_path).parent
    for path in REPOSITORY_FILES:
        if not (repository / path).is_file():
            raise FileNotFoundError(f"{path}: listed in docs/_hooks/repository_files.py but not in the repository")
        files.append(File(path, src_dir=str(repository), dest_dir=config.site_dir,
                          use_directory_urls=config.use_directory_urls))
    return files
