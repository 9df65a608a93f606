#!/usr/bin/env python3
"""Entrepot's benchmarks, side by side with its peers on this machine.

Every system runs on loopback with its state in a fresh temporary folder,
gets the same data, and is measured with the same tools (wrk, hyperfine,
curl). The results, the machine, the versions and the exact commands go to
BENCHMARKS.md. `--quick` runs each figure for a moment against Entrepot
alone (and the Verdaccio the npm proxy figure needs as its origin), so that
the harness is exercised by the test suite and cannot rot.
"""

import argparse
import base64
import concurrent.futures
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import statistics
import socket
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import documents  # noqa: E402  (figure 14)
import garage  # noqa: E402  (figure 13)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMANDS = []  # every load command, as run, for the report
VERDACCIO = "/opt/verdaccio-peer/node_modules/.bin/verdaccio"


# ---------------------------------------------------------------- helpers

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, deadline=60, ok=(200, 401, 404)):
    end = time.time() + deadline
    while time.time() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status in ok:
                    return
        except urllib.error.HTTPError as e:
            if e.code in ok:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer in {deadline} s")


def request(method, url, body=None, headers=None):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            return r.status, dict((k.lower(), v) for k, v in r.headers.items()), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict((k.lower(), v) for k, v in e.headers.items()), e.read()


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw)


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_kib(pid):
    """RSS of a process and its children (nginx workers, node)."""
    total = rss_kib(pid)
    try:
        for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
            total += tree_rss_kib(int(child))
    except OSError:
        pass
    return total


class PeakRss:
    """Samples a process tree's RSS every 20 ms while in use."""

    def __init__(self, pid):
        self.pid, self.peak, self._stop = pid, 0, threading.Event()

    def __enter__(self):
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss_kib(self.pid))
            time.sleep(0.02)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def mib(kib):
    return f"{kib / 1024:.0f} MiB"


# ---------------------------------------------------------------- npm data

def tarball(name, version, size=0):
    """A gzipped npm tarball, with `size` bytes of incompressible padding."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        def add(path, data):
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
        manifest = {"name": name, "version": version, "main": "index.js", "description": "benchmark package"}
        add("package/package.json", json.dumps(manifest).encode())
        add("package/index.js", f"module.exports = {json.dumps(version)};\n".encode())
        if size:
            add("package/blob.bin", os.urandom(size))
    return gzip.compress(raw.getvalue(), compresslevel=1, mtime=0)


def publish_doc(name, version, tgz, deps=None):
    unscoped = name.split("/")[-1]
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()
    manifest = {
        "name": name, "version": version, "description": "benchmark package", "main": "index.js",
        "dependencies": deps or {},
        "dist": {"integrity": integrity, "shasum": hashlib.sha1(tgz).hexdigest(),
                 "tarball": f"http://x/{name}/-/{unscoped}-{version}.tgz"},
    }
    return json.dumps({
        "_id": name, "name": name, "description": "benchmark package",
        "dist-tags": {"latest": version}, "versions": {version: manifest},
        "_attachments": {f"{name}-{version}.tgz": {
            "content_type": "application/octet-stream",
            "data": base64.b64encode(tgz).decode(), "length": len(tgz)}},
    }).encode()


class NpmRegistry:
    def __init__(self, label, base, token, pid):
        self.label, self.base, self.token, self.pid = label, base.rstrip("/") + "/", token, pid

    def headers(self, extra=None):
        h = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        h.update(extra or {})
        return h

    def make_public(self, name):
        """Entrepot's packages start private; Verdaccio's config makes all public."""
        if self.label == "Entrepot":
            url = self.base + "-/package/" + name.replace("/", "%2f") + "/access"
            status, _, body = request("POST", url, json.dumps({"access": "public"}).encode(), self.headers())
            assert status == 200, (status, body[:200])

    def publish(self, name, version, tgz, deps=None):
        url = self.base + name.replace("/", "%2f")
        status, _, body = request("PUT", url, publish_doc(name, version, tgz, deps), self.headers())
        if status not in (200, 201):
            raise SystemExit(f"{self.label}: publishing {name}@{version} failed: {status} {body[:200]!r}")


# ---------------------------------------------------------------- systems

class Systems:
    def __init__(self, args, work):
        self.args, self.work, self.procs = args, work, []

    def spawn(self, cmd, log, **kw):
        p = subprocess.Popen(cmd, stdout=open(log, "w"), stderr=subprocess.STDOUT, **kw)
        self.procs.append(p)
        return p

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()

    def entrepot(self, name="entrepot"):
        d = os.path.join(self.work, name)
        os.makedirs(d)
        port = free_port()
        env = dict(os.environ, RUST_LOG="warn")
        binary = self.args.binary
        p = self.spawn([binary, "--listen", f"127.0.0.1:{port}", "--api-rate-limit", "1000000000",
                        "serve"], os.path.join(d, "log"), cwd=d, env=env)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/healthz")
        run([binary, "admin", "user", "create", "bench"], cwd=d)
        token = run([binary, "admin", "token", "create", "bench", "--scopes",
                     "read:packages,write:packages,delete:packages"], cwd=d).stdout.strip()
        self.entrepot_dir, self.entrepot_base, self.entrepot_token = d, base, token
        self.entrepot_pid = p.pid
        return p, base, token

    def verdaccio(self, name="verdaccio", uplink=None, max_body_size=None):
        """A Verdaccio 6.8; with `uplink`, one that proxies every package
        to that registry (its copies kept 10 minutes, as Entrepot's TTL)."""
        if not os.path.exists(VERDACCIO):
            raise SystemExit("Verdaccio is missing: scripts/install-verdaccio installs it")
        d = os.path.join(self.work, name)
        os.makedirs(d)
        uplinks = (f"uplinks:\n  origin:\n    url: {uplink}\n    maxage: 10m\n    timeout: 120s\n"
                   if uplink else "uplinks: {}\n")
        proxy = "    proxy: origin\n" if uplink else ""
        with open(os.path.join(d, "config.yaml"), "w") as f:
            f.write("storage: ./storage\nauth:\n  htpasswd:\n    file: ./htpasswd\n    max_users: 1000\n"
                    f"{uplinks}packages:\n  '@*/*':\n    access: $all\n    publish: $authenticated\n{proxy}"
                    f"  '**':\n    access: $all\n    publish: $authenticated\n{proxy}"
                    + (f"max_body_size: {max_body_size}\n" if max_body_size else "") +
                    "server:\n  keepAliveTimeout: 60\nlog: { type: stdout, format: pretty, level: error }\n"
                    "web:\n  enable: false\n")
        port = free_port()
        p = self.spawn([VERDACCIO, "--config",
                        os.path.join(d, "config.yaml"), "--listen", f"127.0.0.1:{port}"],
                       os.path.join(d, "log"), cwd=d)
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/-/ping")
        status, _, body = request("PUT", f"{base}/-/user/org.couchdb.user:bench",
                                  json.dumps({"name": "bench", "password": "bench-password"}).encode(),
                                  {"Content-Type": "application/json"})
        token = json.loads(body)["token"]
        return p, base, token

    def distribution(self):
        d = os.path.join(self.work, "distribution")
        os.makedirs(d)
        port = free_port()
        with open(os.path.join(d, "config.yml"), "w") as f:
            f.write(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {d}/data\n"
                    f"  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n")
        p = self.spawn(["docker-registry", "serve", os.path.join(d, "config.yml")], os.path.join(d, "log"))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/v2/")
        return p, base

    def nginx(self):
        d = os.path.join(self.work, "nginx")
        os.makedirs(os.path.join(d, "root"))
        port = free_port()
        with open(os.path.join(d, "nginx.conf"), "w") as f:
            user = "user root;\n" if os.geteuid() == 0 else ""
            f.write(f"{user}daemon off;\nworker_processes auto;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n"
                    f"events {{ worker_connections 1024; }}\nhttp {{\n access_log off;\n sendfile on;\n"
                    f" tcp_nopush on;\n client_body_temp_path {d};\n proxy_temp_path {d};\n"
                    f" fastcgi_temp_path {d};\n uwsgi_temp_path {d};\n scgi_temp_path {d};\n"
                    f" server {{ listen 127.0.0.1:{port}; root {d}/root; }}\n}}\n")
        p = self.spawn(["nginx", "-c", os.path.join(d, "nginx.conf"), "-p", d], os.path.join(d, "log"))
        base = f"http://127.0.0.1:{port}"
        wait_http(base + "/", ok=(200, 403, 404))
        return p, base, os.path.join(d, "root")


# ---------------------------------------------------------------- load tools

def wrk(url, connections, duration, headers):
    threads = min(2, connections)
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(url)
    COMMANDS.append(" ".join(c if " " not in c else repr(c) for c in cmd).replace(headers.get("Authorization", "@@"), "…"))
    out = run(cmd).stdout
    def latency(label):
        m = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", out)
    factor = {"B": 1 / 2**20, "KB": 1 / 1024, "MB": 1, "GB": 1024}.get(transfer.group(2), 1) if transfer else 0
    mbs = float(transfer.group(1)) * factor if transfer else 0
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise SystemExit(f"wrk saw {non2xx.group(1)} error responses from {url}")
    return {"rps": rps, "p50": latency("50"), "p99": latency("99"), "mbs": mbs}


def curl_speed(args):
    COMMANDS.append("curl " + " ".join(a for a in args if not a.startswith("Authorization")))
    out = run(["curl", "-sS", "--fail", "-w", "%{speed_download} %{speed_upload}"] + args).stdout
    down, up = out.split()[-2:]
    return float(down) / 2**20, float(up) / 2**20


def curl_fetch(url):
    """One whole GET with curl: seconds to the first byte and in all, bytes."""
    COMMANDS.append(f"curl -o /dev/null {url}")
    out = run(["curl", "-sS", "--fail", "-o", "/dev/null", "-w",
               "%{time_starttransfer} %{time_total} %{size_download}", url]).stdout
    first, total, size = out.split()[-3:]
    return {"first": float(first), "total": float(total), "size": int(size)}


# ---------------------------------------------------------------- figures

def figure_packument(sys_, results, regs, duration, nginx_root=None, nginx_base=None):
    """(1) abbreviated packument of a package with 200 versions: anonymous,
    with a token and gzipped, against nginx serving the same bytes from a file."""
    versions = 20 if sys_.args.quick else 200
    for reg in regs:
        for i in range(versions):
            reg.publish("@bench/big", f"1.0.{i}", tarball("@bench/big", f"1.0.{i}"))
        reg.make_public("@bench/big")
    rows = {}
    corgi = {"Accept": "application/vnd.npm.install-v1+json"}
    for reg in regs:
        url = reg.base + "@bench%2fbig"
        # Anonymous reads of a public package, as npm install of public code does.
        status, _, body = request("GET", url, headers=corgi)
        assert status == 200 and len(json.loads(body)["versions"]) == versions, (reg.label, status)
        rows[reg.label] = {}
        with PeakRss(reg.pid) as peak:
            for c in (1, 16, 64):
                rows[reg.label][c] = wrk(url, c, duration, corgi)
        rows[reg.label]["rss"] = peak.peak
    entrepot = regs[0]
    url = entrepot.base + "@bench%2fbig"
    variants = {
        "Entrepot, with a token": dict(corgi, Authorization=f"Bearer {entrepot.token}"),
        "Entrepot, gzip": dict(corgi, **{"Accept-Encoding": "gzip"}),
    }
    for label, headers in variants.items():
        rows[label] = {c: wrk(url, c, duration, headers) for c in (1, 16, 64)}
    if nginx_root:
        # The same bytes, plain and gzipped, as static files.
        for name, extra in (("big.json", {}), ("big.json.gz", {"Accept-Encoding": "gzip"})):
            status, _, body = request("GET", url, headers=dict(corgi, **extra))
            assert status == 200
            with open(os.path.join(nginx_root, name), "wb") as f:
                f.write(body)
        rows["nginx"] = {c: wrk(nginx_base + "/big.json", c, duration, {}) for c in (1, 16, 64)}
        rows["nginx, gzip"] = {c: wrk(nginx_base + "/big.json.gz", c, duration, {}) for c in (1, 16, 64)}
    results["packument"] = {"versions": versions, "rows": rows}


def figure_tarball(sys_, results, regs, nginx_root, nginx_base, duration):
    """(2) a 1 MiB tarball, against nginx serving the same file."""
    size = 1 << 20
    tgz = tarball("@bench/blob", "1.0.0", size)
    rows = {}
    for reg in regs:
        reg.publish("@bench/blob", "1.0.0", tgz)
        reg.make_public("@bench/blob")
        url = reg.base + "@bench/blob/-/blob-1.0.0.tgz"
        status, _, body = request("GET", url)
        assert status == 200 and body == tgz, (reg.label, status)
        rows[reg.label] = wrk(url, 16, duration, {})
    if nginx_root:
        with open(os.path.join(nginx_root, "blob-1.0.0.tgz"), "wb") as f:
            f.write(tgz)
        rows["nginx"] = wrk(nginx_base + "/blob-1.0.0.tgz", 16, duration, {})
    results["tarball"] = {"size": len(tgz), "rows": rows}


def static_copy(reg, names, nginx_root, nginx_base):
    """Writes what npm fetches for `names` from `reg` (abbreviated
    packuments, tarball URLs pointed at nginx, and the tarballs) as files
    under nginx's root: an install from them is npm's own floor."""
    for name in names:
        status, _, body = request("GET", reg.base + name.replace("/", "%2f"), None,
                                  {"Accept": "application/vnd.npm.install-v1+json"})
        assert status == 200, (name, status)
        doc = json.loads(body)
        for v in doc["versions"].values():
            url = v["dist"]["tarball"]
            file = url.rsplit("/", 1)[1]
            status, _, tgz = request("GET", url, None, {})
            assert status == 200, (url, status)
            os.makedirs(os.path.join(nginx_root, "tarballs", name), exist_ok=True)
            with open(os.path.join(nginx_root, "tarballs", name, file), "wb") as f:
                f.write(tgz)
            v["dist"]["tarball"] = f"{nginx_base}/tarballs/{name}/{file}"
        # npm asks for `/@scope%2fname`; nginx decodes it to `/@scope/name`.
        path = os.path.join(nginx_root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(doc, f)


FLOOR = "nginx (static files: npm's floor)"


class StaticRegistry:
    """nginx serving another registry's files: a registry with no work."""
    def __init__(self, base):
        self.label = FLOOR
        self.base = base + "/"
        self.token = ""

    def publish(self, *args, **kw):
        pass

    def make_public(self, name):
        pass


def figure_install(sys_, results, regs, work, nginx_root=None, nginx_base=None):
    """(3) `npm install` of 50 dependencies from a cold cache: public
    packages read anonymously, and private ones read with a token. With
    nginx, the same install from static copies of Entrepot's answers shows
    how much of the time is npm's own."""
    count = 5 if sys_.args.quick else 50
    runs = 1 if sys_.args.quick else 5
    variants = {}
    for variant, public in (("public, anonymous", True), ("with a token", False)):
        prefix = "dep" if public else "priv"
        rows = {}
        targets = list(regs)
        if public and nginx_root:
            targets.append(StaticRegistry(nginx_base))
        for reg in targets:
            for i in range(count):
                reg.publish(f"@bench/{prefix}-{i}", "1.0.0", tarball(f"@bench/{prefix}-{i}", "1.0.0"))
                if public:
                    reg.make_public(f"@bench/{prefix}-{i}")
            if isinstance(reg, StaticRegistry):
                static_copy(regs[0], [f"@bench/{prefix}-{i}" for i in range(count)], nginx_root, nginx_base)
            project = os.path.join(work, f"project-{prefix}-{reg.label.split()[0].lower()}")
            os.makedirs(project)
            deps = {f"@bench/{prefix}-{i}": "^1.0.0" for i in range(count)}
            with open(os.path.join(project, "package.json"), "w") as f:
                json.dump({"name": "bench-app", "version": "1.0.0", "private": True, "dependencies": deps}, f)
            auth = "" if public or not reg.token else f"//{reg.base.split('://', 1)[1]}:_authToken={reg.token}\n"
            with open(os.path.join(project, ".npmrc"), "w") as f:
                f.write(f"@bench:registry={reg.base}\n{auth}audit=false\nfund=false\nupdate-notifier=false\n")
            export = os.path.join(project, "hyperfine.json")
            cmd = ["hyperfine", "--runs", str(runs), "--warmup", "0" if sys_.args.quick else "1", "--export-json", export,
                   "--prepare", "rm -rf node_modules package-lock.json cache",
                   "npm install --cache cache --no-audit --no-fund --loglevel=error"]
            COMMANDS.append(" ".join(repr(c) if " " in c else c for c in cmd)
                            + f"   (in a project with {count} {variant} @bench deps)")
            run(cmd, cwd=project, env=dict(os.environ, NPM_CONFIG_USERCONFIG=os.path.join(project, ".npmrc")))
            result = json.load(open(export))["results"][0]
            rows[reg.label] = {"mean": result["mean"], "stddev": result.get("stddev") or 0.0}
        variants[variant] = rows
    results["install"] = {"count": count, "runs": runs, "variants": variants}


def figure_publish(sys_, results, regs):
    """(4) publish throughput with 8 concurrent publishers."""
    per = 2 if sys_.args.quick else 25
    rows = {}
    for reg in regs:
        docs = [[(f"@bench/pub-{t}", f"1.0.{i}", tarball(f"@bench/pub-{t}", f"1.0.{i}")) for i in range(per)]
                for t in range(8)]
        def publisher(batch):
            for name, version, tgz in batch:
                reg.publish(name, version, tgz)
        start = time.time()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(publisher, docs))
        elapsed = time.time() - start
        rows[reg.label] = {"count": 8 * per, "seconds": elapsed, "per_second": 8 * per / elapsed}
    results["publish"] = {"rows": rows}


def oci_put_layer(base, repo, path, digest, auth):
    headers = ["-H", auth] if auth else []
    status, h, _ = request("POST", f"{base}/v2/{repo}/blobs/uploads/", b"",
                           {"Authorization": auth.split(": ", 1)[1]} if auth else {})
    assert status == 202, status
    location = h["location"]
    if location.startswith("/"):
        location = base + location
    sep = "&" if "?" in location else "?"
    _, up = curl_speed(headers + ["-X", "PUT", "-T", path, "-H", "Content-Type: application/octet-stream",
                                  "-o", "/dev/null", f"{location}{sep}digest={digest}"])
    return up


def figure_oci(sys_, results, entrepot, distribution, nginx_root, nginx_base, work, duration):
    """(5) push and pull of a large layer; manifest GET req/s."""
    size = (8 if sys_.args.quick else 256) << 20
    repeats = 1 if sys_.args.quick else 5
    layer = os.path.join(work, "layer.bin")
    with open(layer, "wb") as f:
        for _ in range(size >> 20):
            f.write(os.urandom(1 << 20))
    h = hashlib.sha256()
    with open(layer, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    digest = "sha256:" + h.hexdigest()
    config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": digest, "size": size}],
    }).encode()
    targets = [("Entrepot", entrepot[0], entrepot[1], "bench/layer", entrepot[2])]
    if distribution:
        targets.append(("Distribution 2.8", distribution[0], distribution[1], "bench/layer", None))
    rows = {}
    for label, pid, base, repo, auth in targets:
        auth_header = f"Authorization: {auth}" if auth else None
        hdrs = {"Authorization": auth} if auth else {}
        # Each transfer is repeated and the median kept: one 256 MiB
        # transfer lasts a fraction of a second, and this machine is shared.
        with PeakRss(pid) as peak:
            push = statistics.median(oci_put_layer(base, repo, layer, digest, auth_header)
                                     for _ in range(repeats))
            down = statistics.median(
                curl_speed((["-H", auth_header] if auth else []) + ["-o", "/dev/null", f"{base}/v2/{repo}/blobs/{digest}"])[0]
                for _ in range(repeats))
        octet = dict(hdrs, **{"Content-Type": "application/octet-stream"})
        status, h2, _ = request("POST", f"{base}/v2/{repo}/blobs/uploads/?digest={config_digest}", config, octet)
        if status == 202:  # no single-POST upload: PUT to the session it opened
            loc = h2["location"] if h2["location"].startswith("http") else base + h2["location"]
            sep = "&" if "?" in loc else "?"
            status, _, _ = request("PUT", f"{loc}{sep}digest={config_digest}", config, octet)
        assert status == 201, (label, "config upload", status)
        status, _, body = request("PUT", f"{base}/v2/{repo}/manifests/v1", manifest,
                                  dict(hdrs, **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}))
        assert status == 201, (label, status, body[:200])
        accept = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
        with PeakRss(pid) as manifest_peak:
            get = wrk(f"{base}/v2/{repo}/manifests/v1", 16, duration, dict(hdrs, **accept))
        rows[label] = {"push": push, "pull": down, "manifest_rps": get["rps"], "rss": max(peak.peak, manifest_peak.peak)}
    if nginx_root:
        shutil.copy(layer, os.path.join(nginx_root, "layer.bin"))
        down = statistics.median(curl_speed(["-o", "/dev/null", f"{nginx_base}/layer.bin"])[0]
                                 for _ in range(repeats))
        rows["nginx"] = {"pull": down}
    results["oci"] = {"size": size, "rows": rows, "repeats": repeats}
    if distribution:
        results["oci"]["proxy"] = figure_oci_proxy(sys_, entrepot, distribution, layer, size, repeats)
    os.remove(layer)


def figure_oci_proxy(sys_, entrepot, distribution, layer, size, repeats):
    """(5b) the pull-through cache: Distribution as Entrepot's container
    upstream `dist`. Each run is a layer never pulled before, pushed to
    Distribution alone, then pulled from Distribution directly and through
    Entrepot (cold: streamed while it is stored; who goes first
    alternates), and through Entrepot again (warm: from its copy)."""
    run([sys_.args.binary, "admin", "upstream", "add", "dist", "--format", "container",
         "--url", distribution[1] + "/"], cwd=sys_.entrepot_dir)
    auth = ["-H", f"Authorization: {entrepot[2]}"] if entrepot[2] else []
    pulls = {"direct": [], "cold": [], "warm": []}
    for i in range(repeats):
        h = hashlib.sha256()
        with open(layer, "wb") as f:
            for _ in range(size >> 20):
                chunk = os.urandom(1 << 20)
                h.update(chunk)
                f.write(chunk)
        digest = "sha256:" + h.hexdigest()
        oci_put_layer(distribution[1], "bench/cold", layer, digest, None)
        urls = {"direct": (f"{distribution[1]}/v2/bench/cold/blobs/{digest}", []),
                "cold": (f"{entrepot[1]}/v2/dist/bench/cold/blobs/{digest}", auth)}
        for key in (list(urls) if i % 2 == 0 else list(reversed(urls))):
            url, extra = urls[key]
            pulls[key].append(curl_speed(extra + ["-o", "/dev/null", url])[0])
        pulls["warm"].append(curl_speed(auth + ["-o", "/dev/null", urls["cold"][0]])[0])
    return {key: statistics.median(xs) for key, xs in pulls.items()}


SEARCH_WORDS = ["parser", "logger", "client", "server", "cache", "stream", "codec", "router"]


def figure_rest(sys_, results, duration):
    """(6) REST listing, web search and the owner's web page as the number
    of packages grows (each package with a description, one of eight words
    in it, so a search matches an eighth of them)."""
    db = os.path.join(sys_.entrepot_dir, "entrepot-data", "entrepot.db")
    steps = [100, 1000] if sys_.args.quick else [1000, 10000, 100000]
    conn = sqlite3.connect(db, timeout=30)
    owner = conn.execute("SELECT id FROM accounts WHERE login = 'bench'").fetchone()[0]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    have = conn.execute("SELECT COUNT(*) FROM packages WHERE owner_id = ? AND package_type = 'npm'", (owner,)).fetchone()[0]
    rows = {}
    headers = {"Authorization": f"Bearer {sys_.entrepot_token}", "Accept": "application/vnd.github+json"}
    url = sys_.entrepot_base + "/api/v3/user/packages?package_type=npm&per_page=100"
    pages = {"search": "/search?q=parser", "owner page": "/bench"}
    web = {label: {} for label in pages}
    for target in steps:
        batch = [(owner, f"rest-{i}", f"a {SEARCH_WORDS[i % len(SEARCH_WORDS)]} for bench number {i}", now, now)
                 for i in range(have, target)]
        conn.executemany("INSERT INTO packages (owner_id, package_type, name, description, visibility, "
                         "inherit_access, created_at, updated_at) VALUES (?, 'npm', ?, ?, 'private', 1, ?, ?)", batch)
        conn.commit()
        have = max(have, target)
        status, _, _ = request("GET", url, headers=headers)
        assert status == 200, status
        rows[target] = wrk(url, 1, duration, headers)
        for label, path in pages.items():
            page_headers = {"Authorization": headers["Authorization"]}
            status, _, body = request("GET", sys_.entrepot_base + path, headers=page_headers)
            assert status == 200, (label, status, body[:300])
            web[label][target] = wrk(sys_.entrepot_base + path, 1, duration, page_headers)
    conn.close()
    results["rest"] = {"rows": rows, "web": web}


def figure_package_page(sys_, results, duration):
    """(9) A package's web page, and its all-versions page, with 5,000
    versions and a year of downloads: the server's time, one connection."""
    count = 60 if sys_.args.quick else 5000
    reg = NpmRegistry("Entrepot", sys_.entrepot_base + "/npm/", sys_.entrepot_token, None)
    name = "@bench/many"
    reg.publish(name, "0.0.0", tarball(name, "0.0.0"))
    db = os.path.join(sys_.entrepot_dir, "entrepot-data", "entrepot.db")
    conn = sqlite3.connect(db, timeout=30)
    package, metadata, publisher = conn.execute(
        "SELECT v.package_id, v.metadata, v.publisher_id FROM versions v JOIN packages p ON p.id = v.package_id "
        "WHERE p.name = 'many' AND v.name = '0.0.0'").fetchone()
    start = datetime(2022, 1, 1, tzinfo=timezone.utc).timestamp()
    stamp = lambda i: datetime.fromtimestamp(start + i * 3600, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    conn.executemany(
        "INSERT INTO versions (package_id, name, metadata, publisher_id, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [(package, f"1.{i // 100}.{i % 100}", metadata, publisher, stamp(i), stamp(i)) for i in range(1, count)])
    ids = [r[0] for r in conn.execute("SELECT id FROM versions WHERE package_id = ? ORDER BY id DESC LIMIT 30",
                                      (package,))]
    today = datetime.now(timezone.utc).date().toordinal()
    conn.executemany("INSERT OR IGNORE INTO downloads (version_id, day, count) VALUES (?, ?, ?)",
                     [(v, datetime.fromordinal(today - d).strftime("%Y-%m-%d"), 1 + (d * v) % 7)
                      for v in ids for d in range(365)])
    conn.commit()
    conn.close()
    headers = {"Authorization": f"Bearer {sys_.entrepot_token}"}
    rows = {}
    for label, path in (("package page", "/users/bench/packages/npm/package/many"),
                        ("all versions, page 1", "/users/bench/packages/npm/many/versions"),
                        ("all versions, last page", f"/users/bench/packages/npm/many/versions?page={-(-count // 50)}")):
        url = sys_.entrepot_base + path
        status, _, body = request("GET", url, headers=headers)
        assert status == 200, (status, body[:300])
        rows[label] = wrk(url, 1, duration, headers)
    results["package_page"] = {"versions": count, "rows": rows}


def loadgen_binary(args):
    """The mixed load's sender (bench/loadgen), built beside the binary."""
    folder = os.path.dirname(args.binary)
    path = os.path.join(folder, "entrepot-loadgen")
    if not os.path.exists(path):
        profile = ["--release"] if os.path.basename(folder) == "release" else []
        subprocess.run(["cargo", "build", "--locked", "-p", "entrepot-loadgen"] + profile, check=True, cwd=ROOT)
    return path


def pinned(pid, cpus):
    """Moves every thread of a process to `cpus` (taskset), if it can."""
    if shutil.which("taskset"):
        subprocess.run(["taskset", "-a", "-p", "-c", cpus, str(pid)], check=False, capture_output=True)


def sql(database, statement):
    """Runs one statement on the bench's SQLite file or PostgreSQL URL; the
    first column of the first row, if any."""
    if database.startswith("postgres"):
        out = run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", statement, database]).stdout
        return out.strip().splitlines()[0] if out.strip() else None
    conn = sqlite3.connect(database, timeout=30)
    try:
        with conn:
            row = conn.execute(statement).fetchone()
        return row[0] if row else None
    finally:
        conn.close()


def mixed_setup(base, token, database, work, duration):
    """What the mixed load reads and writes, made through `base`: the
    plan's kinds, and how many packages a listing pages through."""
    reg = NpmRegistry("Entrepot", base + "/npm/", token, None)
    names = [f"@bench/mix-{i}" for i in range(20)]
    for name in names:
        for v in range(5):
            reg.publish(name, f"1.0.{v}", tarball(name, f"1.0.{v}"))
        reg.make_public(name)
    reg.publish("@bench/mixblob", "1.0.0", tarball("@bench/mixblob", "1.0.0", 1 << 20))
    reg.make_public("@bench/mixblob")
    # The listing needs at least a page: figure 6, when it ran, left 100,000.
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    have = int(sql(database, "SELECT COUNT(*) FROM packages p JOIN accounts a ON a.id = p.owner_id "
                             "WHERE a.login = 'bench' AND p.package_type = 'npm'"))
    if have < 1000:
        sql(database, f"WITH RECURSIVE s(n) AS (SELECT {have} UNION ALL SELECT n + 1 FROM s WHERE n + 1 < 1000) "
                      "INSERT INTO packages (owner_id, package_type, name, description, visibility, created_at, "
                      f"updated_at) SELECT a.id, 'npm', 'mixlist-' || s.n, 'mixed', 'private', '{now}', '{now}' "
                      "FROM accounts a CROSS JOIN s WHERE a.login = 'bench'")
    layer = os.urandom(8 << 20)
    digest = "sha256:" + hashlib.sha256(layer).hexdigest()
    path = os.path.join(work, "mix-layer.bin")
    with open(path, "wb") as f:
        f.write(layer)
    basic = "Basic " + base64.b64encode(f"bench:{token}".encode()).decode()
    oci_put_layer(base, "bench/mix", path, digest, f"Authorization: {basic}")
    os.remove(path)
    rate = 3
    bodies = []
    folder = os.path.join(work, f"mix-publishes-{free_port()}")
    os.makedirs(folder)
    for i in range(int(rate * duration) + rate * 5):
        body = os.path.join(folder, f"{i}.json")
        with open(body, "wb") as f:
            f.write(publish_doc("@bench/mixpub", f"2.0.{i}", tarball("@bench/mixpub", f"2.0.{i}")))
        bodies.append(body)
    bearer = {"Authorization": f"Bearer {token}"}
    kinds = [
        {"name": "packument", "weight": 60, "paths": [f"/npm/{n.replace('/', '%2f')}" for n in names],
         "headers": {"Accept": "application/vnd.npm.install-v1+json", "Accept-Encoding": "gzip"}},
        {"name": "tarball", "weight": 15, "paths": ["/npm/@bench/mixblob/-/mixblob-1.0.0.tgz"]},
        {"name": "listing", "weight": 15, "paths": ["/api/v3/user/packages?package_type=npm&per_page=100"],
         "headers": dict(bearer, Accept="application/vnd.github+json")},
        {"name": "blob", "weight": 2, "paths": [f"/v2/bench/mix/blobs/{digest}"],
         "headers": {"Authorization": basic}},
        {"name": "publish", "method": "PUT", "per_second": rate, "status": 201,
         "paths": ["/npm/@bench%2fmixpub"], "bodies": bodies,
         "headers": dict(bearer, **{"Content-Type": "application/json"})},
    ]
    return kinds, max(have, 1000), folder


def cpu_seconds(pids):
    """User and system CPU seconds the processes used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def mixed_run(sys_, kinds, bases, pinned_pids, duration, work, watched=None):
    """Sends the mixed load with bench/loadgen pinned to CPU 1 and
    `pinned_pids` to CPU 0; the figures by kind, and the CPU seconds per
    second each of `watched` (label: pids) used."""
    plan = os.path.join(work, f"mix-plan-{free_port()}.json")
    with open(plan, "w") as f:
        json.dump({"base": bases, "connections": 64, "duration_secs": duration, "kinds": kinds}, f)
    sender = loadgen_binary(sys_.args)
    COMMANDS.append(f"taskset -c 1 bench/loadgen (64 connections, {duration} s, {len(bases)} node(s); "
                    "the plan in bench.py mixed_setup)")
    for pid in pinned_pids:
        pinned(pid, "0")
    watched = watched or {}
    before = {label: cpu_seconds(pids) for label, pids in watched.items()}
    began = time.monotonic()
    try:
        with PeakRss(pinned_pids[0]) as peak:
            out = run((["taskset", "-c", "1"] if shutil.which("taskset") else []) + [sender, plan]).stdout
    finally:
        for pid in pinned_pids:
            pinned(pid, "0-1023")
    elapsed = time.monotonic() - began
    cpu = {label: (cpu_seconds(pids) - before[label]) / elapsed for label, pids in watched.items()}
    figures = json.loads(out)
    for name, x in figures["kinds"].items():
        if x["errors"]:
            raise SystemExit(f"mixed load: {x['errors']} failed {name} requests, first: {x['first_error']}")
    return figures, peak.peak, cpu


def figure_mixed(sys_, results, work, duration):
    """(10) 64 connections mixing cached packuments, 1 MiB tarballs, REST
    listings of 100 packages and 8 MiB blob pulls, with three publishes a
    second beside them, for minutes; each kind's latency apart. The sender
    runs on a core of its own, the server on the other."""
    db = os.path.join(sys_.entrepot_dir, "entrepot-data", "entrepot.db")
    kinds, listed, folder = mixed_setup(sys_.entrepot_base, sys_.entrepot_token, db, work, duration)
    figures, rss, _ = mixed_run(sys_, kinds, sys_.entrepot_base, [sys_.entrepot_pid], duration, work)
    shutil.rmtree(folder, ignore_errors=True)
    results["mixed"] = {"duration": duration, "listed": listed, "rss": rss, **figures}


def postgres_pids():
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def figure_scale_out(sys_, results, work, duration):
    """(12) The mix of (10) on one node, then on two, on PostgreSQL
    (the machine's, 127.0.0.1:5432) and object storage (Garage when installed, else the S3 emulator): every server
    process pinned to CPU 0, the sender to CPU 1, and the CPU each one
    used, to name the limit."""
    name = f"entrepot_bench_{os.getpid()}"
    admin_url = "postgres://postgres@127.0.0.1:5432/postgres"
    run(["psql", "-X", "-q", "-c", f"CREATE DATABASE {name}", admin_url])
    url = f"postgres://postgres@127.0.0.1:5432/{name}"
    d = os.path.join(work, "scale-out")
    os.makedirs(d)
    # A real S3 server when Garage is installed (figure 13), else the emulator.
    if garage.binary():
        endpoint, access, secret, s3 = garage.start(sys_, os.path.join(d, "garage"))
        region, s3_label = garage.REGION, "Garage"
    else:
        s3_port = free_port()
        s3 = sys_.spawn(["moto_server", "-H", "127.0.0.1", "-p", str(s3_port)], os.path.join(d, "s3.log"))
        endpoint, access, secret, region, s3_label = f"http://127.0.0.1:{s3_port}", "bench", "bench", "us-east-1", "moto"
    try:
        if s3_label == "moto":
            wait_http(endpoint + "/", ok=(200, 403, 404))
            request("PUT", endpoint + "/bench")
        env = dict(os.environ, RUST_LOG="warn", AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret)
        shared = ["--database", url, "--blobs", f"s3://bench?endpoint={endpoint}&region={region}",
                  "--api-rate-limit", "1000000000"]
        nodes = []
        for i in range(2):
            node_dir = os.path.join(d, f"node-{i}")
            os.makedirs(node_dir)
            port = free_port()
            p = sys_.spawn([sys_.args.binary, "--listen", f"127.0.0.1:{port}"] + shared + ["serve"],
                           os.path.join(node_dir, "log"), cwd=node_dir, env=env)
            wait_http(f"http://127.0.0.1:{port}/healthz")
            nodes.append((p.pid, f"http://127.0.0.1:{port}"))
        binary = [sys_.args.binary, "--database", url]
        run(binary + ["admin", "user", "create", "bench"], cwd=d, env=env)
        token = run(binary + ["admin", "token", "create", "bench", "--scopes",
                              "read:packages,write:packages,delete:packages"], cwd=d, env=env).stdout.strip()
        kinds, listed, folder = mixed_setup(nodes[0][1], token, url, work, 4 * duration)
        rows = {}
        publish = next(k for k in kinds if k["name"] == "publish")
        bodies = publish["bodies"]
        quarter = len(bodies) // 4
        # The whole mix, then its metadata alone (no tarball or blob reads),
        # where the emulator's share leaves the database's in view.
        runs = [(1, "all"), (2, "all"), (1, "metadata"), (2, "metadata")]
        for i, (count, mix) in enumerate(runs):
            # Each run publishes versions of its own.
            publish["bodies"] = bodies[i * quarter:(i + 1) * quarter]
            sent = [k for k in kinds if mix == "all" or k["name"] not in ("tarball", "blob")]
            used = nodes[:count]
            pids = [pid for pid, _ in used]
            servers = postgres_pids() + [s3.pid]
            watched = {"Entrepot": pids, "PostgreSQL": postgres_pids(), "S3 server": [s3.pid]}
            figures, _, cpu = mixed_run(sys_, sent, [b for _, b in used], pids + servers, duration, work,
                                        watched)
            rows[f"{count} ({mix})"] = {**figures, "cpu": cpu}
        shutil.rmtree(folder, ignore_errors=True)
        results["scale_out"] = {"duration": duration, "listed": listed, "rows": rows, "s3": s3_label}
    finally:
        for pid, _ in locals().get("nodes", []):
            try:
                os.kill(pid, 15)
            except OSError:
                pass
        s3.terminate()
        time.sleep(0.5)
        subprocess.run(["psql", "-X", "-q", "-c", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", admin_url],
                       capture_output=True)


GROWTH_PATHS = [
    ("REST list of 100 packages", "/api/v3/users/seed-0/packages?package_type=npm&per_page=100"),
    ("REST package", "/api/v3/users/seed-0/packages/npm/pkg-0"),
    ("REST versions", "/api/v3/users/seed-0/packages/npm/pkg-0/versions"),
    ("npm packument", "/npm/@seed-0%2fpkg-0"),
    ("npm search `parser`", "/npm/-/v1/search?text=parser"),
    ("web owner page", "/seed-0"),
    ("web package page", "/users/seed-0/packages/npm/package/pkg-0"),
    ("web all versions", "/users/seed-0/packages/npm/pkg-0/versions"),
    ("web search `parser`", "/search?q=parser"),
    # Every seeded description says "for seeding": a page full at both
    # sizes (`parser` finds 12 packages among 100, so its small case
    # renders fewer rows than its large one).
    ("npm search `seeding`", "/npm/-/v1/search?text=seeding"),
    ("web search `seeding`", "/search?q=seeding"),
    ("npm search `pars` (start of a word)", "/npm/-/v1/search?text=pars"),
    ("web home page (every owner's packages)", "/"),
]


def figure_growth(sys_, results, duration):
    """(11) Every listing, search, index and page endpoint on one seeded
    owner's package, with 1,000 versions in the store (one owner of 100
    packages of 10), then with a million (1,000 owners): bench/seed.py
    makes them in SQL. Signed in as another user; the packages are public.
    On an Entrepot of its own: the other figures leave 100,000 packages."""
    sys_.entrepot("entrepot-growth")
    reg = NpmRegistry("Entrepot", sys_.entrepot_base + "/npm/", sys_.entrepot_token, None)
    reg.publish("@bench/seed-template", "1.0.0", tarball("@bench/seed-template", "1.0.0"))
    db = os.path.join(sys_.entrepot_dir, "entrepot-data", "entrepot.db")
    conn = sqlite3.connect(db, timeout=30)
    template = conn.execute("SELECT f.id FROM files f JOIN versions v ON v.id = f.version_id "
                            "JOIN packages p ON p.id = v.package_id WHERE p.name = 'seed-template'").fetchone()[0]
    conn.close()
    headers = {"Authorization": f"Bearer {sys_.entrepot_token}"}
    steps = [1, 10] if sys_.args.quick else [1, 1000]
    rows = {}
    for owners in steps:
        seed = [sys.executable, os.path.join(ROOT, "bench", "seed.py"), "--database", f"sqlite://{db}",
                "--owners", str(owners), "--template-file", str(template)]
        COMMANDS.append(" ".join(seed[1:]).replace(ROOT + "/", "").replace(db, "DATA/entrepot.db"))
        began = time.monotonic()
        run(seed)
        seeded = time.monotonic() - began
        for label, path in GROWTH_PATHS:
            url = sys_.entrepot_base + path
            status, _, body = request("GET", url, headers=headers)
            assert status == 200, (label, status, body[:300])
            rows.setdefault(label, {})[owners * 1000] = wrk(url, 1, duration, headers)
        results.setdefault("growth_seeding", {})[owners * 1000] = seeded
    results["growth"] = rows


def figure_big_upload(sys_, results, entrepot):
    """(7) Entrepot's memory while one 2 GiB layer streams in."""
    size = (64 if sys_.args.quick else 2048) << 20
    pid, base, auth = entrepot
    h = hashlib.sha256()
    zeros = b"\0" * (1 << 20)
    for _ in range(size >> 20):
        h.update(zeros)
    digest = "sha256:" + h.hexdigest()
    status, hd, _ = request("POST", f"{base}/v2/bench/big/blobs/uploads/", b"", {"Authorization": auth})
    location = base + hd["location"]
    idle = tree_rss_kib(pid)
    with PeakRss(pid) as peak:
        producer = subprocess.Popen(["head", "-c", str(size), "/dev/zero"], stdout=subprocess.PIPE)
        COMMANDS.append(f"head -c {size} /dev/zero | curl -X PUT -T - {location}?digest=…")
        out = subprocess.run(["curl", "-sS", "--fail", "-X", "PUT", "-T", "-", "-H", f"Authorization: {auth}",
                              "-H", "Content-Type: application/octet-stream", "-o", "/dev/null",
                              "-w", "%{speed_upload}", f"{location}?digest={digest}"],
                             stdin=producer.stdout, check=True, capture_output=True, text=True)
        producer.wait()
    results["big_upload"] = {"size": size, "idle": idle, "peak": peak.peak,
                             "mbs": float(out.stdout.split()[-1]) / 2**20}


def figure_proxy(sys_, results, work, duration, peers):
    """(8) the npm upstream proxy. An origin Verdaccio holds the packages;
    Entrepot has it as its default npm upstream, and (with peers) a second
    Verdaccio proxies to it as its uplink. Warm packument req/s and `npm
    install` through both proxies, and the cold fetch of a large tarball
    through Entrepot against fetching it from the origin directly (each run
    a package never fetched before, so that Entrepot's copy is truly cold)."""
    quick = sys_.args.quick
    n_versions = 20 if quick else 200
    count = 5 if quick else 50
    runs = 1 if quick else 5
    cold_runs = 2 if quick else 8
    cold_size = (1 if quick else 32) << 20

    o_proc, o_base, o_token = sys_.verdaccio("verdaccio-origin", max_body_size="200mb")
    origin = NpmRegistry("origin", o_base + "/", o_token, o_proc.pid)
    # Unscoped names: Entrepot passes them to its default npm upstream.
    for i in range(n_versions):
        origin.publish("bench-big", f"1.0.{i}", tarball("bench-big", f"1.0.{i}"))
    for i in range(count):
        origin.publish(f"bench-dep-{i}", "1.0.0", tarball(f"bench-dep-{i}", "1.0.0"))
    cold = {}
    for i in range(cold_runs):
        tgz = tarball(f"bench-cold-{i}", "1.0.0", cold_size)
        origin.publish(f"bench-cold-{i}", "1.0.0", tgz)
        cold[f"bench-cold-{i}"] = (len(tgz), hashlib.sha1(tgz).hexdigest())
        del tgz

    run([sys_.args.binary, "admin", "upstream", "add", "origin", "--format", "npm", "--url", o_base + "/",
         "--default", "--metadata-ttl", "10m"], cwd=sys_.entrepot_dir)
    proxies = [NpmRegistry("Entrepot", sys_.entrepot_base + "/npm/", "", sys_.entrepot_pid)]
    if peers:
        v_proc, v_base, _ = sys_.verdaccio("verdaccio-proxy", uplink=o_base + "/")
        proxies.append(NpmRegistry("Verdaccio 6.8", v_base + "/", "", v_proc.pid))

    # (a) the packument of a package with 200 versions, each proxy warm.
    headers = {"Accept": "application/vnd.npm.install-v1+json"}
    packument = {}
    for reg in proxies:
        url = reg.base + "bench-big"
        status, h, body = request("GET", url, headers=headers)  # warms the proxy's copy
        assert status == 200 and len(json.loads(body)["versions"]) == n_versions, (reg.label, status)
        if reg.label == "Entrepot":
            assert h.get("x-entrepot-upstream") == "origin", h
        packument[reg.label] = {"bytes": len(body), "type": h.get("content-type", "").split(";")[0]}
        with PeakRss(reg.pid) as peak:
            for c in (1, 16, 64):
                packument[reg.label][c] = wrk(url, c, duration, headers)
        packument[reg.label]["rss"] = peak.peak

    # (b) `npm install` of `count` dependencies: a cold client cache, the
    # proxy's copies warm (one install through it first).
    install = {}
    for reg in proxies:
        project = os.path.join(work, f"project-proxy-{reg.label.split()[0].lower()}")
        os.makedirs(project)
        deps = {f"bench-dep-{i}": "^1.0.0" for i in range(count)}
        with open(os.path.join(project, "package.json"), "w") as f:
            json.dump({"name": "bench-app", "version": "1.0.0", "private": True, "dependencies": deps}, f)
        with open(os.path.join(project, ".npmrc"), "w") as f:
            f.write(f"registry={reg.base}\naudit=false\nfund=false\nupdate-notifier=false\n")
        env = dict(os.environ, NPM_CONFIG_USERCONFIG=os.path.join(project, ".npmrc"))
        npm = "npm install --cache cache --no-audit --no-fund --loglevel=error"
        run(["sh", "-c", npm], cwd=project, env=env)  # warms the proxy
        lock = json.load(open(os.path.join(project, "package-lock.json")))
        resolved = [v.get("resolved", "") for k, v in lock["packages"].items() if k]
        assert len(resolved) == count and all(r.startswith(reg.base) for r in resolved), (reg.label, resolved[:2])
        export = os.path.join(project, "hyperfine.json")
        cmd = ["hyperfine", "--runs", str(runs), "--warmup", "0" if quick else "1", "--export-json", export,
               "--prepare", "rm -rf node_modules package-lock.json cache", npm]
        COMMANDS.append(" ".join(repr(c) if " " in c else c for c in cmd)
                        + f"   (in a project with {count} deps from registry={reg.base})")
        run(cmd, cwd=project, env=env)
        result = json.load(open(export))["results"][0]
        install[reg.label] = {"mean": result["mean"], "stddev": result.get("stddev") or 0.0,
                              "median": result["median"]}

    # (c) a large tarball never fetched before: through Entrepot (streamed
    # from the origin while it is stored), and directly from the origin;
    # then again through Entrepot, from its copy. Each run is another
    # package, and who goes first alternates.
    def tarball_url(base, name):
        status, _, body = request("GET", base + name, headers=headers)
        assert status == 200, (base, name, status)
        return json.loads(body)["versions"]["1.0.0"]["dist"]["tarball"]
    fetches = {"direct": [], "cold": [], "warm": []}
    if peers:
        fetches["verdaccio"] = []
    for i, (name, (size, sha1)) in enumerate(cold.items()):
        # Each proxy has the packument already, as after npm's first request.
        urls = {"direct": tarball_url(o_base + "/", name), "cold": tarball_url(proxies[0].base, name)}
        if peers:
            urls["verdaccio"] = tarball_url(proxies[1].base, name)
        assert urls["cold"].startswith(sys_.entrepot_base + "/npm/"), urls["cold"]
        order = list(urls) if i % 2 == 0 else list(reversed(urls))
        for key in order:
            x = curl_fetch(urls[key])
            assert x["size"] == size, (key, x, size)
            fetches[key].append(x)
        x = curl_fetch(urls["cold"])
        assert x["size"] == size, ("warm", x, size)
        fetches["warm"].append(x)
        status, _, body = request("GET", urls["cold"])
        assert status == 200 and hashlib.sha1(body).hexdigest() == sha1, (name, status)
    cold_rows = {key: {"total": statistics.median(x["total"] for x in xs),
                       "first": statistics.median(x["first"] for x in xs),
                       "all": [x["total"] for x in xs]}
                 for key, xs in fetches.items()}
    results["proxy"] = {"versions": n_versions, "packument": packument, "count": count, "runs": runs,
                        "install": install, "cold_size": cold_size, "cold_runs": cold_runs, "cold": cold_rows}


# ---------------------------------------------------------------- report

def versions(args):
    def first_line(cmd):
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
            return (r.stdout or r.stderr).strip().splitlines()[0]
        except (OSError, IndexError, subprocess.TimeoutExpired):
            return "not installed"
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "0")
    rev = first_line(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"])
    return {
        "machine": f"{os.cpu_count()} cores ({cpu}), {int(mem) // 1024 // 1024} GiB, Linux {os.uname().release}",
        "entrepot": f"{first_line([args.binary, '--version'])} (commit {rev}, {'debug' if args.quick else 'release'} build)",
        "verdaccio": "verdaccio 6.8.0" if os.path.exists("/opt/verdaccio-peer") else "not installed",
        "distribution": first_line(["docker-registry", "--version"]),
        "nginx": first_line(["nginx", "-v"]),
        "wrk": first_line(["wrk", "-v"]),
        "hyperfine": first_line(["hyperfine", "--version"]),
        "node": f"node {first_line(['node', '--version'])}, npm {first_line(['npm', '--version'])}",
    }


def ratio(ours, theirs, higher_is_better=True):
    if not theirs or not ours:
        return "–"
    r = ours / theirs if higher_is_better else theirs / ours
    return f"{r:.2f}×"


def report(args, results, info, started):
    out = []
    w = out.append
    w("# Benchmarks\n")
    w(f"Written by `bench/run{' --quick' if args.quick else ''}` on {started} "
      f"(the run took {time.time() - started_clock:.0f} s). Every system ran on loopback on the same "
      "machine, with its state in a fresh temporary folder, and got the same data. Ratios are "
      "Entrepot's advantage: above 1× Entrepot is better.\n")
    if args.quick:
        w("**Quick mode**: tiny data and a second per figure, Entrepot alone (debug build; "
          "figure 8's origin is a Verdaccio). "
          "These numbers only show that every figure runs; see a full run for comparisons.\n")
    w("## Machine and versions\n")
    for k, v in info.items():
        w(f"- {k}: {v}")
    w("")
    if "packument" in results:
        r = results["packument"]
        w(f"## 1. Abbreviated packument, {r['versions']} versions (public package; anonymous unless the row says)\n")
        w("| system | connections | req/s | p50 ms | p99 ms | peak RSS |")
        w("| --- | --- | --- | --- | --- | --- |")
        for label, rows in r["rows"].items():
            for c in (1, 16, 64):
                x = rows[c]
                rss = mib(rows['rss']) if c == 64 and 'rss' in rows else ''
                w(f"| {label} | {c} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} | {rss} |")
        if "nginx" in r["rows"]:
            n, g = r["rows"]["nginx"], r["rows"]["nginx, gzip"]
            w("")
            for label, other in (("Entrepot", n), ("Entrepot, with a token", n), ("Entrepot, gzip", g)):
                x = r["rows"][label]
                w(f"- {label}: " + ", ".join(f"{x[c]['rps'] / other[c]['rps'] * 100:.0f} % of nginx's req/s "
                                             f"at {c} connections" for c in (1, 16, 64)) + ".")
        if "Verdaccio 6.8" in r["rows"]:
            e, v = r["rows"]["Entrepot"], r["rows"]["Verdaccio 6.8"]
            w("")
            for c in (1, 16, 64):
                w(f"- {c} connections: Entrepot serves {ratio(e[c]['rps'], v[c]['rps'])} Verdaccio's req/s; "
                  f"p99 {ratio(e[c]['p99'], v[c]['p99'], False)} better.")
        w("")
    if "tarball" in results:
        r = results["tarball"]
        w(f"## 2. Tarball download ({r['size'] / 2**20:.2f} MiB, anonymous), 16 connections\n")
        w("| system | req/s | MB/s | ratio (Entrepot ÷ system) |")
        w("| --- | --- | --- | --- |")
        e = r["rows"]["Entrepot"]
        for label, x in r["rows"].items():
            w(f"| {label} | {x['rps']:.0f} | {x['mbs']:.0f} | {ratio(e['rps'], x['rps']) if label != 'Entrepot' else ''} |")
        w("")
    if "install" in results:
        r = results["install"]
        w(f"## 3. `npm install` of {r['count']} dependencies, cold cache ({r['runs']} runs)\n")
        w("| dependencies | system | mean s | ± | ratio |")
        w("| --- | --- | --- | --- | --- |")
        for variant, rows in r["variants"].items():
            e = rows["Entrepot"]
            for label, x in rows.items():
                w(f"| {variant} | {label} | {x['mean']:.2f} | {x['stddev']:.2f} | "
                  f"{ratio(e['mean'], x['mean'], False) if label != 'Entrepot' else ''} |")
        w("")
        floor = r["variants"].get("public, anonymous", {}).get(FLOOR)
        if floor:
            e = r["variants"]["public, anonymous"]["Entrepot"]["mean"]
            w(f"The nginx row is the same install from static copies of Entrepot's packuments and tarballs: "
              f"npm's own floor, {floor['mean']:.2f} s, of which Entrepot adds {max(e - floor['mean'], 0) * 1000:.0f} ms.")
        w("With a token, Verdaccio checks the user's bcrypt password hash on every request.\n")
    if "publish" in results:
        r = results["publish"]
        w("## 4. Publishing with 8 concurrent publishers\n")
        w("| system | publishes | seconds | publishes/s | ratio |")
        w("| --- | --- | --- | --- | --- |")
        e = r["rows"]["Entrepot"]
        for label, x in r["rows"].items():
            w(f"| {label} | {x['count']} | {x['seconds']:.2f} | {x['per_second']:.1f} | {ratio(e['per_second'], x['per_second']) if label != 'Entrepot' else ''} |")
        w("")
    if "oci" in results:
        r = results["oci"]
        w(f"## 5. OCI: a {r['size'] >> 20} MiB layer (median of {r.get('repeats', 1)} pushes and pulls), and manifest GETs (16 connections)\n")
        w("| system | push MB/s | pull MB/s | manifest req/s | peak RSS |")
        w("| --- | --- | --- | --- | --- |")
        for label, x in r["rows"].items():
            w(f"| {label} | {x.get('push', 0):.0f} | {x['pull']:.0f} | {x.get('manifest_rps', 0):.0f} | {mib(x['rss']) if 'rss' in x else ''} |")
        rows = r["rows"]
        if "Distribution 2.8" in rows:
            e, d = rows["Entrepot"], rows["Distribution 2.8"]
            w("")
            w(f"- push: {ratio(e['push'], d['push'])} Distribution; pull: {ratio(e['pull'], d['pull'])} Distribution; "
              f"manifest GETs: {ratio(e['manifest_rps'], d['manifest_rps'])} Distribution.")
        if "nginx" in rows:
            w(f"- pull is {rows['Entrepot']['pull'] / rows['nginx']['pull'] * 100:.0f} % of nginx's.")
        if "proxy" in r:
            p, own = r["proxy"], rows["Entrepot"]["pull"]
            w(f"- through the pull-through cache (Distribution as the upstream, a layer never pulled before each "
              f"run): cold {p['cold']:.0f} MB/s, {ratio(p['cold'], p['direct'])} Distribution directly "
              f"({p['direct']:.0f} MB/s); warm {p['warm']:.0f} MB/s, {p['warm'] / own * 100:.0f} % of "
              f"Entrepot's own pull.")
        w("")
    if "rest" in results:
        r = results["rest"]
        w("## 6. REST `GET /user/packages?package_type=npm&per_page=100`, one connection\n")
        w("| packages stored | req/s | p50 ms | p99 ms |")
        w("| --- | --- | --- | --- |")
        for n, x in r["rows"].items():
            w(f"| {n} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} |")
        ns = list(r["rows"])
        w(f"\n- p50 grows {r['rows'][ns[-1]]['p50'] / r['rows'][ns[0]]['p50']:.2f}× from {ns[0]} to {ns[-1]} packages.\n")
        for label, by_size in r.get("web", {}).items():
            w(f"Web: {label} (`{'/search?q=parser' if label == 'search' else '/bench'}`), signed in as the owner:\n")
            w("| packages stored | req/s | p50 ms | p99 ms |")
            w("| --- | --- | --- | --- |")
            for n, x in by_size.items():
                w(f"| {n} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} |")
            w("")
    if "package_page" in results:
        r = results["package_page"]
        w(f"## 9. Web pages of a package with {r['versions']:,} versions and a year of downloads, one connection\n")
        w("| page | req/s | p50 ms | p99 ms |")
        w("| --- | --- | --- | --- |")
        for label, x in r["rows"].items():
            w(f"| {label} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} |")
        w("")
    if "mixed" in results:
        r = results["mixed"]
        w(f"## 10. Mixed load: 64 connections for {r['duration']} s, the sender pinned to one core and "
          "Entrepot to the other\n")
        w("Cached packuments (gzip), 1 MiB tarballs, REST listings of 100 of the owner's "
          f"{r['listed']:,} npm packages and 8 MiB blob pulls share the connections (60:15:15:2); "
          "publishes are sent beside them, three a second.\n")
        w("| kind | req/s | MB/s | p50 ms | p90 ms | p99 ms |")
        w("| --- | --- | --- | --- | --- | --- |")
        for name, x in r["kinds"].items():
            w(f"| {name} | {x['per_second']:.0f} | {x['mb_per_second']:.0f} | {x['p50_ms']:.2f} | "
              f"{x['p90_ms']:.2f} | {x['p99_ms']:.2f} |")
        total = sum(x["per_second"] for x in r["kinds"].values())
        w(f"\nIn all {total:.0f} req/s; Entrepot's peak RSS {mib(r['rss'])}.\n")
    if "scale_out" in results:
        r = results["scale_out"]
        w(f"## 12. Scale-out: the mix of (10) on one node and on two, {r['duration']} s each\n")
        s3 = {"moto": "the S3 emulator (moto)", "Garage": "a Garage (figure 13)"}[r.get("s3", "moto")]
        w(f"The nodes share the machine's PostgreSQL and {s3}; the nodes, PostgreSQL "
          "and the S3 server are pinned to CPU 0, the sender to CPU 1, which sends each connection to one "
          f"node in turn. The listing pages through {r['listed']:,} packages.\n")
        w("| nodes (mix) | all req/s | packument p99 ms | tarball p99 ms | listing p99 ms | blob p99 ms | "
          f"publish p99 ms | CPU: Entrepot | CPU: PostgreSQL | CPU: {r.get('s3', 'moto')} |")
        w("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for label, x in r["rows"].items():
            k = x["kinds"]
            total = sum(v["per_second"] for v in k.values())
            w(f"| {label} | {total:.0f} | " + " | ".join(f"{k[n]['p99_ms']:.1f}" if n in k else "—" for n in
              ("packument", "tarball", "listing", "blob", "publish")) + " | " +
              " | ".join(f"{x['cpu'][n]:.2f}" for n in ("Entrepot", "PostgreSQL", "S3 server")) + " |")
        w("\nCPU is in cores (seconds used per second); the one core the servers share is the ceiling.\n")
    garage.report(results, w)
    documents.report(results, w)
    if "growth" in results:
        r = results["growth"]
        small, large = sorted(next(iter(r.values())))
        seeded = results["growth_seeding"][large]
        w(f"## 11. Growth: one owner's endpoints with {small:,} and with {large:,} versions stored, one connection\n")
        w(f"bench/seed.py made the store in SQL: {large // 1000:,} owners of 100 public npm packages of 10 "
          f"versions each, with a day of downloads ({seeded:.0f} s for the last step). The requests are "
          "for the first owner's packages, signed in as another user; a search matches an eighth of "
          "all packages.\n")
        w(f"| endpoint | p50 ms at {small:,} | p50 ms at {large:,} | growth |")
        w("| --- | --- | --- | --- |")
        for label, x in r.items():
            w(f"| {label} | {x[small]['p50']:.2f} | {x[large]['p50']:.2f} | {x[large]['p50'] / x[small]['p50']:.2f}× |")
        w("")
    if "rss" in results:
        w("## 7. Memory (RSS)\n")
        w("| system | idle | during (1) | during (5) |")
        w("| --- | --- | --- | --- |")
        for label, x in results["rss"].items():
            w(f"| {label} | {mib(x['idle'])} | {mib(x['packument']) if x.get('packument') else '–'} | {mib(x['oci']) if x.get('oci') else '–'} |")
        if "big_upload" in results:
            b = results["big_upload"]
            w(f"\nEntrepot while one {b['size'] >> 20} MiB layer streamed in at {b['mbs']:.0f} MB/s: "
              f"{mib(b['idle'])} before, {mib(b['peak'])} at the peak.\n")
    if "proxy" in results:
        r = results["proxy"]
        w("## 8. npm upstream proxy: an origin Verdaccio 6.8 on loopback behind each proxy\n")
        w("Entrepot has the origin as its default npm upstream (`admin upstream add origin --format npm "
          "--default --metadata-ttl 10m`); Verdaccio 6.8 proxies to it as its uplink (`proxy: origin`, "
          "`maxage: 10m`). Both serve the origin's packages anonymously.\n")
        w(f"**Warm packument**, {r['versions']} versions (each proxy fetched it once before), "
          "asked for as npm does (`Accept: application/vnd.npm.install-v1+json`):\n")
        w("| system | connections | req/s | p50 ms | p99 ms | body | peak RSS |")
        w("| --- | --- | --- | --- | --- | --- | --- |")
        for label, rows in r["packument"].items():
            for c in (1, 16, 64):
                x = rows[c]
                w(f"| {label} | {c} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} | "
                  f"{rows['bytes'] / 1024:.0f} KiB | {mib(rows['rss']) if c == 64 else ''} |")
        notes = []
        if "Verdaccio 6.8" in r["packument"]:
            e, v = r["packument"]["Entrepot"], r["packument"]["Verdaccio 6.8"]
            for c in (1, 16, 64):
                notes.append(f"- {c} connections: Entrepot serves {ratio(e[c]['rps'], v[c]['rps'])} proxying "
                             f"Verdaccio's req/s; p99 {ratio(e[c]['p99'], v[c]['p99'], False)} better.")
        for label, rows in r["packument"].items():
            if rows.get("type") and rows["type"] != "application/vnd.npm.install-v1+json":
                notes.append(f"- {label} answers the abbreviated request with `{rows['type']}`: the full packument.")
        if notes:
            w("")
            for line in notes:
                w(line)
        w(f"\n**`npm install` of {r['count']} dependencies** through the proxy: a cold client cache, "
          f"the proxy's copies warm (one install through it first); {r['runs']} runs:\n")
        w("| system | median s | mean s | ± | ratio |")
        w("| --- | --- | --- | --- | --- |")
        e = r["install"]["Entrepot"]
        for label, x in r["install"].items():
            w(f"| {label} | {x['median']:.2f} | {x['mean']:.2f} | {x['stddev']:.2f} | "
              f"{ratio(e['median'], x['median'], False) if label != 'Entrepot' else ''} |")
        c = r["cold"]
        w(f"\n**A {r['cold_size'] >> 20} MiB tarball** (median of {r['cold_runs']} fetches with curl, "
          "each of a package never fetched before; the proxy has its packument):\n")
        w("| fetch | median s | MB/s | first byte ms | ÷ direct |")
        w("| --- | --- | --- | --- | --- |")
        names = {"direct": "from the origin directly",
                 "cold": "through Entrepot, cold (fetched from the origin, streamed while stored)",
                 "warm": "through Entrepot, warm (its copy)",
                 "verdaccio": "through proxying Verdaccio 6.8, cold"}
        for key in ("direct", "cold", "warm", "verdaccio"):
            if key in c:
                x = c[key]
                w(f"| {names[key]} | {x['total']:.3f} | {r['cold_size'] / 2**20 / x['total']:.0f} | "
                  f"{x['first'] * 1000:.1f} | {x['total'] / c['direct']['total']:.2f}× |")
        w("")
    if not args.quick:
        w("## Targets (issues 7, 23 and 27)\n")
        for line in targets(results):
            w(f"- {line}")
        w("")
    history = os.path.join(ROOT, "bench", "history.md")
    if not args.quick and os.path.exists(history):
        w(open(history).read())
    w("## Commands\n")
    w("Each load was generated with these commands (tokens elided):\n")
    w("```")
    for c in COMMANDS:
        w(c)
    w("```\n")
    return "\n".join(out)


def targets(results):
    """Each target of issues 7, 23 and 27, met or not, from this run's numbers."""
    out = []
    def mark(ok):
        return "met" if ok else "**missed**"
    p = results.get("packument", {}).get("rows", {})
    if "nginx" in p:
        for label, other in (("Entrepot", "nginx"), ("Entrepot, with a token", "nginx"),
                             ("Entrepot, gzip", "nginx, gzip")):
            share = p[label][16]["rps"] / p[other][16]["rps"]
            out.append(f"(27.1) {label}'s packument ≥ 50 % of nginx's req/s (16 connections): "
                       f"{share * 100:.0f} % — {mark(share >= 0.5)}")
    if "Verdaccio 6.8" in p:
        e, v = p["Entrepot"][16], p["Verdaccio 6.8"][16]
        out.append(f"(1) ≥ 5× Verdaccio's req/s with p99 ≤ half, 16 connections: {e['rps'] / v['rps']:.1f}×, "
                   f"p99 {e['p99']:.2f} vs {v['p99']:.2f} ms — {mark(e['rps'] >= 5 * v['rps'] and e['p99'] <= v['p99'] / 2)}")
    for variant, rows in results.get("install", {}).get("variants", {}).items():
        if "Verdaccio 6.8" in rows:
            e, v = rows["Entrepot"]["mean"], rows["Verdaccio 6.8"]["mean"]
            floor = rows.get(FLOOR)
            note = (f" (npm alone, from static files: {floor['mean']:.2f} s, "
                    f"so half of Verdaccio's time is below what npm itself needs)"
                    if floor and floor["mean"] > v / 2 and e > v / 2 else "")
            out.append(f"(3) ≤ half Verdaccio's time ({variant}): {e:.2f} s vs {v:.2f} s — {mark(e <= v / 2)}{note}")
    o = results.get("oci", {}).get("rows", {})
    if "Distribution 2.8" in o:
        e, d = o["Entrepot"], o["Distribution 2.8"]
        out.append(f"(5) push ≥ 3× Distribution: {e['push'] / d['push']:.2f}× — {mark(e['push'] >= 3 * d['push'])}")
        out.append(f"(5) pull ≥ Distribution: {e['pull'] / d['pull']:.2f}× — {mark(e['pull'] >= d['pull'])}")
        if "nginx" in o:
            share = e["pull"] / o["nginx"]["pull"]
            out.append(f"(5) pull ≥ 70 % of nginx: {share * 100:.0f} % — {mark(share >= 0.7)}")
    r = results.get("rest", {}).get("rows", {})
    if r:
        ns = list(r)
        growth = r[ns[-1]]["p50"] / r[ns[0]]["p50"]
        out.append(f"(6) flat within 2× from {ns[0]} to {ns[-1]} packages: {growth:.2f}× — {mark(growth <= 2)}")
        last = r[ns[-1]]["p50"]
        out.append(f"(27.4) REST list of 100 at {ns[-1]} packages, p50 ≤ 2 ms idle: {last:.2f} ms — {mark(last <= 2)}")
    mixed = results.get("mixed", {}).get("kinds", {}).get("listing")
    if mixed:
        out.append(f"(27.4) REST list of 100 under the mixed load (10), p50 ≤ 20 ms: {mixed['p50_ms']:.2f} ms — "
                   f"{mark(mixed['p50_ms'] <= 20)}")
    scale = results.get("scale_out")
    if scale:
        parts = []
        for label, x in scale["rows"].items():
            total = sum(v["per_second"] for v in x["kinds"].values())
            busiest = max(x["cpu"], key=x["cpu"].get)
            parts.append(f"{label}: {total:.0f} req/s, busiest {busiest} ({x['cpu'][busiest]:.2f} cores)")
        out.append("(27.8) the mix on one and two nodes sharing PostgreSQL and object storage (12): "
                   + "; ".join(parts) + " — reported")
    for extra in (documents.target(results), garage.target(results)):
        if extra:
            out.append(extra)
    growth = results.get("growth")
    if growth:
        small, large = sorted(next(iter(growth.values())))
        ratios = {label: x[large]["p50"] / x[small]["p50"] for label, x in growth.items()}
        worst = max(ratios, key=ratios.get)
        over = [label for label, ratio in ratios.items() if ratio > 1.5]
        out.append(f"(27.7) every endpoint's p50 within 1.5× from {small:,} to {large:,} versions: worst "
                   f"{ratios[worst]:.2f}× ({worst}) — {mark(not over)}"
                   + (f"; over: {', '.join(over)}" if over else ""))
    pp = results.get("package_page")
    if pp:
        x = pp["rows"]["package page"]
        out.append(f"(26) a package page with {pp['versions']:,} versions in under 20 ms on the server: "
                   f"p50 {x['p50']:.2f} ms, p99 {x['p99']:.2f} ms — {mark(x['p99'] < 20)}")
        out.append(f"(27.5) a package page with {pp['versions']:,} versions ≤ 10 ms (p50): "
                   f"{x['p50']:.2f} ms — {mark(x['p50'] <= 10)}")
    rss = results.get("rss", {})
    if "Verdaccio 6.8" in rss and rss["Verdaccio 6.8"].get("packument"):
        e, v = rss["Entrepot"]["packument"], rss["Verdaccio 6.8"]["packument"]
        out.append(f"(7) RSS ≤ a third of Verdaccio's during (1): {mib(e)} vs {mib(v)} — {mark(e <= v / 3)}")
    if "Distribution 2.8" in rss and rss["Distribution 2.8"].get("oci"):
        e, d = rss["Entrepot"]["oci"], rss["Distribution 2.8"]["oci"]
        out.append(f"(7) RSS ≤ Distribution's under OCI load: {mib(e)} vs {mib(d)} — {mark(e <= d)}")
    if "big_upload" in results:
        b = results["big_upload"]
        out.append(f"(7) constant memory during the {b['size'] >> 20} MiB upload: {mib(b['idle'])} → {mib(b['peak'])} — "
                   f"{mark(b['peak'] - b['idle'] < 32 * 1024)}")
    if "proxy" in results:
        c = results["proxy"]["cold"]
        share = c["cold"]["total"] / c["direct"]["total"]
        out.append(f"(8) cold {results['proxy']['cold_size'] >> 20} MiB tarball through the proxy at most 10 % "
                   f"slower than from the upstream directly: {c['cold']['total']:.3f} s vs "
                   f"{c['direct']['total']:.3f} s, {share:.2f}× — {mark(share <= 1.10)}")
    return out


started_clock = time.time()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="seconds per figure, Entrepot alone")
    parser.add_argument("--out", help="where to write the report (default: BENCHMARKS.md; quick: a temp file)")
    parser.add_argument("--binary", help="the entrepot binary (default: build it)")
    parser.add_argument("--only", help="figures to run, comma-separated (packument, documents, tarball, install, publish, "
                        "oci, rest, package_page, mixed, big_upload, proxy, scale_out, object_storage, growth): Entrepot alone, full durations, the "
                        "report to a temp file unless --out; for a before and after of one change")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    want = lambda figure: only is None or figure in only
    started = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if not args.binary:
        profile = [] if args.quick else ["--release"]
        subprocess.run(["cargo", "build", "--locked", "-p", "entrepot"] + profile, check=True, cwd=ROOT)
        args.binary = os.path.join(ROOT, "target", "debug" if args.quick else "release", "entrepot")
    args.binary = os.path.abspath(args.binary)
    peers = not args.quick and only is None
    if peers:
        install = os.path.join(ROOT, "bench", "install-peers")
        subprocess.run([install], check=True)
    duration = 1 if args.quick else 5
    work = tempfile.mkdtemp(prefix="entrepot-bench-")
    sys_ = Systems(args, work)
    results = {"rss": {}}
    try:
        e_proc, e_base, e_token = sys_.entrepot()
        regs = [NpmRegistry("Entrepot", e_base + "/npm/", e_token, e_proc.pid)]
        results["rss"]["Entrepot"] = {"idle": tree_rss_kib(e_proc.pid)}
        nginx_root = nginx_base = distribution = None
        if peers:
            v_proc, v_base, v_token = sys_.verdaccio()
            regs.append(NpmRegistry("Verdaccio 6.8", v_base + "/", v_token, v_proc.pid))
            results["rss"]["Verdaccio 6.8"] = {"idle": tree_rss_kib(v_proc.pid)}
        # `--only oci` has Distribution too: the pull-through figure needs it.
        if peers or (only and "oci" in only and not args.quick and shutil.which("docker-registry")):
            d_proc, d_base = sys_.distribution()
            distribution = (d_proc.pid, d_base)
            results["rss"]["Distribution 2.8"] = {"idle": tree_rss_kib(d_proc.pid)}
        if not args.quick and shutil.which("nginx"):
            n_proc, nginx_base, nginx_root = sys_.nginx()
            results["rss"]["nginx"] = {"idle": tree_rss_kib(n_proc.pid)}
        if want("packument"):
            figure_packument(sys_, results, regs, duration, nginx_root, nginx_base)
            for reg in regs:
                results["rss"][reg.label]["packument"] = results["packument"]["rows"][reg.label]["rss"]
        if want("documents"):
            documents.figure(sys_, results, duration, nginx_root, nginx_base)
        if want("tarball"):
            figure_tarball(sys_, results, regs, nginx_root, nginx_base, duration)
        if want("install"):
            figure_install(sys_, results, regs, work, nginx_root, nginx_base)
        if want("publish"):
            figure_publish(sys_, results, regs)
        basic = "Basic " + base64.b64encode(f"bench:{e_token}".encode()).decode()
        if want("oci"):
            figure_oci(sys_, results, (e_proc.pid, e_base, basic), distribution, nginx_root, nginx_base, work,
                       duration)
            for label in ("Entrepot", "Distribution 2.8"):
                if label in results["oci"]["rows"]:
                    results["rss"][label]["oci"] = results["oci"]["rows"][label]["rss"]
        if want("rest"):
            figure_rest(sys_, results, duration)
        if want("package_page"):
            figure_package_page(sys_, results, duration)
        if want("mixed"):
            figure_mixed(sys_, results, work, 5 if args.quick else 120)
        if want("big_upload"):
            figure_big_upload(sys_, results, (e_proc.pid, e_base, basic))
        if want("proxy"):
            figure_proxy(sys_, results, work, duration, peers)
        if want("scale_out"):
            figure_scale_out(sys_, results, work, 3 if args.quick else 60)
        if want("object_storage"):
            garage.figure(sys_, results, work, duration)
        # Last: it leaves a million versions in the store.
        if want("growth"):
            figure_growth(sys_, results, duration)
    finally:
        sys_.stop()
        shutil.rmtree(work, ignore_errors=True)
    info = versions(args)
    text = report(args, results, info, started)
    partial = args.quick or only is not None
    out = args.out or (os.path.join(tempfile.gettempdir(), "entrepot-BENCHMARKS-partial.md") if partial
                       else os.path.join(ROOT, "BENCHMARKS.md"))
    with open(out, "w") as f:
        f.write(text)
    print(f"wrote {out}")



if __name__ == "__main__":
    garage.bench = documents.bench = sys.modules[__name__]
    main()
