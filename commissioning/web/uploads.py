"""A dataset folder from an upload (a zip of the folder, or its files), refused whole when unsafe.

Checked before a byte is written: the upload's size, the number of files, each name (only a dataset
folder's own file names, at most one folder deep; no absolute paths, ``..``, links or devices), and the
sizes the zip declares. Then each member is copied counting the bytes it really expands to, so a zip whose
headers lie stops at the same limit. Everything is written into a fresh folder that is removed again on any
refusal: nothing lands outside it, and no half-written dataset is left.
"""

from __future__ import annotations

import io
import shutil
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from commissioning.errors import CareCommissioningError

MAX_UPLOAD_BYTES = 64 * 2**20  # the request (zip or files) as sent
MAX_FILES = 20
MAX_EXPANDED_BYTES = 256 * 2**20  # all members together, as written
_STEMS = ("clients", "providers", "hubs", "pools")
ALLOWED_NAMES = frozenset(
    [f"{s}.{e}" for s in _STEMS for e in ("csv", "xlsx")]
    + ["zones.geojson", "zones.gpkg", "dataset.json"]
    + [f"zones.{e}" for e in ("shp", "shx", "dbf", "prj", "cpg")]
)
_CHUNK = 1 << 20


class UploadRefused(CareCommissioningError):
    """The upload is not a dataset this app will write: the message says which file and why."""


@dataclass(frozen=True)
class Upload:
    name: str  # the file name as sent
    data: bytes


def save_dataset(uploads: list[Upload], folder: Path) -> Path:
    """Write the dataset in ``uploads`` (one zip, or the folder's files) into the new ``folder``."""
    if sum(len(u.data) for u in uploads) > MAX_UPLOAD_BYTES:
        raise UploadRefused(
            f"the upload is over {MAX_UPLOAD_BYTES // 2**20} MB. Fix: send the dataset folder "
            "only (clients, providers, hubs, pools, zones)"
        )
    if not uploads:
        raise UploadRefused("no file was sent. Fix: choose the dataset folder as a .zip, or its files")
    folder.mkdir(parents=True, exist_ok=False)
    try:
        if len(uploads) == 1 and uploads[0].name.lower().endswith(".zip"):
            _unzip(uploads[0], folder)
        else:
            _files(uploads, folder)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return folder


def _files(uploads: list[Upload], folder: Path) -> None:
    if len(uploads) > MAX_FILES:
        raise UploadRefused(f"{len(uploads)} files were sent. Fix: at most {MAX_FILES}, the dataset's own")
    for upload in uploads:
        name = _allowed(upload.name, upload.name)
        (folder / name).write_bytes(upload.data)


def _unzip(upload: Upload, folder: Path) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(upload.data))
    except zipfile.BadZipFile as error:
        raise UploadRefused(
            f"{upload.name} is not a zip file ({error}). Fix: zip the dataset folder"
        ) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not _ignored(m.filename)]
        if len(members) > MAX_FILES:
            raise UploadRefused(
                f"{upload.name} holds {len(members)} files. Fix: at most {MAX_FILES}, "
                "the dataset folder's own"
            )
        names = [_member_name(upload.name, m) for m in members]
        declared = sum(m.file_size for m in members)
        if declared > MAX_EXPANDED_BYTES:
            raise UploadRefused(
                f"{upload.name} expands to {declared:,} bytes. Fix: at most "
                f"{MAX_EXPANDED_BYTES // 2**20} MB unpacked"
            )
        written = 0
        for member, name in zip(members, names, strict=True):
            try:
                written = _copy(archive, member, folder / name, written, upload.name)
            except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError) as error:
                raise UploadRefused(
                    f"{upload.name}: {member.filename!r} cannot be unpacked ({error}). Fix: "
                    "zip the folder again with a standard tool"
                ) from None


def _ignored(filename: str) -> bool:
    """What archivers add on their own (macOS resource forks, hidden files): skipped, not refused."""
    parts = PurePosixPath(filename.replace("\\", "/")).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].startswith("."))


def _member_name(zip_name: str, member: zipfile.ZipInfo) -> str:
    mode = member.external_attr >> 16
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        raise UploadRefused(
            f"{zip_name}: {member.filename!r} is a link or device, not a file. Fix: zip the files themselves"
        )
    path = PurePosixPath(member.filename.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or ":" in member.filename or len(path.parts) > 2:
        raise UploadRefused(
            f"{zip_name}: {member.filename!r} is outside the dataset folder. Fix: zip the "
            "folder itself (its files at the top, or in one folder)"
        )
    return _allowed(zip_name, path.name)


def _allowed(source: str, name: str) -> str:
    if name not in ALLOWED_NAMES:
        raise UploadRefused(
            f"{source}: {name!r} is not a file of a dataset folder. Fix: send only "
            f"{', '.join(sorted(ALLOWED_NAMES))}"
        )
    return name


def _copy(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, target: Path, written: int, zip_name: str
) -> int:
    """Copy one member, counting the bytes it really expands to (headers may lie)."""
    if target.exists():
        raise UploadRefused(f"{zip_name}: {member.filename!r} appears twice. Fix: one of each file")
    with archive.open(member) as source, target.open("wb") as out:
        while chunk := source.read(_CHUNK):
            written += len(chunk)
            if written > MAX_EXPANDED_BYTES:
                raise UploadRefused(
                    f"{zip_name} expands to more than {MAX_EXPANDED_BYTES // 2**20} MB. Fix: "
                    "send the dataset folder only"
                )
            out.write(chunk)
    return written
