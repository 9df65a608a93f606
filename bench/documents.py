"""Figure 14: every format's cached metadata document against nginx serving
the same bytes from a file (issue 27, targets 1 and 2, beyond npm's
packument of figure 1): a PyPI simple page, a Cargo sparse index file, a
RubyGems compact-index `/info` file and a NuGet registration index, each
of a package with 200 versions, and an OCI image manifest. Each is read
anonymously (the package is public), with a token as that format's client
sends one, and with `Accept-Encoding: gzip`; nginx serves the bytes each
answer carried, plain and gzipped.

Packages are published over HTTP as each client sends them: twine's form,
cargo's publish body, a `.gem`, a `.nupkg`, and the distribution API.
"""

import base64
import gzip
import hashlib
import io
import json
import os
import tarfile
import zipfile

# bench.py's helpers (request, wrk, …), set by bench.py itself.
bench = None

OWNER = "bench"
CONNECTIONS = 16


def _zip(entries):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, body in entries:
            z.writestr(name, body)
    return out.getvalue()


def _tar(entries, compress=False):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz" if compress else "w", format=tarfile.USTAR_FORMAT) as t:
        for name, body in entries:
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(body), 0o644
            t.addfile(info, io.BytesIO(body))
    return out.getvalue()


def _form(fields, filename, file):
    boundary = "entrepot-bench-boundary"
    body = b"".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n".encode()
                    for k, v in fields)
    body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"content\"; filename=\"{filename}\"\r\n"
             "Content-Type: application/octet-stream\r\n\r\n").encode() + file + f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def _basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _publish(method, url, body, headers, what):
    status, _, answer = bench.request(method, url, body, headers)
    if status not in (200, 201, 202):
        raise SystemExit(f"publishing {what} failed: {status} {answer[:300]!r}")


def pypi(base, token, version):
    name = "bench-docs"
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nRequires-Python: >=3.8\n"
    info = f"bench_docs-{version}.dist-info"
    wheel = _zip([("bench_docs/__init__.py", b"x = 1\n"), (f"{info}/METADATA", meta.encode()),
                  (f"{info}/WHEEL", b"Wheel-Version: 1.0\n")])
    ctype, body = _form([(":action", "file_upload"), ("protocol_version", "1"), ("name", name),
                         ("version", version), ("filetype", "bdist_wheel"), ("pyversion", "py3"),
                         ("metadata_version", "2.1"), ("summary", "benchmark project"),
                         ("sha256_digest", hashlib.sha256(wheel).hexdigest())],
                        f"bench_docs-{version}-py3-none-any.whl", wheel)
    _publish("POST", f"{base}/pypi/{OWNER}/", body,
             {"Authorization": _basic("__token__", token), "Content-Type": ctype}, f"pypi {version}")


def cargo(base, token, version):
    name = "bench_docs"
    manifest = f"[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\n"
    krate = _tar([(f"{name}-{version}/Cargo.toml", manifest.encode()),
                  (f"{name}-{version}/src/lib.rs", b"pub fn hi() {}\n")], compress=True)
    meta = json.dumps({"name": name, "vers": version, "deps": [], "features": {}, "authors": [],
                       "description": "benchmark crate", "license": "MIT", "keywords": [],
                       "categories": [], "badges": {}, "links": None}).encode()
    body = len(meta).to_bytes(4, "little") + meta + len(krate).to_bytes(4, "little") + krate
    _publish("PUT", f"{base}/cargo/{OWNER}/api/v1/crates/new", body, {"Authorization": token},
             f"cargo {version}")


def rubygems(base, token, version):
    name = "bench_docs"
    spec = (f"--- !ruby/object:Gem::Specification\nname: {name}\nversion: !ruby/object:Gem::Version\n"
            f"  version: {version}\nplatform: ruby\nauthors:\n- Bench\ndate: 2026-11-21 00:00:00.000000000 Z\n"
            "dependencies: []\ndescription: benchmark gem\nlicenses:\n- MIT\nmetadata: {}\nrequire_paths:\n"
            "- lib\nrequired_ruby_version: !ruby/object:Gem::Requirement\n  requirements:\n  - - \">=\"\n"
            "    - !ruby/object:Gem::Version\n      version: '0'\nrubygems_version: 3.3.15\n"
            "specification_version: 4\nsummary: benchmark gem\n")
    metadata = gzip.compress(spec.encode())
    data = gzip.compress(_tar([("lib/bench_docs.rb", b"module BenchDocs; end\n")]))
    sums = "---\nSHA256:\n" + "".join(f"  {n}: {hashlib.sha256(b).hexdigest()}\n"
                                      for n, b in (("metadata.gz", metadata), ("data.tar.gz", data)))
    gem = _tar([("metadata.gz", metadata), ("data.tar.gz", data), ("checksums.yaml.gz", gzip.compress(sums.encode()))])
    _publish("POST", f"{base}/rubygems/{OWNER}/api/v1/gems", gem, {"Authorization": token}, f"gem {version}")


def nuget(base, token, version):
    spec = ("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<package xmlns=\"http://schemas.microsoft.com/packaging/"
            f"2013/05/nuspec.xsd\">\n  <metadata>\n    <id>Bench.Docs</id>\n    <version>{version}</version>\n"
            "    <authors>Bench</authors>\n    <description>benchmark package</description>\n  </metadata>\n</package>")
    nupkg = _zip([("Bench.Docs.nuspec", spec.encode()), ("lib/netstandard2.0/x.dll", b"MZ")])
    _publish("PUT", f"{base}/nuget/{OWNER}/api/v2/package/", nupkg, {"X-NuGet-ApiKey": token}, f"nupkg {version}")


def container(base, token):
    """An image of one layer, tagged v1 in `bench/docs`."""
    auth = {"Authorization": _basic(OWNER, token)}
    blobs = []
    for body, media in ((json.dumps({"architecture": "amd64", "os": "linux"}).encode(),
                         "application/vnd.oci.image.config.v1+json"),
                        (gzip.compress(_tar([("hello.txt", b"hello\n")])), "application/vnd.oci.image.layer.v1.tar+gzip")):
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        status, h, _ = bench.request("POST", f"{base}/v2/{OWNER}/docs/blobs/uploads/", b"", auth)
        assert status == 202, status
        loc = h["location"] if h["location"].startswith("http") else base + h["location"]
        sep = "&" if "?" in loc else "?"
        _publish("PUT", f"{loc}{sep}digest={digest}", body,
                 dict(auth, **{"Content-Type": "application/octet-stream"}), "a blob")
        blobs.append({"mediaType": media, "digest": digest, "size": len(body)})
    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": blobs[0], "layers": blobs[1:],
                           "annotations": {"org.opencontainers.image.description": "benchmark image"}}).encode()
    _publish("PUT", f"{base}/v2/{OWNER}/docs/manifests/v1", manifest,
             dict(auth, **{"Content-Type": "application/vnd.oci.image.manifest.v1+json"}), "the manifest")


def make_public(base, token, kind, name):
    status, _, body = bench.request("PATCH", f"{base}/api/v3/user/packages/{kind}/{name}",
                                    json.dumps({"visibility": "public"}).encode(),
                                    {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    assert status == 200, (kind, name, status, body[:200])


def registry_token(base, token):
    """The bearer a container client gets from the token endpoint."""
    status, _, body = bench.request("GET", f"{base}/token?service=entrepot&scope=repository:{OWNER}/docs:pull",
                                    None, {"Authorization": _basic(OWNER, token)})
    assert status == 200, status
    doc = json.loads(body)
    return doc.get("token") or doc["access_token"]


def documents(base, token):
    """(label, URL, headers every client sends, headers with its token)."""
    status, _, body = bench.request("GET", f"{base}/nuget/{OWNER}/index.json")
    assert status == 200, status
    registrations = next(r["@id"] for r in json.loads(body)["resources"]
                         if r["@type"] == "RegistrationsBaseUrl/3.6.0")
    basic = {"Authorization": _basic(OWNER, token)}
    return [
        ("PyPI simple page", f"{base}/pypi/{OWNER}/simple/bench-docs/",
         {"Accept": "application/vnd.pypi.simple.v1+json"}, {"Authorization": _basic("__token__", token)}),
        ("Cargo index file", f"{base}/cargo/{OWNER}/index/be/nc/bench_docs", {}, {"Authorization": token}),
        ("RubyGems /info", f"{base}/rubygems/{OWNER}/info/bench_docs", {}, basic),
        ("NuGet registration index", f"{registrations.rstrip('/')}/bench.docs/index.json", {}, basic),
        ("OCI manifest", f"{base}/v2/{OWNER}/docs/manifests/v1",
         {"Accept": "application/vnd.oci.image.manifest.v1+json"},
         {"Authorization": f"Bearer {registry_token(base, token)}"}),
    ]


def figure(sys_, results, duration, nginx_root=None, nginx_base=None):
    """(14) each format's metadata document at 16 connections: anonymous,
    with a token and gzipped, against nginx serving the same bytes."""
    base, token = sys_.entrepot_base, sys_.entrepot_token
    count = 20 if sys_.args.quick else 200
    for i in range(count):
        version = f"1.0.{i}"
        pypi(base, token, version)
        cargo(base, token, version)
        rubygems(base, token, version)
        nuget(base, token, version)
    container(base, token)
    for kind, name in (("pypi", "bench-docs"), ("cargo", "bench_docs"), ("rubygems", "bench_docs"),
                       ("nuget", "bench.docs"), ("container", "docs")):
        make_public(base, token, kind, name)
    rows = {}
    for n, (label, url, common, with_token) in enumerate(documents(base, token)):
        row = rows[label] = {}
        gz = dict(common, **{"Accept-Encoding": "gzip"})
        for key, headers in (("anonymous", common), ("token", dict(common, **with_token)), ("gzip", gz)):
            status, h, body = bench.request("GET", url, None, headers)
            assert status == 200, (label, key, status, body[:200])
            row[key] = bench.wrk(url, CONNECTIONS, duration, headers)
            row[key]["bytes"] = len(body)
            row[key]["encoding"] = h.get("content-encoding", "identity")
            if nginx_root and key != "token":
                # urllib does not decode: these are the bytes as sent.
                name = f"doc{n}.{key}"
                with open(os.path.join(nginx_root, name), "wb") as f:
                    f.write(body)
                row[f"nginx {key}"] = bench.wrk(f"{nginx_base}/{name}", CONNECTIONS, duration, {})
        if label.startswith("PyPI"):
            versions = len(json.loads(bench.request("GET", url, None, common)[2])["versions"])
            assert versions == count, versions
    results["documents"] = {"versions": count, "rows": rows}


def shares(row):
    """Entrepot's req/s as a share of nginx's, per way of asking."""
    return {key: row[key]["rps"] / row[f"nginx {'gzip' if key == 'gzip' else 'anonymous'}"]["rps"]
            for key in ("anonymous", "token", "gzip") if f"nginx {'gzip' if key == 'gzip' else 'anonymous'}" in row}


def report(results, w):
    r = results.get("documents")
    if not r:
        return
    w("## 14. Every format's metadata document against nginx\n")
    w(f"A package with {r['versions']} versions in each format (an image with one tag for OCI), public; "
      f"wrk with {CONNECTIONS} connections. \"nginx\" serves the bytes Entrepot sent, from a file: "
      "the anonymous answer for the plain and token rows, the gzipped answer for the gzip row.\n")
    w("| document | asked | bytes sent | Entrepot req/s | p50 ms | p99 ms | nginx req/s | share |")
    w("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, row in r["rows"].items():
        share = shares(row)
        for key in ("anonymous", "token", "gzip"):
            e = row[key]
            n = row.get(f"nginx {'gzip' if key == 'gzip' else 'anonymous'}")
            asked = {"anonymous": "anonymous", "token": "with a token", "gzip": "gzip"}[key]
            sent = f"{e['bytes']:,}" + (f" ({e['encoding']})" if e["encoding"] != "identity" else "")
            w(f"| {label} | {asked} | {sent} | {e['rps']:,.0f} | {e['p50']:.2f} | {e['p99']:.2f} | "
              f"{n['rps']:,.0f} | {share[key] * 100:.0f} % |" if n else
              f"| {label} | {asked} | {sent} | {e['rps']:,.0f} | {e['p50']:.2f} | {e['p99']:.2f} | – | – |")
    w("")


def target(results):
    """(27.1) for the formats other than npm: the lowest share, and which."""
    r = results.get("documents")
    if not r:
        return None
    all_shares = [(s, label, key) for label, row in r["rows"].items() for key, s in shares(row).items()]
    if not all_shares:
        return None
    low, label, key = min(all_shares)
    ok = low >= 0.5
    return (f"(27.1) every other format's metadata document ≥ 50 % of nginx's req/s (14): lowest "
            f"{low * 100:.0f} % ({label}, {key}) — {'met' if ok else '**missed**'}")
