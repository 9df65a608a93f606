#!/usr/bin/env python3
"""Test SAML 2.0 identity provider (pysaml2), for the server's integration tests.

    python -W ignore idp.py PORT SP_ENTITY_ID ACS_URL DIR

DIR holds idp.key/idp.crt; they are made with openssl if missing. PORT may be 0
(an ephemeral port). Prints "READY <port>" once listening on 127.0.0.1:<port>.
The IdP's entity ID is http://127.0.0.1:<port>/metadata.

  GET  /sso?SAMLRequest=...&RelayState=...   HTTP-Redirect binding; 400 if the
       AuthnRequest is refused, else a login form (POST /login: key, user, variant).
  POST /login  key, user, variant            the HTTP-POST auto-submit form from
       pysaml2 (hidden SAMLResponse and RelayState, action = the ACS URL).

Variants (see VARIANTS): good, assertion, response, unsigned, audience, expired, sha1.
The module is also imported by crates/service/src/saml/fixtures/make.py.
"""
import datetime
import html
import http.server
import logging
import os
import subprocess
import sys
import threading
import time
import urllib.parse

import saml2.time_util
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.assertion import Policy
from saml2.authn_context import PASSWORD, AuthnBroker, authn_context_class_ref
from saml2.config import IdPConfig
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256

LIFETIME_MINUTES = 5
POLICY = {"default": {"lifetime": {"minutes": LIFETIME_MINUTES}}}
EVIL_AUDIENCE = "http://evil.example/"

# variant -> (sign_response, sign_assertion, sign_alg, digest_alg, extra)
VARIANTS = {
    "good": (True, True, SIG_RSA_SHA256, DIGEST_SHA256, None),
    "assertion": (False, True, SIG_RSA_SHA256, DIGEST_SHA256, None),
    "response": (True, False, SIG_RSA_SHA256, DIGEST_SHA256, None),
    "unsigned": (False, False, SIG_RSA_SHA256, DIGEST_SHA256, None),
    # <saml:Audience> (and nothing else) names another SP; both signed.
    "audience": (True, True, SIG_RSA_SHA256, DIGEST_SHA256, "audience"),
    # Made as if 10 minutes ago: every instant is 10 min back, so Conditions and
    # SubjectConfirmationData NotOnOrAfter are 5 min in the past; both signed.
    "expired": (True, True, SIG_RSA_SHA256, DIGEST_SHA256, "expired"),
    "sha1": (True, True, SIG_RSA_SHA1, DIGEST_SHA1, None),
}


class Clock:
    """Stands in for the `time` module inside saml2.time_util, which makes every
    instant pysaml2 writes (IssueInstant, NotBefore, NotOnOrAfter, AuthnInstant).
    `fixed` (epoch seconds) freezes it; `offset` shifts it."""

    fixed = None
    offset = 0.0

    def time(self):
        return self.fixed if self.fixed is not None else time.time() + self.offset

    def gmtime(self, secs=None):
        return time.gmtime(self.time() if secs is None else secs)

    def __getattr__(self, name):
        return getattr(time, name)


CLOCK = Clock()


class _ClockDatetime(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.fromtimestamp(CLOCK.time(), tz)


logging.getLogger("saml2").addHandler(logging.NullHandler())  # errors go in the 400 text

saml2.time_util.time = CLOCK
saml2.time_util.datetime = _ClockDatetime

# pysaml2 calls go through this lock: the clock is process-wide.
LOCK = threading.Lock()


def ensure_keys(d):
    key, crt = os.path.join(d, "idp.key"), os.path.join(d, "idp.crt")
    if not (os.path.exists(key) and os.path.exists(crt)):
        os.makedirs(d, exist_ok=True)
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
             "-out", crt, "-days", "2", "-subj", "/CN=test-idp"],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return key, crt


def build_idp(entity_id, sso_url, sp_entity, acs, key_file, cert_file):
    sp_meta = f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{html.escape(sp_entity)}">
<md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
<md:AssertionConsumerService Binding="{BINDING_HTTP_POST}" Location="{html.escape(acs)}" index="0"/>
</md:SPSSODescriptor></md:EntityDescriptor>"""
    conf = IdPConfig()
    conf.load({
        "entityid": entity_id,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "key_file": key_file, "cert_file": cert_file,
        "metadata": {"inline": [sp_meta]},
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(sso_url, BINDING_HTTP_REDIRECT)]},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "want_authn_requests_signed": False,
            "sign_response": True, "sign_assertion": True,
            "policy": POLICY,
        }},
    })
    return Server(config=conf)


class _EvilAudiencePolicy(Policy):
    """The configured policy, but the Conditions name EVIL_AUDIENCE. (Passing
    another sp_entity_id fails: pysaml2 looks it up in the SP metadata.)"""

    def conditions(self, sp_entity_id):
        conds = super().conditions(sp_entity_id)
        conds.audience_restriction[0].audience[0].text = EVIL_AUDIENCE
        return conds


_BROKER = AuthnBroker()
_BROKER.add(authn_context_class_ref(PASSWORD), "")


def make_response(idp, user, variant, in_response_to, destination, sp_entity_id, **args):
    """The Response XML (str) exactly as pysaml2 makes it. Caller holds LOCK."""
    sign_response, sign_assertion, sign_alg, digest_alg, extra = VARIANTS[variant]
    if extra == "audience":
        args["release_policy"] = _EvilAudiencePolicy(POLICY, mds=idp.metadata)
    saved = CLOCK.offset
    if extra == "expired":
        CLOCK.offset = saved - 2 * LIFETIME_MINUTES * 60
    try:
        resp = idp.create_authn_response(
            {"mail": [f"{user}@example.test"]}, in_response_to, destination, sp_entity_id,
            userid=user,
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=f"id-{user}"),
            authn=_BROKER.get_authn_by_accr(PASSWORD),
            sign_response=sign_response, sign_assertion=sign_assertion,
            sign_alg=sign_alg, digest_alg=digest_alg, **args)
    finally:
        CLOCK.offset = saved
    return str(resp)


def main():
    port, sp_entity, acs, d = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    key_file, cert_file = ensure_keys(d)
    pending = {}  # AuthnRequest ID -> (response_args, RelayState)

    class H(http.server.BaseHTTPRequestHandler):
        def page(self, body, status=200):
            b = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)

        def do_GET(self):
            u = urllib.parse.urlsplit(self.path)
            if u.path != "/sso":
                return self.page("not found", 404)
            q = urllib.parse.parse_qs(u.query)
            try:
                with LOCK:
                    req = idp.parse_authn_request(q["SAMLRequest"][0], BINDING_HTTP_REDIRECT)
                    # destination, in_response_to, sp_entity_id, name_id_policy, binding;
                    # raises SAMLError unless the SP metadata has the requested ACS URL
                    # (parse_authn_request doesn't check it).
                    args = idp.response_args(req.message)
            except Exception as e:  # unknown SP or ACS, bad version, undecodable...
                return self.page(f"bad AuthnRequest: {html.escape(repr(e))}", 400)
            key = req.message.id
            pending[key] = (args, q.get("RelayState", [""])[0])
            options = "".join(f'<option value="{v}">{v}</option>' for v in VARIANTS)
            self.page(f"""<!DOCTYPE html>
<html><body>
<form method="post" action="/login">
<input type="hidden" name="key" value="{html.escape(key)}">
<input type="text" name="user">
<select name="variant">{options}</select>
<button>Sign in</button>
</form>
</body></html>""")

        def do_POST(self):
            if urllib.parse.urlsplit(self.path).path != "/login":
                return self.page("not found", 404)
            n = int(self.headers.get("Content-Length", 0))
            f = urllib.parse.parse_qs(self.rfile.read(n).decode(), keep_blank_values=True)
            entry = pending.pop(f.get("key", [""])[0], None)
            if entry is None:
                return self.page("unknown key", 400)
            args, relay = entry
            user = f.get("user", [""])[0]
            variant = f.get("variant", ["good"])[0] or "good"
            if not user or variant not in VARIANTS:
                return self.page("bad user or variant", 400)
            try:
                with LOCK:
                    xml = make_response(idp, user, variant, **args)
                    http_args = idp.apply_binding(BINDING_HTTP_POST, xml, args["destination"],
                                                  relay_state=relay, response=True)
            except Exception as e:
                return self.page(f"error: {html.escape(repr(e))}", 500)
            self.page(http_args["data"])

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    port = srv.server_address[1]
    base = f"http://127.0.0.1:{port}"
    idp = build_idp(f"{base}/metadata", f"{base}/sso", sp_entity, acs, key_file, cert_file)
    print("READY", port, flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
