// A CI provider's OpenID Connect issuer for the tests, as GitHub Actions'
// looks to a registry and to the npm CLI: a discovery document, its keys
// (RS256), and `GET /token?audience=A&claims=JSON` answering `{"value":
// JWT}` to a caller with `Authorization: Bearer request-token`, as
// ACTIONS_ID_TOKEN_REQUEST_URL does. `claims` (URL-encoded JSON) adds to
// or replaces the default claims, `exp` and `aud` included. Node's own
// crypto only: nothing to install. Prints `listening URL` once ready.
import http from 'node:http'
import crypto from 'node:crypto'

const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const kid = crypto.randomBytes(8).toString('hex')
const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }
const b64 = (value) => Buffer.from(value).toString('base64url')

let issuer = ''

function sign (claims) {
  const header = b64(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid }))
  const payload = b64(JSON.stringify(claims))
  const signature = crypto.sign('sha256', Buffer.from(`${header}.${payload}`), privateKey)
  return `${header}.${payload}.${signature.toString('base64url')}`
}

function token (audience, extra) {
  const now = Math.floor(Date.now() / 1000)
  return sign({
    iss: issuer,
    aud: audience,
    sub: 'repo:acme/widget:ref:refs/tags/v1.0.0',
    jti: crypto.randomUUID(),
    iat: now,
    nbf: now - 5,
    exp: now + 300,
    repository: 'acme/widget',
    repository_owner: 'acme',
    repository_visibility: 'private',
    ref: 'refs/tags/v1.0.0',
    workflow_ref: 'acme/widget/.github/workflows/release.yml@refs/tags/v1.0.0',
    job_workflow_ref: 'acme/widget/.github/workflows/release.yml@refs/tags/v1.0.0',
    environment: 'release',
    ...extra,
  })
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url, issuer)
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }
  if (url.pathname === '/.well-known/openid-configuration') {
    return json(200, {
      issuer,
      jwks_uri: `${issuer}/keys`,
      subject_types_supported: ['public'],
      response_types_supported: ['id_token'],
      id_token_signing_alg_values_supported: ['RS256'],
    })
  }
  if (url.pathname === '/keys') {
    return json(200, { keys: [jwk] })
  }
  if (url.pathname === '/token') {
    if (req.headers.authorization !== 'Bearer request-token') {
      return json(401, { message: 'bad request token' })
    }
    const extra = JSON.parse(url.searchParams.get('claims') || '{}')
    return json(200, { value: token(url.searchParams.get('audience'), extra) })
  }
  json(404, { message: 'not found' })
})

server.listen(Number(process.env.ISSUER_PORT || 0), '127.0.0.1', () => {
  issuer = `http://127.0.0.1:${server.address().port}`
  console.log(`listening ${issuer}`)
})
