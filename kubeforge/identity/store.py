"""Where the kind password lives: generated once, only its bcrypt hash kept, the plain text shown once."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import bcrypt

from kubeforge.files import write_atomic
from kubeforge.secrets.store import SecretStore

__all__ = ["FileSecretStore", "SecretStore"]

BCRYPT_ROUNDS = 12


class FileSecretStore:
    """`<dir>/<cluster>/dex-users.json` (0600) maps e-mail -> bcrypt hash. A missing entry gets a
    fresh password (secrets.token_urlsafe) whose plain text goes to `new_passwords` only."""

    def __init__(self, dir: Path, cluster: str = "kubeflow") -> None:
        self.path = Path(dir) / cluster / "dex-users.json"
        self.new_passwords: dict[str, str] = {}

    def _load(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        data = json.loads(self.path.read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()}

    def _save(self, data: dict[str, str]) -> None:
        # The temporary file is 0600 before any byte is written: the hash never sits world-readable.
        write_atomic(self.path, json.dumps(data, indent=2, sort_keys=True), mode=0o600, dir_mode=0o700)

    def kind_password_hash(self, email: str) -> str:
        data = self._load()
        if email not in data:
            password = secrets.token_urlsafe(18)
            data[email] = bcrypt.hashpw(password.encode(), bcrypt.gensalt(BCRYPT_ROUNDS)).decode()
            self._save(data)
            self.new_passwords[email] = password
        return data[email]

    def generated(self, value_id: str) -> str:
        """Generated once, kept 0600 beside the password hashes: laptop renders carry these values."""
        path = self.path.with_name("generated.json")
        data: dict[str, str] = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        if value_id not in data:
            data[value_id] = secrets.token_hex(16)  # 32 characters: valid as an oauth2-proxy cookie secret
            write_atomic(path, json.dumps(data, indent=2, sort_keys=True), mode=0o600, dir_mode=0o700)
        return data[value_id]
