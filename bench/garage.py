"""Figure 13: blobs on a real S3 server, Garage (the Rust S3-compatible
object store), single node on loopback. Entrepot serves a 1 MiB tarball
and a 256 MiB layer out of Garage; the same objects fetched from Garage
directly, by presigned URL, are the S3 server's own ceiling.

Garage is not in Debian: `cargo install garage --locked --root /opt/garage`
(bench/install-peers --garage). The binary is looked for in $GARAGE, then
/opt/garage/bin, then PATH; without it the figure says so and is skipped.
"""

import datetime
import hashlib
import hmac
import os
import secrets
import shutil
import statistics
import subprocess
import time
import urllib.parse

# bench.py's helpers (free_port, wrk, run, …), set by bench.py itself: an
# `import bench` from its own __main__ would load a second copy.
bench = None

REGION = "garage"
BUCKET = "bench"


def binary():
    for candidate in (os.environ.get("GARAGE"), "/opt/garage/bin/garage", shutil.which("garage")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def start(sys_, d):
    """A single-node Garage in `d` with a bucket and a key that may use it:
    (endpoint, access key, secret key, its process)."""
    garage = binary()
    os.makedirs(d)
    rpc, s3 = bench.free_port(), bench.free_port()
    config = os.path.join(d, "garage.toml")
    with open(config, "w") as f:
        f.write(f"""metadata_dir = "{d}/meta"
data_dir = "{d}/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secrets.token_hex(32)}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"
""")
    server = sys_.spawn([garage, "-c", config, "server"], os.path.join(d, "log"),
                        env=dict(os.environ, RUST_LOG="warn"))
    cli = [garage, "-c", config]
    # `status` asks the server itself (`node id` only reads its key file,
    # and a layout change sent before the server listens fails).
    deadline = time.monotonic() + 60
    while True:
        status = subprocess.run(cli + ["status"], capture_output=True, text=True)
        if status.returncode == 0:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"Garage did not start: {status.stderr}")
        time.sleep(0.2)
    node = bench.run(cli + ["node", "id", "-q"]).stdout.strip().split("@")[0]
    bench.run(cli + ["layout", "assign", "-z", "dc1", "-c", "10G", node])
    bench.run(cli + ["layout", "apply", "--version", "1"])
    access = "GK" + secrets.token_hex(12)
    secret = secrets.token_hex(32)
    bench.run(cli + ["key", "import", "--yes", "-n", "bench", access, secret])
    bench.run(cli + ["bucket", "create", BUCKET])
    bench.run(cli + ["bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", "bench"])
    endpoint = f"http://127.0.0.1:{s3}"
    bench.wait_http(endpoint + "/", ok=(200, 403, 404))
    return endpoint, access, secret, server


def presigned(endpoint, access, secret, key, expires=3600):
    """A GET of `key` signed in its URL (SigV4), for a client that cannot
    sign: wrk and curl fetch the object as Garage serves it."""
    host = urllib.parse.urlparse(endpoint).netloc
    now = datetime.datetime.now(datetime.timezone.utc)
    stamp, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/{REGION}/s3/aws4_request"
    path = f"/{BUCKET}/" + urllib.parse.quote(key)
    query = {
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": f"{access}/{scope}",
        "X-Amz-Date": stamp,
        "X-Amz-Expires": str(expires),
        "X-Amz-SignedHeaders": "host",
    }
    canonical_query = "&".join(f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe='')}"
                               for k, v in sorted(query.items()))
    canonical = "\n".join(["GET", path, canonical_query, f"host:{host}\n", "host", "UNSIGNED-PAYLOAD"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, REGION, "s3", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{endpoint}{path}?{canonical_query}&X-Amz-Signature={signature}"


def blob_key(sha256):
    """Where Entrepot keeps a blob in its bucket (crates/store/src/s3.rs)."""
    return f"sha256/{sha256[:2]}/{sha256}"


def figure(sys_, results, work, duration):
    """(13) Entrepot's tarball req/s and layer MB/s with its blobs on
    Garage, against Garage's own GET of the same objects."""
    if not binary():
        results["object_storage"] = {"missing": True}
        return
    d = os.path.join(work, "garage")
    endpoint, access, secret, server = start(sys_, d)
    node = os.path.join(work, "on-garage")
    os.makedirs(node)
    port = bench.free_port()
    env = dict(os.environ, RUST_LOG="warn", AWS_ACCESS_KEY_ID=access, AWS_SECRET_ACCESS_KEY=secret)
    blobs = f"s3://{BUCKET}?endpoint={endpoint}&region={REGION}"
    p = sys_.spawn([sys_.args.binary, "--listen", f"127.0.0.1:{port}", "--blobs", blobs,
                    "--api-rate-limit", "1000000000", "serve"], os.path.join(node, "log"), cwd=node, env=env)
    base = f"http://127.0.0.1:{port}"
    bench.wait_http(base + "/healthz")
    bench.run([sys_.args.binary, "admin", "user", "create", "bench"], cwd=node, env=env)
    token = bench.run([sys_.args.binary, "admin", "token", "create", "bench", "--scopes",
                       "read:packages,write:packages,delete:packages"], cwd=node, env=env).stdout.strip()
    reg = bench.NpmRegistry("Entrepot", base + "/npm/", token, None)
    tgz = bench.tarball("@bench/blob", "1.0.0", 1 << 20)
    reg.publish("@bench/blob", "1.0.0", tgz)
    reg.make_public("@bench/blob")
    tarball_url = base + "/npm/@bench/blob/-/blob-1.0.0.tgz"
    direct_url = presigned(endpoint, access, secret, blob_key(hashlib.sha256(tgz).hexdigest()))
    for url in (tarball_url, direct_url):
        status, _, body = bench.request("GET", url)
        assert status == 200 and body == tgz, (url, status, body[:200])
    rows = {"tarball": {"Entrepot on Garage": bench.wrk(tarball_url, 16, duration, {}),
                        "Garage directly": bench.wrk(direct_url, 16, duration, {})}}
    size = (8 if sys_.args.quick else 256) << 20
    repeats = 1 if sys_.args.quick else 5
    layer = os.path.join(work, "garage-layer.bin")
    h = hashlib.sha256()
    with open(layer, "wb") as f:
        for _ in range(size >> 20):
            chunk = os.urandom(1 << 20)
            h.update(chunk)
            f.write(chunk)
    digest = "sha256:" + h.hexdigest()
    basic = "Basic " + __import__("base64").b64encode(f"bench:{token}".encode()).decode()
    push = statistics.median(bench.oci_put_layer(base, "bench/layer", layer, digest, f"Authorization: {basic}")
                             for _ in range(repeats))
    pull = statistics.median(
        bench.curl_speed(["-H", f"Authorization: {basic}", "-o", "/dev/null",
                          f"{base}/v2/bench/layer/blobs/{digest}"])[0] for _ in range(repeats))
    direct = presigned(endpoint, access, secret, blob_key(h.hexdigest()))
    ceiling = statistics.median(bench.curl_speed(["-o", "/dev/null", direct])[0] for _ in range(repeats))
    os.remove(layer)
    rows["layer"] = {"size": size, "repeats": repeats, "push": push, "pull": pull, "direct": ceiling}
    version = bench.run([binary(), "--version"]).stdout.strip().splitlines()[0]
    results["object_storage"] = {"rows": rows, "garage": version, "duration": duration}
    # Neither may take CPU from the figures after this one.
    for process in (p, server):
        process.terminate()
        process.wait(timeout=20)


def report(results, w):
    r = results.get("object_storage")
    if not r:
        return
    w("## 13. Blobs on a real S3 server: Garage, single node on loopback\n")
    if r.get("missing"):
        w("Not measured: no Garage binary (`bench/install-peers --garage` builds it).\n")
        return
    t = r["rows"]["tarball"]
    e, g = t["Entrepot on Garage"], t["Garage directly"]
    w(f"{r['garage']}. Entrepot keeps its metadata on SQLite and its blobs in a Garage bucket; "
      "\"Garage directly\" is a presigned GET of the same object, the S3 server's own ceiling.\n")
    w("| 1 MiB tarball, 16 connections | req/s | p50 ms | p99 ms |")
    w("| --- | --- | --- | --- |")
    for label, x in t.items():
        w(f"| {label} | {x['rps']:.0f} | {x['p50']:.2f} | {x['p99']:.2f} |")
    w(f"\nEntrepot serves {e['rps'] / g['rps']:.2f}× Garage's own req/s.\n")
    x = r["rows"]["layer"]
    w(f"{x['size'] >> 20} MiB layer (median of {x['repeats']}): push through Entrepot {x['push']:.0f} MB/s; "
      f"pull through Entrepot {x['pull']:.0f} MB/s, from Garage directly {x['direct']:.0f} MB/s "
      f"({x['pull'] / x['direct']:.2f}×).\n")


def target(results):
    r = results.get("object_storage")
    if not r or r.get("missing"):
        return None
    t = r["rows"]["tarball"]
    share = t["Entrepot on Garage"]["rps"] / t["Garage directly"]["rps"]
    layer = r["rows"]["layer"]
    pulled = layer["pull"] / layer["direct"]
    return (f"(27.9) blobs on Garage against its own GET (13): 1 MiB tarball {share:.2f}× its req/s, "
            f"{layer['size'] >> 20} MiB layer {pulled:.2f}× its MB/s — reported")
