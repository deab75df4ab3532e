"""``--against PATH``: earlier years' submissions or solutions found online, as a folder or a
zip of notebooks or an earlier output folder (a folder holding ``results.sqlite``).

Each year's own template is left out of its notebooks: the ``student.ipynb`` (or
``template.ipynb``) nearest above a notebook, else the store's template of an earlier output
folder, else this class's. A ``solution.ipynb`` beside it is no evidence either. The earlier
notebooks are compared with the class only, and their fingerprints are kept in an index file
(``PATH/similarity-index.npz``, ``NAME.similarity-index.npz`` beside a zip, or ``--index``).
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import zipfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from grader.errors import OutputError
from grader.results._cells import stored_cells
from grader.results._folder import OutputFolder
from grader.similarity import _index
from grader.similarity._documents import Cells, Document, Template, document, template_of
from grader.similarity._sources import MAX_BYTES, cells_of_json, notebook_cells, solution_cells

TEMPLATES = ("student.ipynb", "template.ipynb")
SOLUTIONS = ("solution.ipynb",)
STORE = "results.sqlite"


@dataclass
class Archive:
    """The earlier notebooks as documents, where each came from, and what to tell the user."""

    root: Path
    documents: list[Document] = field(default_factory=list)
    where: dict[tuple[str, str], tuple[str, Template]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def cells(self, doc: Document) -> tuple[Cells, Template]:
        locator, template = self.where[(doc.origin, doc.name)]
        return _read(self.root, locator), template


def open_archive(path: Path, index: Path | None, fallback: Template) -> Archive:
    """Every earlier notebook under ``path``, from the index where its stamp is unchanged."""
    if not path.exists():
        raise OutputError(f"--against {path}: no such folder or zip")
    index = index or (
        path / "similarity-index.npz"
        if path.is_dir()
        else path.with_suffix(".similarity-index.npz")
    )
    saved = _index.load(index) if index.is_file() else {}
    archive = Archive(path)
    listed = _listing(path, fallback, archive.notes)
    todo = [item for item in listed if saved.get(item[0], ("",))[0] != item[1]]
    made = dict(zip((item[0] for item in todo), _fingerprint(path, todo)))
    entries, fresh = [], len(todo)
    for locator, stamp, origin, name, template in listed:
        doc = made[locator] if locator in made else saved[locator][1]
        entries.append((locator, stamp, doc))
        archive.documents.append(doc)
        archive.where[(origin, name)] = (locator, template)
    if fresh or len(saved) != len(entries):
        try:
            _index.save(index, entries)
        except OSError as exc:
            archive.notes.append(
                f"the index {index} was not saved ({exc}): fingerprinted again next time"
            )
    if not entries:
        archive.notes.append(f"--against {path} holds no notebook")
    return archive


Listed = tuple[str, str, str, str, Template]  # locator, stamp, origin, name, template
#: Archives this large are fingerprinted in worker processes (as a large class is).
PARALLEL_FROM = 200
BATCH = 200


def _fingerprint(root: Path, todo: list[Listed]) -> list[Document]:
    """The documents of the notebooks not in the index yet, in two worker processes when there
    are many (tokenizing is most of the work; a 10,000-notebook archive is read once)."""
    make = functools.partial(_one, root)
    workers = min(os.cpu_count() or 1, 2)
    if len(todo) < PARALLEL_FROM or workers < 2:
        return [make(item) for item in todo]
    docs: list[Document] = []
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        for start in range(0, len(todo), BATCH):
            batch = todo[start : start + BATCH]
            docs.extend(pool.map(make, batch, chunksize=BATCH // (4 * workers)))
    return docs


def _one(root: Path, item: Listed) -> Document:
    locator, _, origin, name, template = item
    return document(name, _read(root, locator), template, origin)


def _listing(root: Path, fallback: Template, notes: list[str]) -> list[Listed]:
    """Each notebook with its stamp and template; an earlier output folder's stored cells."""
    files = _files(root)
    stores = sorted({PurePosixPath(f).parent for f in files if PurePosixPath(f).name == STORE})
    found: list[Listed] = []
    for folder in stores:
        found.extend(_stored(root, folder, files, notes))
    templates: dict[PurePosixPath, tuple[Template, str]] = {}
    for name, stamp in files.items():
        pure = PurePosixPath(name)
        if pure.suffix != ".ipynb" or pure.name in TEMPLATES + SOLUTIONS:
            continue
        if any(folder in pure.parents for folder in stores) or ".ipynb_checkpoints" in pure.parts:
            continue
        template, key = _template_for(root, pure.parent, files, fallback, templates)
        origin = str(pure.parent) if str(pure.parent) != "." else root.stem
        found.append((name, f"{stamp} {key}", origin, pure.stem, template))
    return found


def _files(root: Path) -> dict[str, str]:
    """Relative path (posix) -> stamp of every file in a folder or a zip."""
    if root.is_dir():
        return {
            path.relative_to(root).as_posix(): f"{s.st_size}:{s.st_mtime_ns}"
            for path in sorted(root.rglob("*"))
            if path.is_file() and (s := path.stat())
        }
    try:
        with zipfile.ZipFile(root) as archive:
            return {
                info.filename: f"{info.file_size}:{info.CRC}"
                for info in archive.infolist()
                if not info.is_dir()
            }
    except (OSError, zipfile.BadZipFile) as exc:
        raise OutputError(f"--against {root}: neither a folder nor a readable zip ({exc})") from exc


def _template_for(
    root: Path,
    folder: PurePosixPath,
    files: dict[str, str],
    fallback: Template,
    cache: dict[PurePosixPath, tuple[Template, str]],
) -> tuple[Template, str]:
    """The template nearest above ``folder`` (with the solution beside it), else this class's."""
    if folder in cache:
        return cache[folder]
    for above in (folder, *folder.parents):
        names = [str(above / n) if str(above) != "." else n for n in TEMPLATES + SOLUTIONS]
        template = next((n for n in names[: len(TEMPLATES)] if n in files), None)
        if template is not None:
            solution = next((n for n in names[len(TEMPLATES) :] if n in files), None)
            cells = _read(root, template)
            solved = _read(root, solution) if solution else []
            key = f"{template}:{files[template]}:{solution and files[solution]}"
            cache[folder] = (template_of(cells, solved), key)
            return cache[folder]
    cache[folder] = (fallback, "class:" + _digest(fallback))
    return cache[folder]


def _stored(
    root: Path, folder: PurePosixPath, files: dict[str, str], notes: list[str]
) -> list[Listed]:
    """The submissions an earlier output folder keeps, each with its own year's template."""
    if not root.is_dir():
        notes.append(f"{root}: an output folder inside a zip is not read; unzip it first")
        return []
    out = root / folder
    try:
        stored = stored_cells(OutputFolder(out))
    except OutputError as exc:
        notes.append(str(exc))
        return []
    try:
        solution, note = solution_cells(stored.info())
        if note:
            notes.append(f"{out}: {note}")
        templates = {sha: template_of(cells, solution) for sha, cells in stored.templates().items()}
        origin = str(folder) if str(folder) != "." else root.name
        stamp = files[str(folder / STORE) if str(folder) != "." else STORE]
        return [
            (
                f"{folder}::{name}",
                f"{stamp}:{sha}",
                origin,
                name,
                templates.get(sha, template_of([], solution)),
            )
            for name, sha, _ in stored.sources()
        ]
    finally:
        stored.close()


def _read(root: Path, locator: str) -> Cells:
    """A notebook's cells by its locator: a file, a zip member, or ``folder::submission``."""
    if "::" in locator:
        folder, name = locator.split("::", 1)
        stored = stored_cells(OutputFolder(root / folder))
        try:
            return stored.cells(name)[1]
        finally:
            stored.close()
    if root.is_dir():
        return notebook_cells(root / locator)
    with zipfile.ZipFile(root) as archive:
        info = archive.getinfo(locator)
        return cells_of_json(archive.read(info)) if info.file_size <= MAX_BYTES else []


def _digest(template: Template) -> str:
    """Which of this class's templates an archive notebook was fingerprinted against."""
    text = repr(
        (
            sorted(template.lines),
            sorted(template.code),
            sorted(template.prose),
            sorted(template.text),
        )
    )
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()
