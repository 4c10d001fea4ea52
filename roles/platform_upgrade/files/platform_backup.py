#!/usr/bin/env python3
"""The upgrade's backup folder: its checksum manifest, and the platform databases' dumps and restores.

Standard library only: it runs with the controller's Python, outside kubeforge's virtual environment.

  platform_backup.py manifest DIR --stack S --release R   write DIR/MANIFEST.json (sha256 of every file)
  platform_backup.py verify DIR                           exit 1 at the first file that does not match
  platform_backup.py db-dump DIR --name N --db D... [--client-arg A...] -- PREFIX...
  platform_backup.py db-restore DIR --name N [--only-if-schema-moved] [--client-arg A...] -- PREFIX...

PREFIX is how the database server's own client tools are reached, e.g. `kubectl exec -i -n kubeflow
deploy/mysql --`; empty for a server on this machine. Inside the server's container the root password
comes from its MYSQL_ROOT_PASSWORD (as MYSQL_PWD, never on a command line).
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

MANIFEST = "MANIFEST.json"
FORMAT = 1
# Sets MYSQL_PWD from the container's root password when it has one, then runs the client tool.
WRAP = 'if [ -n "${MYSQL_ROOT_PASSWORD:-}" ]; then export MYSQL_PWD="$MYSQL_ROOT_PASSWORD"; fi; exec "$0" "$@"'
# Counters that move with the data, not the schema.
_VOLATILE = re.compile(r" AUTO_INCREMENT=\d+")


class Refused(Exception):
    """One line for the operator; exit 1."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)


def write_manifest(folder: Path, stack: str, release: str) -> dict[str, object]:
    manifest = {
        "format": FORMAT,
        "stack": stack,
        "release": release,
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": {name: sha256(folder / name) for name in _files(folder)},
    }
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(folder / MANIFEST)
    return manifest


def verify(folder: Path) -> dict[str, object]:
    """The manifest when every file matches it; Refused naming the first that does not."""
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        if manifest.get("format") != FORMAT or not isinstance(files, dict):
            raise ValueError(f"format {manifest.get('format')!r}, expected {FORMAT}")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise Refused(f"{path}: not a kubeforge backup manifest: {exc}") from exc
    for name, want in sorted(files.items()):
        if Path(name).is_absolute() or ".." in Path(name).parts:
            raise Refused(f"{path}: files.{name}: a path outside the backup folder")
        target = folder / name
        if not target.is_file():
            raise Refused(f"{target}: listed in {MANIFEST} but missing")
        got = sha256(target)
        if got != want:
            raise Refused(f"{target}: sha256 mismatch: manifest {want[:12]}..., file {got[:12]}...; backup refused")
    extra = sorted(set(_files(folder)) - set(files))
    if extra:
        raise Refused(f"{folder / extra[0]}: not in {MANIFEST}; backup refused")
    return manifest


def _run(prefix: list[str], program: str, args: list[str], stdin: Path | None = None) -> bytes:
    argv = [*prefix, "sh", "-c", WRAP, program, *args]
    with open(stdin, "rb") if stdin else open("/dev/null", "rb") as fh:
        proc = subprocess.run(argv, stdin=fh, capture_output=True, check=False)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise Refused(f"{program} failed (exit {proc.returncode}): {err[-1] if err else 'no output'}")
    return proc.stdout


def _schema(prefix: list[str], dump: str, client_args: list[str], dbs: list[str]) -> bytes:
    args = [*client_args, "--no-data", "--skip-comments", "--skip-dump-date", "--databases", *dbs]
    return _VOLATILE.sub("", _run(prefix, dump, args).decode()).encode()


def _databases_file(folder: Path, name: str) -> Path:
    return folder / "databases" / f"{name}.json"


def db_dump(folder: Path, name: str, dbs: list[str], prefix: list[str], client_args: list[str], dump: str) -> None:
    out = folder / "databases"
    out.mkdir(parents=True, exist_ok=True)
    data = _run(
        prefix,
        dump,
        [*client_args, "--single-transaction", "--routines", "--triggers", "--add-drop-database", "--databases", *dbs],
    )
    (out / f"{name}.sql").write_bytes(data)
    (out / f"{name}.schema.sql").write_bytes(_schema(prefix, dump, client_args, dbs))
    _databases_file(folder, name).write_text(json.dumps({"databases": dbs}) + "\n", encoding="utf-8")
    print(f"{name}: dumped {', '.join(dbs)} ({len(data)} bytes)")


def db_restore(
    folder: Path, name: str, prefix: list[str], client_args: list[str], dump: str, client: str, only_moved: bool
) -> bool:
    dbs = json.loads(_databases_file(folder, name).read_text(encoding="utf-8"))["databases"]
    if only_moved:
        saved = (folder / "databases" / f"{name}.schema.sql").read_bytes()
        if _schema(prefix, dump, client_args, dbs) == saved:
            print(f"{name}: schema unchanged since the backup, not restored (data written since is kept)")
            return False
    _run(prefix, client, client_args, stdin=folder / "databases" / f"{name}.sql")
    print(f"{name}: restored {', '.join(dbs)} from {folder / 'databases' / (name + '.sql')}")
    return True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    man = sub.add_parser("manifest")
    man.add_argument("folder", type=Path)
    man.add_argument("--stack", required=True)
    man.add_argument("--release", required=True)
    ver = sub.add_parser("verify")
    ver.add_argument("folder", type=Path)
    for command in ("db-dump", "db-restore"):
        p = sub.add_parser(command)
        p.add_argument("folder", type=Path)
        p.add_argument("--name", required=True)
        p.add_argument("--client-arg", action="append", default=[], help="an argument every client tool gets")
        p.add_argument("--dump-program", default="mysqldump")
        p.add_argument("--client-program", default="mysql")
        if command == "db-dump":
            p.add_argument("--db", action="append", required=True)
        else:
            p.add_argument("--only-if-schema-moved", action="store_true")
    # After `--`: how the server's client tools are reached (kubectl exec ... --), kept apart from our options.
    prefix = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    args.prefix = prefix
    try:
        if args.command == "manifest":
            manifest = write_manifest(args.folder, args.stack, args.release)
            print(f"{args.folder / MANIFEST}: {len(manifest['files'])} files")  # type: ignore[arg-type]
        elif args.command == "verify":
            manifest = verify(args.folder)
            print(f"{args.folder}: {len(manifest['files'])} files match {MANIFEST} (release {manifest['release']})")  # type: ignore[arg-type]
        elif args.command == "db-dump":
            db_dump(args.folder, args.name, args.db, args.prefix, args.client_arg, args.dump_program)
        else:
            db_restore(
                args.folder,
                args.name,
                args.prefix,
                args.client_arg,
                args.dump_program,
                args.client_program,
                args.only_if_schema_moved,
            )
    except Refused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
