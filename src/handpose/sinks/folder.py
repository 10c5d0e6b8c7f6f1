"""Annotated images written to a folder under their inputs' names."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import numpy as np

from ..errors import InputError
from ..outputs import check_not_input, check_writable, make_folder, write_image
from ..sources import IMAGE_EXTS


def _file_name(name: str) -> str:
    """The file name of an input's annotated copy: the input's own, or for a URL the last part of its path (plus
    .jpg when that is not an image file name: ``https://cdn.example.com/img/123?w=640`` -> ``123.jpg``)."""
    if "://" not in name:
        return Path(name).name
    base = Path(urlsplit(name).path).name or "image"
    return base if Path(base).suffix.lower() in IMAGE_EXTS else f"{base}.jpg"


def name_below(name: str, root: Path | None) -> Path:
    """An input's path below ``root`` (the folder the inputs share), else its file name (a URL's: the last part of
    its path), so inputs from several folders never share a name."""
    if root is not None:
        full = Path(name).resolve()
        if full.is_relative_to(root):
            return full.relative_to(root)
    return Path(_file_name(name))


class FolderSink:
    """Annotated images written under a folder with the input's file name.

    With ``root`` (the folder the inputs came from) an input keeps its path below ``root``, so inputs from several
    folders never share an output name.
    """

    def __init__(self, folder: Path, overwrite: bool = False, ext: str | None = None, filename: str | None = None,
                 root: Path | None = None):
        make_folder(folder)
        self.folder, self.overwrite, self.ext, self.filename, self.root = folder, overwrite, ext, filename, root
        self.count = 0
        self._written: set[Path] = set()

    def target(self, name: str) -> Path:
        p = self.folder / (self.filename or name_below(name, self.root))
        return p.with_suffix(self.ext) if self.ext else p

    def write(self, image: np.ndarray, name: str | None = None, timestamp_ms: float | None = None) -> None:
        """Write one annotated image under the input's name (time plays no part in a folder)."""
        target = self.target(name or f"frame_{self.count:06d}.jpg")
        if target in self._written:
            raise InputError(f"two inputs would both be written to {target}")
        if name is not None:
            check_not_input(target, [Path(name)])
        check_writable(target, self.overwrite)
        write_image(target, image)
        self._written.add(target)
        self.count += 1

    def close(self) -> None:
        """Nothing to flush: every image is written as it comes."""
