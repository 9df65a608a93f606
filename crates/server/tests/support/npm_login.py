#!/usr/bin/env python3
"""Answers `npm login --auth-type=legacy` prompts through a pseudo-terminal,
since npm reads them from a TTY. usage: npm_login.py REGISTRY USER PASSWORD"""
import os
import pty
import select
import sys
import time

registry, user, password = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.execvp("npm", ["npm", "login", "--registry", registry, "--auth-type=legacy"])
answers = {b"Username:": user, b"Password:": password, b"Email": f"{user}@example.test"}
seen, sent = b"", set()
deadline = time.time() + 60
while time.time() < deadline:
    ready, _, _ = select.select([fd], [], [], 0.5)
    if not ready:
        continue
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    seen += chunk
    for prompt, answer in answers.items():
        if prompt in seen and prompt not in sent:
            os.write(fd, (answer + "\n").encode())
            sent.add(prompt)
_, status = os.waitpid(pid, 0)
sys.stdout.write(seen.decode(errors="replace"))
sys.exit(os.waitstatus_to_exitcode(status))
