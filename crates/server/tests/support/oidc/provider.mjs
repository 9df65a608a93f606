// A small OpenID Connect provider for Entrepot's single sign-on tests, built on
// panva/oidc-provider (an OpenID-certified implementation).
//
//   OIDC_PORT=0 \
//   OIDC_CLIENTS='[{"client_id":"entrepot","client_secret":"s3cret","redirect_uris":["http://127.0.0.1:9/cb"]}]' \
//   OIDC_ACCOUNTS='{"carol":{"password":"pw","preferred_username":"carol","email":"carol@example.com","email_verified":true,"name":"Carol","groups":["eng"]}}' \
//   node provider.mjs
//
// OIDC_PORT      port on 127.0.0.1 (0 = any free port); the issuer is http://127.0.0.1:<real port>.
// OIDC_CLIENTS   JSON array of client metadata; client_secret_basic unless the client sets
//                "token_endpoint_auth_method" (e.g. "client_secret_post"). Other registered
//                metadata (post_logout_redirect_uris, ...) is passed through to oidc-provider.
// OIDC_ACCOUNTS  JSON object: login -> {password, ...claims}. The subject is "sub-<login>", on
//                purpose different from the login and from preferred_username.
//
// Once listening it prints exactly one line to stdout: "listening http://127.0.0.1:<port>".
// Everything else (oidc-provider notices included) goes to stderr.
//
// Login UI (our own, replacing oidc-provider's devInteractions):
//   GET  /interaction/<uid>        form with inputs "login" and "password", button id "submit"
//   POST /interaction/<uid>/login  wrong password: the form again (HTTP 200) with <p id="error">;
//                                  right password: 303 back to the authorization endpoint, which
//                                  redirects to the client's redirect_uri with code and state.
// Consent is granted automatically (see loadExistingGrant below).
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { promisify } from 'node:util';

// oidc-provider prints "you SHOULD change ..." notices with console.info (stdout); keep stdout
// for the single "listening" line.
console.info = (...args) => console.error(...args);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));

const { default: Provider } = await import('oidc-provider');

const port = Number(process.env.OIDC_PORT ?? 0);
const clients = JSON.parse(process.env.OIDC_CLIENTS ?? '[]');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');
const SCOPES = ['openid', 'profile', 'email', 'groups'];
const subjectOf = (login) => `sub-${login}`;

// accountId (= sub) -> claims, without the password.
function findAccount(_ctx, sub) {
  const login = Object.keys(accounts).find((l) => subjectOf(l) === sub);
  if (login === undefined) return undefined;
  const { password: _password, ...claims } = accounts[login];
  return { accountId: sub, claims: () => ({ ...claims, sub }) };
}

const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, clientId, login = '', error = '') {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign in</title></head>
<body>
  <h1>Sign in to ${esc(clientId)}</h1>
  ${error ? `<p id="error" role="alert">${esc(error)}</p>` : ''}
  <form id="login-form" method="post" action="/interaction/${esc(uid)}/login">
    <label>Login <input id="login" name="login" value="${esc(login)}" autofocus></label>
    <label>Password <input id="password" name="password" type="password"></label>
    <button id="submit" type="submit">Sign in</button>
  </form>
</body></html>`;
}

function send(res, status, body) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
  });
  res.end(body);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

// A fresh signing key and cookie key per run: tests never need them to survive a restart.
const { privateKey } = await promisify(crypto.generateKeyPair)('rsa', { modulusLength: 2048 });

let provider; // created once the real port (hence the issuer) is known
let oidcCallback; // provider.callback(): oidc-provider's own routes

// Our interaction routes; everything else goes to oidc-provider.
async function handle(req, res) {
  const { pathname } = new URL(req.url, 'http://127.0.0.1');
  const m = pathname.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!m) return oidcCallback(req, res);
  try {
    // Reads the interaction cookie; throws SessionNotFound if it is missing or stale.
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== m[1]) return send(res, 400, 'interaction mismatch');
    const clientId = details.params.client_id;

    if (req.method === 'GET' && !m[2]) {
      if (details.prompt.name === 'login') return send(res, 200, loginPage(details.uid, clientId));
      // Any other prompt (consent, e.g. when the client sends prompt=consent):
      // grant whatever is missing, without asking.
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId: details.session.accountId, clientId });
      const missing = details.prompt.details;
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { consent: { grantId } });
    }

    if (req.method === 'POST' && m[2] && details.prompt.name === 'login') {
      const form = await readForm(req);
      const login = form.get('login') ?? '';
      const account = Object.hasOwn(accounts, login) ? accounts[login] : undefined;
      if (!account || account.password !== form.get('password')) {
        return send(res, 200, loginPage(details.uid, clientId, login, 'Invalid login or password.'));
      }
      return provider.interactionFinished(
        req, res,
        { login: { accountId: subjectOf(login) } },
        { mergeWithLastSubmission: false },
      );
    }
    return send(res, 405, 'method not allowed');
  } catch (err) {
    return send(res, 400, `interaction error: ${esc(err.message)} ${esc(err.error_description)}`);
  }
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(err);
    if (!res.headersSent) send(res, 500, 'internal error');
  });
});

server.listen(port, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...c,
    })),
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
    findAccount,
    scopes: SCOPES,
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    // Put the scope-released claims in the ID token too, not only at the userinfo endpoint.
    conformIdTokenClaims: false,
    // PKCE (S256) for every client, confidential ones included.
    pkce: { methods: ['S256'], required: () => true },
    responseTypes: ['code'],
    features: {
      devInteractions: { enabled: false }, // replaced by handle() above
      rpInitiatedLogout: { enabled: true }, // default pages, GET/POST /session/end
      userinfo: { enabled: true },
      // Off so that access tokens stay opaque userinfo tokens and discovery stays minimal.
      resourceIndicators: { enabled: false },
      dPoP: { enabled: false },
      pushedAuthorizationRequests: { enabled: false },
    },
    // Auto-consent: after login, every account gets a grant for all our scopes.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({
        accountId: ctx.oidc.account.accountId,
        clientId: ctx.oidc.client.clientId,
      });
      grant.addOIDCScope(SCOPES.join(' '));
      await grant.save();
      return grant;
    },
    ttl: {
      AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600,
      Interaction: 3600, Session: 86400, Grant: 86400,
    },
  });
  oidcCallback = provider.callback();
  process.stdout.write(`listening ${issuer}\n`);
});

