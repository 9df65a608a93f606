// Verifies one package version's registry signature the way `npm audit
// signatures` does once it falls back from Sigstore's TUF repository to
// the registry's own keys (which it does for any registry but npm's): the
// keys from REGISTRY/-/npm/v1/keys, then npm's own pacote fetching the
// full packument with `verifySignatures`. With `tamper`, every key keeps
// its id but not its key material: pacote must then refuse.
//
// node verify.mjs REGISTRY SPEC TOKEN [tamper]
// Prints {"ok": true, "signatures": [...]} or {"ok": false, "code": ...}.
import { execSync } from 'node:child_process'
import crypto from 'node:crypto'
import { createRequire } from 'node:module'

const [registry, spec, token, mode] = process.argv.slice(2)
const npmRoot = execSync('npm root -g').toString().trim()
const require = createRequire(`${npmRoot}/npm/package.json`)
const pacote = require('pacote')

const headers = token ? { authorization: `Bearer ${token}` } : {}
const { keys } = await (await fetch(new URL('-/npm/v1/keys', registry), { headers })).json()
const pem = (b64) => `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----`
const listed = keys.map((key) => {
  let material = key.key
  if (mode === 'tamper') {
    const { publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
    material = publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
  }
  return { ...key, pemkey: pem(material) }
})
const url = new URL(registry)
const regKey = `//${url.host}${url.pathname}`
try {
  const manifest = await pacote.manifest(spec, {
    registry,
    verifySignatures: true,
    [`${regKey}:_keys`]: listed,
    [`${regKey}:_authToken`]: token,
    cache: `${process.env.HOME || '/tmp'}/.verify-cache-${process.pid}`,
    preferOnline: true,
  })
  console.log(JSON.stringify({ ok: true, signatures: manifest._signatures || [] }))
} catch (e) {
  console.log(JSON.stringify({ ok: false, code: e.code, message: e.message }))
}
