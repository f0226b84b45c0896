"""Run the repository's nginx configuration on loopback: paths, ports and upstream swapped in."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import subprocess
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.support import free_port, port_open, wait_for

NGINX_DIR = Path(__file__).parents[2] / "infra" / "nginx"


def self_signed_certificate(directory: Path) -> Path:
    """fullchain.pem and privkey.pem for 127.0.0.1, where certbot would put them."""
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "fullchain.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "privkey.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return directory / "fullchain.pem"


def _replace(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"{old!r} is no longer in the nginx configuration"
        text = text.replace(old, new)
    return text


class Nginx:
    """The site and main configuration rendered under `root`, started with Debian's nginx."""

    def __init__(
        self, root: Path, *, binary: str, upstream: str, site_changes: dict[str, str] | None = None
    ) -> None:
        self.root = root
        self.binary = binary
        self.https_port = free_port()
        self.http_port = free_port()
        self.logs = root / "logs"
        self.certificate = self_signed_certificate(root / "certs")
        for directory in ("logs", "www", "ui", "body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (root / directory).mkdir(parents=True, exist_ok=True)
        site = _replace(
            (NGINX_DIR / "sites-available" / "vault03").read_text(),
            {
                "server api:8041;": f"server {upstream};",
                "listen 80;": f"listen 127.0.0.1:{self.http_port};",
                "listen [::]:80;\n": "",
                "listen 443 ssl http2;": f"listen 127.0.0.1:{self.https_port} ssl http2;",
                "listen [::]:443 ssl http2;\n": "",
                "/etc/letsencrypt/live/vault03.yourdomain.com/": f"{root}/certs/",
                "/var/log/nginx/": f"{self.logs}/",
                "/var/www/certbot": f"{root}/www",
                "root /opt/vault03/ui;": f"root {root}/ui;",
                **(site_changes or {}),
            },
        )
        (root / "vault03.site").write_text(site)
        temp_paths = "".join(
            f"    {kind}_temp_path {root}/{directory};\n"
            for kind, directory in (
                ("client_body", "body"),
                ("proxy", "proxy"),
                ("fastcgi", "fastcgi"),
                ("uwsgi", "uwsgi"),
                ("scgi", "scgi"),
            )
        )
        main = _replace(
            (NGINX_DIR / "nginx.conf").read_text(),
            {
                # As root, workers would otherwise drop to www-data and lose the temp dirs.
                "user www-data;": "user root;" if os.geteuid() == 0 else "",
                "pid /run/nginx.pid;": f"pid {root}/nginx.pid;",
                "error_log /var/log/nginx/error.log;": f"error_log {self.logs}/error.log;",
                "access_log /var/log/nginx/access.log;": f"access_log {self.logs}/access.log;",
                "include /etc/nginx/conf.d/*.conf;\n": "",
                "include /etc/nginx/sites-enabled/*;": f"include {root}/vault03.site;",
                "http {\n": "http {\n" + temp_paths,
            },
        )
        self.config = root / "nginx.conf"
        self.config.write_text(main)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def command(self, *args: str) -> list[str]:
        return [self.binary, "-c", str(self.config), "-p", f"{self.root}/", *args]

    def test(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.command("-t"), capture_output=True, text=True)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.command("-g", "daemon off;"),
            stdout=subprocess.DEVNULL,
            stderr=open(self.logs / "stderr.log", "wb"),  # noqa: SIM115 (nginx keeps it)
        )
        wait_for(lambda: port_open(self.https_port), timeout=20, what="nginx to listen")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def access_log(self) -> str:
        return (self.logs / "vault03-access.log").read_text()

    def error_log(self) -> str:
        path = self.logs / "vault03-error.log"
        return path.read_text() if path.exists() else ""
