# GitHub's Python client, PyGithub, against Entrepot with only base_url
# changed. PyGithub has no packages API of its own, so the packages are
# reached through its requester and its PaginatedList (Link headers), as a
# script that extends PyGithub does.
# usage: python3 pygithub.py BASE_URL/api/v3 TOKEN
import json
import sys

from github import Auth, BadCredentialsException, Github, UnknownObjectException
from github.GithubObject import NonCompletableGithubObject
from github.PaginatedList import PaginatedList


class Named(NonCompletableGithubObject):
    """A package or a version: its id and name."""

    def _initAttributes(self):
        self.id = None
        self.name = None

    def _useAttributes(self, attributes):
        self.id = attributes.get("id")
        self.name = attributes.get("name")


base, token = sys.argv[1], sys.argv[2]
g = Github(base_url=base, auth=Auth.Token(token), per_page=40, retry=None)
out = {}
me = g.get_user()
out["login"] = me.login
out["scopes"] = sorted(g.oauth_scopes or [])
out["rate_limit"] = g.get_rate_limit().resources.core.limit
out["org"] = g.get_organization("acme").login
out["user"] = g.get_user("bob").login

req = g.requester
packages = PaginatedList(Named, req, f"{base}/user/packages", {"package_type": "npm"})
out["packages"] = len(list(packages))
versions_url = f"{base}/user/packages/npm/hello/versions"
versions = list(PaginatedList(Named, req, versions_url, {"per_page": 1}))
out["versions"] = [v.name for v in versions]
oldest = next(v for v in versions if v.name == "1.0.0")
req.requestJsonAndCheck("DELETE", f"{versions_url}/{oldest.id}")
out["after_delete"] = [v.name for v in PaginatedList(Named, req, versions_url, None)]
req.requestJsonAndCheck("POST", f"{versions_url}/{oldest.id}/restore")
out["restored"] = len(list(PaginatedList(Named, req, versions_url, None)))

try:
    req.requestJsonAndCheck("GET", f"{base}/user/packages/npm/missing")
    out["missing"] = "found"
except UnknownObjectException as e:
    out["missing"] = e.status
try:
    Github(base_url=base, auth=Auth.Token("ghp_wrong"), retry=None).get_user().login
    out["bad_token"] = "accepted"
except BadCredentialsException as e:
    out["bad_token"] = e.status
print(json.dumps(out))
