// An independent relying party for Secuird's end-to-end tests, on the
// openid-client package: discovery, authorization code + PKCE through the
// hosted login form (fetch with manual redirects and cookie handling),
// ID token validation, userinfo, refresh (rotation), revocation.
//
// Usage: node rp.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD
// Prints one line per step and "OK" at the end; exits non-zero on failure.
import * as client from 'openid-client';

const [issuer, clientId, clientSecret, redirectUri, email, password] = process.argv.slice(2);
if (!password) {
  console.error('usage: node rp.mjs ISSUER CLIENT_ID CLIENT_SECRET REDIRECT_URI EMAIL PASSWORD');
  process.exit(2);
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const jar = new Map();
function remember(res) {
  for (const c of res.headers.getSetCookie()) {
    const [pair] = c.split(';');
    const i = pair.indexOf('=');
    const name = pair.slice(0, i).trim();
    const value = pair.slice(i + 1).trim();
    if (value === '' || /max-age=-1|expires=thu, 01 jan 1970/i.test(c)) jar.delete(name);
    else jar.set(name, value);
  }
}
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

// browse fetches url with the cookie jar, following redirects on the
// server and stopping at the relying party's redirect URI.
async function browse(url, init = {}) {
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers || {}), cookie: cookieHeader() } });
    remember(res);
    if (res.status !== 302 && res.status !== 303) return { res, url, body: await res.text() };
    const next = new URL(res.headers.get('location'), url);
    if (next.href.startsWith(redirectUri)) return { res, url: next, body: '' };
    url = next;
    init = {};
  }
  throw new Error('too many redirects');
}

const field = (html, name) => (html.match(new RegExp(`name="${name}" value="([^"]*)"`)) || [])[1];

const config = await client.discovery(new URL(issuer), clientId, undefined, client.ClientSecretBasic(clientSecret), {
  execute: [client.allowInsecureRequests],
});
console.log('discovery', config.serverMetadata().issuer);

const verifier = client.randomPKCECodeVerifier();
const state = client.randomState();
const nonce = client.randomNonce();
const authUrl = client.buildAuthorizationUrl(config, {
  redirect_uri: redirectUri,
  scope: 'openid profile email offline_access',
  code_challenge: await client.calculatePKCECodeChallenge(verifier),
  code_challenge_method: 'S256',
  state,
  nonce,
});

let step = await browse(authUrl);
for (let i = 0; i < 3 && !(step.url instanceof URL && step.url.href.startsWith(redirectUri)); i++) {
  const body = step.body;
  const form = new URLSearchParams({ id: field(body, 'id') || '', csrf_token: field(body, 'csrf_token') || '' });
  let path = '/oidc/login';
  if (body.includes('action="/oidc/consent"')) {
    path = '/oidc/consent';
    form.set('action', 'approve');
  } else {
    assert(body.includes('name="password"'), `expected the login form, got status ${step.res.status}`);
    form.set('email', email);
    form.set('password', password);
  }
  step = await browse(new URL(path, issuer), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
}
assert(step.url instanceof URL && step.url.searchParams.get('code'), 'no authorization code');
console.log('login', 'code received');

const tokens = await client.authorizationCodeGrant(config, step.url, {
  pkceCodeVerifier: verifier,
  expectedState: state,
  expectedNonce: nonce,
  idTokenExpected: true,
});
const claims = tokens.claims();
assert(claims && claims.sub && claims.email === email, 'ID token claims');
assert(tokens.refresh_token, 'no refresh token');
console.log('code exchange', 'sub', claims.sub);

const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
assert(info.email === email, 'userinfo email');
console.log('userinfo', info.email);

const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
assert(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'refresh token not rotated');
console.log('refresh', 'rotated');

await client.tokenRevocation(config, refreshed.refresh_token, { token_type_hint: 'refresh_token' });
let refused = false;
try {
  await client.refreshTokenGrant(config, refreshed.refresh_token);
} catch (e) {
  refused = e.error === 'invalid_grant';
}
assert(refused, 'a revoked refresh token still worked');
console.log('revocation', 'refresh token revoked');
console.log('OK');
