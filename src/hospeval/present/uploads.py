"""Checks on uploaded data files before anything reaches the warehouse.

Every file of a request is checked (name, size, type by content, CSV structure) and saved under a random
name in a private temporary folder; if any file fails, all are deleted and nothing is loaded, so a request
never loads part of its files. The original name is kept only for messages and lineage.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from hospeval.errors import InputFileError

ALLOWED = {".csv": "csv", ".txt": "csv", ".xlsx": "xlsx", ".parquet": "parquet"}
MAX_BYTES = int(float(os.environ.get("HOSPEVAL_MAX_UPLOAD_MB", "512")) * 1024 * 1024)
MAX_FILES = 20
CHUNK = 1024 * 1024
_BAD_NAME = re.compile(r"[\x00-\x1f/\\:*?\"<>|]")


class UploadError(InputFileError):
    """An uploaded file is refused; ``status`` is the HTTP status to answer with."""

    reason = "upload"

    def __init__(self, message: str, *, file: str | None = None, status: int = 400) -> None:
        super().__init__(message, file=file)
        self.status = status


@dataclass(frozen=True)
class SavedUpload:
    """A checked upload: its original name and where it was saved."""

    original_name: str
    path: Path
    kind: str
    size: int


def check_name(name: str | None) -> str:
    """Return the extension's kind, or raise when the name is empty, tricky or of a refused type."""
    if not name or not name.strip():
        raise UploadError("the file has no name / 文件缺少文件名")
    if _BAD_NAME.search(name) or ".." in name or name.startswith(".") or len(name) > 200:
        raise UploadError("file names may not contain paths, '..', control or reserved characters "
                          "/ 文件名不能包含路径或特殊字符", file=name[:80])
    ext = Path(name).suffix.lower()
    if ext not in ALLOWED:
        raise UploadError(f"file type {ext or '(none)'} is not accepted; send .csv, .xlsx or .parquet "
                          "/ 仅接受 CSV、XLSX、Parquet 文件", file=name, status=415)
    return ALLOWED[ext]


def save_stream(stream: io.BufferedIOBase, folder: Path, name: str, kind: str,
                max_bytes: int = MAX_BYTES) -> SavedUpload:
    """Copy ``stream`` to a random name in ``folder``, stopping at ``max_bytes``."""
    target = folder / f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    size = 0
    with open(target, "wb") as out:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise UploadError(f"the file is larger than the limit of {max_bytes // (1024 * 1024)} MB "
                                  "/ 文件超过大小上限", file=name, status=413)
            out.write(chunk)
    if size == 0:
        raise UploadError("the file is empty / 文件为空", file=name)
    saved = SavedUpload(name, target, kind, size)
    check_content(saved)
    return saved


def check_content(saved: SavedUpload) -> None:
    """Check that the bytes are what the extension says, and that a CSV is well formed."""
    with open(saved.path, "rb") as fh:
        head = fh.read(8)
        if saved.kind == "xlsx" and not head.startswith(b"PK\x03\x04"):
            raise UploadError("this .xlsx file is not an Excel workbook / 不是有效的 Excel 文件",
                              file=saved.original_name, status=415)
        if saved.kind == "parquet":
            fh.seek(-4, os.SEEK_END)
            if not head.startswith(b"PAR1") or fh.read(4) != b"PAR1":
                raise UploadError("this .parquet file is not a Parquet file / 不是有效的 Parquet 文件",
                                  file=saved.original_name, status=415)
    if saved.kind == "csv":
        check_csv(saved.path, saved.original_name)


def _encoding(path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with open(path, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise UploadError("the file is neither UTF-8 nor GB18030 text / 文件编码无法识别（需 UTF-8 或 GB18030）",
                      status=415)


def check_csv(path: Path, name: str) -> None:
    """Raise :class:`UploadError` naming the first bad row of a CSV (binary, no header, ragged rows)."""
    with open(path, "rb") as fh:
        if b"\x00" in fh.read(CHUNK):
            raise UploadError("the CSV contains binary data / CSV 文件包含二进制内容", file=name, status=415)
    try:
        encoding = _encoding(path)
    except UploadError as exc:
        raise UploadError(str(exc), file=name, status=415) from exc
    with open(path, encoding=encoding, newline="") as fh:
        sample = fh.read(64 * 1024)
        fh.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",\t;|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(fh, dialect)
        try:
            header = next(reader, None)
            if not header or len(header) < 2 or any(not h.strip() for h in header):
                raise UploadError("the CSV needs a header row of named columns / CSV 需要表头行",
                                  file=name)
            if len(set(header)) != len(header):
                raise UploadError("the CSV header repeats a column name / 表头列名重复", file=name)
            for row in reader:
                if row and len(row) != len(header):
                    raise UploadError(
                        f"row {reader.line_num} has {len(row)} fields, the header has {len(header)} "
                        f"/ 第 {reader.line_num} 行字段数与表头不符", file=name)
        except csv.Error as exc:
            raise UploadError(f"malformed CSV near line {reader.line_num}: {exc} / CSV 格式错误",
                              file=name) from exc


def new_folder() -> Path:
    """Return a private temporary folder for one request's files."""
    return Path(tempfile.mkdtemp(prefix="hospeval-upload-"))


def remove_folder(folder: Path) -> None:
    """Delete an upload folder and what is in it."""
    shutil.rmtree(folder, ignore_errors=True)
