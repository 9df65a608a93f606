#!/usr/bin/env python3
"""Seeds an Entrepot database with many owners, packages and versions, for
the growth figure (bench.py, figure 11) and for trying a large store by hand.

Rows are made by the database itself (`WITH RECURSIVE … INSERT … SELECT`),
so a million versions take seconds, and the schema's triggers keep what
they keep (running counts, search index, downloads per package) as they
would for published packages. Every seeded package is a public npm package
`@seed-O/pkg-P` with versions `1.0.0`… whose one file is a copy of an
existing file's row (its blob must be in the blob store: publish one
package first and name it with --template-file).

    bench/seed.py --database sqlite://DATA/entrepot.db --template-file 1
    bench/seed.py --database postgres://127.0.0.1/entrepot --owners 1000 \\
        --packages 100 --versions 10 --template-file 1

Owners already seeded are skipped, so a store grows in steps: seed
--owners 10, measure, then --owners 1000.
"""

import argparse
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timezone

# One of eight words in each description, so that a search matches an
# eighth of the packages (as figure 6's).
WORDS = ["parser", "router", "logger", "client", "server", "schema", "stream", "config"]


def statements(first, owners, packages, versions, template_file, now, day):
    """The SQL that seeds owners `first`..`owners`-1, each with `packages`
    packages of `versions` versions (both dialects)."""
    seeded = f"a.login LIKE 'seed-%' AND CAST(SUBSTR(a.login, 6) AS INTEGER) >= {first}"
    words = " ".join(f"WHEN {i} THEN '{w}'" for i, w in enumerate(WORDS))
    return [
        f"""WITH RECURSIVE s(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {owners})
            INSERT INTO accounts (login, kind, created_at, updated_at)
            SELECT 'seed-' || n, 'user', '{now}', '{now}' FROM s""",
        f"""WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {packages})
            INSERT INTO packages (owner_id, package_type, name, visibility, description, created_at, updated_at)
            SELECT a.id, 'npm', 'pkg-' || s.n, 'public',
                   'a ' || (CASE (a.id * {packages} + s.n) % 8 {words} END) || ' for seeding',
                   '{now}', '{now}'
            FROM accounts a CROSS JOIN s WHERE {seeded}""",
        f"""WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < {versions})
            INSERT INTO versions (package_id, name, metadata, created_at, updated_at)
            SELECT p.id, '1.0.' || s.n,
                   '{{"name":"@' || a.login || '/' || p.name || '","version":"1.0.' || s.n ||
                   '","description":"' || p.description || '","main":"index.js","dependencies":{{}},"dist":{{}}}}',
                   '{now}', '{now}'
            FROM packages p JOIN accounts a ON a.id = p.owner_id CROSS JOIN s WHERE {seeded}""",
        f"""INSERT INTO files (version_id, name, size, sha256, digests, content_type, created_at)
            SELECT v.id, p.name || '-' || v.name || '.tgz', t.size, t.sha256, t.digests, t.content_type, '{now}'
            FROM versions v JOIN packages p ON p.id = v.package_id JOIN accounts a ON a.id = p.owner_id
            CROSS JOIN (SELECT size, sha256, digests, content_type FROM files WHERE id = {template_file}) t
            WHERE {seeded}""",
        f"""INSERT INTO tags (package_id, name, version_id, updated_at)
            SELECT p.id, 'latest', MAX(v.id), '{now}'
            FROM versions v JOIN packages p ON p.id = v.package_id JOIN accounts a ON a.id = p.owner_id
            WHERE {seeded} GROUP BY p.id""",
        f"""INSERT INTO downloads (version_id, day, count)
            SELECT v.id, '{day}', 1 + v.id % 7
            FROM versions v JOIN packages p ON p.id = v.package_id JOIN accounts a ON a.id = p.owner_id
            WHERE {seeded}""",
    ]


def seeded_owners(database):
    """How many `seed-N` owners the database has (they are made in order)."""
    sql = "SELECT COUNT(*) FROM accounts WHERE login LIKE 'seed-%'"
    if database.startswith("sqlite:"):
        conn = sqlite3.connect(sqlite_path(database), timeout=60)
        try:
            return conn.execute(sql).fetchone()[0]
        finally:
            conn.close()
    out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-c", sql, database],
                         check=True, capture_output=True, text=True).stdout
    return int(out.strip())


def sqlite_path(database):
    path = database.split(":", 1)[1].split("?")[0]
    return path[2:] if path.startswith("//") else path


def seed(database, owners, packages, versions, template_file):
    """Seeds up to `owners` owners; returns how many were made."""
    first = seeded_owners(database)
    if first >= owners:
        return 0
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    day = now[:10]
    sql = statements(first, owners, packages, versions, template_file, now, day)
    if database.startswith("sqlite:"):
        conn = sqlite3.connect(sqlite_path(database), timeout=60)
        try:
            with conn:
                for statement in sql:
                    conn.execute(statement)
        finally:
            conn.close()
    else:
        script = "BEGIN;\n" + ";\n".join(sql) + ";\nCOMMIT;\nANALYZE;\n"
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", database],
                       input=script, check=True, text=True, capture_output=True)
    return owners - first


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", required=True, help="sqlite://PATH or postgres://… (as `serve --database`)")
    parser.add_argument("--owners", type=int, default=1000, help="owners in all, seeded ones counted (default 1000)")
    parser.add_argument("--packages", type=int, default=100, help="packages per owner (default 100)")
    parser.add_argument("--versions", type=int, default=10, help="versions per package (default 10)")
    parser.add_argument("--template-file", type=int, required=True,
                        help="the id of a file row whose blob every seeded version's file shares")
    args = parser.parse_args()
    started = time.monotonic()
    made = seed(args.database, args.owners, args.packages, args.versions, args.template_file)
    print(f"seeded {made} owners, {made * args.packages} packages, {made * args.packages * args.versions} "
          f"versions in {time.monotonic() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
