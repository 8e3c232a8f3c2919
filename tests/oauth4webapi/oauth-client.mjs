// The API's authorization server as oauth4webapi (a strict, widely used OAuth 2 client) sees it.
// Run by tests/integration/oauth4webapi_test.cpp against a real API; the environment names the
// server, two registered clients and an end user:
//   ISSUER, CLIENT_ID, CLIENT_SECRET, POST_CLIENT_ID, POST_CLIENT_SECRET, REDIRECT_URI, USERNAME,
//   PASSWORD.
// Each check prints one JSON line {"check": name, "ok": true|false, "detail": ...}; the process
// exits 1 when any failed. Only the browser (the authorization page and its sign-in form) is
// played by plain fetch; everything a client does goes through oauth4webapi.

import { webcrypto } from 'node:crypto';

// Node 18 (Debian 12's) has Web Crypto only as node:crypto's export.
if (!globalThis.crypto) {
  globalThis.crypto = webcrypto;
}
const oauth = await import('oauth4webapi');

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
};

const issuer = new URL(env('ISSUER'));
const redirectUri = env('REDIRECT_URI');
const basicClient = { client_id: env('CLIENT_ID') };
const basicAuth = oauth.ClientSecretBasic(env('CLIENT_SECRET'));
const postClient = { client_id: env('POST_CLIENT_ID'), token_endpoint_auth_method: 'client_secret_post' };
const postAuth = oauth.ClientSecretPost(env('POST_CLIENT_SECRET'));

// The test's API listens on 127.0.0.1; its default issuer says localhost, which may resolve to ::1.
const loopbackFetch = (url, options) =>
  fetch(String(url).replace('://localhost:', '://127.0.0.1:'), options);
const options = { [oauth.allowInsecureRequests]: true, [oauth.customFetch]: loopbackFetch };

let failures = 0;
const report = (check, ok, detail = undefined) => {
  if (!ok) {
    failures += 1;
  }
  console.log(JSON.stringify({ check, ok, detail }));
};
const check = async (name, body) => {
  try {
    const detail = await body();
    report(name, true, detail);
  } catch (error) {
    report(name, false, `${error?.name}: ${error?.message} ${JSON.stringify(error?.cause ?? null)}`);
  }
};
// Expects `body` to throw oauth4webapi's ResponseBodyError with this OAuth error code, or (for a
// 401 with a challenge, RFC 6749 §5.2) its WWWAuthenticateChallengeError, whose body must then
// carry the code.
const expectOAuthError = async (name, code, body) => {
  try {
    await body();
    report(name, false, `succeeded, expected ${code}`);
  } catch (error) {
    let got = `${error?.name}: ${error?.message}`;
    if (error instanceof oauth.ResponseBodyError) {
      got = error.error;
    } else if (error instanceof oauth.WWWAuthenticateChallengeError) {
      const challenge = error.cause?.[0]?.scheme;
      const answer = await error.response.json();
      got = error.response.status === 401 && challenge === 'basic' ? answer.error : `${challenge} ${answer.error}`;
    }
    report(name, got === code, got);
  }
};
const assert = (condition, message) => {
  if (!condition) {
    throw new Error(message);
  }
};

const htmlUnescape = (text) =>
  text
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');

// The end user's browser: opens the authorization URL, signs in on the form and returns the
// redirect's Location (the authorization response).
const signIn = async (authorizationUrl) => {
  const page = await loopbackFetch(authorizationUrl, { redirect: 'manual' });
  const html = await page.text();
  assert(page.status === 200, `the authorization page answered ${page.status}: ${html}`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.append(htmlUnescape(match[1]), htmlUnescape(match[2]));
  }
  form.append('username', env('USERNAME'));
  form.append('password', env('PASSWORD'));
  form.append('decision', 'allow');
  const answer = await loopbackFetch(new URL('/oauth/authorize', authorizationUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: form,
  });
  assert(answer.status === 303, `the sign-in answered ${answer.status}`);
  return new URL(answer.headers.get('location'));
};

// The authorization code flow: with PKCE S256 (codeVerifier set) or without (oauth.nopkce).
const codeFlow = async (client, clientAuth, usePkce) => {
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', client.client_id);
  url.searchParams.set('redirect_uri', redirectUri);
  url.searchParams.set('state', state);
  url.searchParams.set('scope', 'memories:read memories:write');
  let verifier = oauth.nopkce;
  if (usePkce) {
    verifier = oauth.generateRandomCodeVerifier();
    url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
    url.searchParams.set('code_challenge_method', 'S256');
  }
  const callback = await signIn(url);
  // Checks state and, as the metadata promises it (RFC 9207), iss.
  const params = oauth.validateAuthResponse(as, client, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as, client, clientAuth, params, redirectUri, verifier, options);
  return oauth.processAuthorizationCodeResponse(as, client, response);
};

// Validates the access token as a resource server would (RFC 9068), against the JWKS.
const validateAccessToken = (token) =>
  oauth.validateJwtAccessToken(
    as,
    new Request('https://resource.example/api', { headers: { authorization: `Bearer ${token}` } }),
    as.issuer,
    options);

const introspect = async (client, clientAuth, token) =>
  oauth.processIntrospectionResponse(
    as, client, await oauth.introspectionRequest(as, client, clientAuth, token, options));

const refresh = async (client, clientAuth, token) =>
  oauth.processRefreshTokenResponse(
    as, client, await oauth.refreshTokenGrantRequest(as, client, clientAuth, token, options));

// --- Discovery (RFC 8414) ----------------------------------------------------------------------
let as;
await check('discovery', async () => {
  as = await oauth.processDiscoveryResponse(
    issuer, await oauth.discoveryRequest(issuer, { ...options, algorithm: 'oauth2' }));
  assert(as.authorization_response_iss_parameter_supported === true,
    'authorization_response_iss_parameter_supported is not true');
  assert(JSON.stringify(as.code_challenge_methods_supported) === '["S256"]',
    `code_challenge_methods_supported: ${JSON.stringify(as.code_challenge_methods_supported)}`);
  return as.issuer;
});
if (!as) {
  process.exit(1);
}

// --- Client credentials, both authentication methods --------------------------------------------
for (const [name, client, clientAuth] of [
  ['client_secret_basic', basicClient, basicAuth],
  ['client_secret_post', postClient, postAuth],
]) {
  await check(`client_credentials ${name}`, async () => {
    const tokens = await oauth.processClientCredentialsResponse(
      as, client,
      await oauth.clientCredentialsGrantRequest(
        as, client, clientAuth, new URLSearchParams({ scope: 'memories:read' }), options));
    assert(tokens.token_type === 'bearer', `token_type ${tokens.token_type}`);
    const claims = await validateAccessToken(tokens.access_token);
    assert(claims.client_id === client.client_id, `client_id ${claims.client_id}`);
    assert(claims.sub === client.client_id, `sub ${claims.sub}`);
    return claims.scope;
  });
}
await expectOAuthError('client_credentials with a wrong secret', 'invalid_client', async () =>
  oauth.processClientCredentialsResponse(
    as, basicClient,
    await oauth.clientCredentialsGrantRequest(
      as, basicClient, oauth.ClientSecretBasic('wrong secret'), new URLSearchParams(), options)));

// --- Code flow with and without PKCE, refresh rotation, revocation, introspection ---------------
let pkceTokens;
await check('code flow with PKCE S256 (client_secret_basic)', async () => {
  pkceTokens = await codeFlow(basicClient, basicAuth, true);
  assert(pkceTokens.refresh_token, 'no refresh token');
  const claims = await validateAccessToken(pkceTokens.access_token);
  assert(claims.client_id === basicClient.client_id, `client_id ${claims.client_id}`);
  assert(claims.sub !== basicClient.client_id, 'sub is the client, not the end user');
  for (const claim of ['iat', 'exp', 'jti', 'aud', 'iss']) {
    assert(claims[claim] !== undefined, `no ${claim}`);
  }
  return { sub: claims.sub, scope: claims.scope };
});

let plainTokens;
await check('code flow without PKCE (client_secret_post)', async () => {
  plainTokens = await codeFlow(postClient, postAuth, false);
  const claims = await validateAccessToken(plainTokens.access_token);
  assert(claims.client_id === postClient.client_id, `client_id ${claims.client_id}`);
  return claims.scope;
});

await check('PKCE plain is refused at the authorization endpoint', async () => {
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint);
  for (const [name, value] of Object.entries({
    response_type: 'code', client_id: basicClient.client_id, redirect_uri: redirectUri, state,
    code_challenge: oauth.generateRandomCodeVerifier(), code_challenge_method: 'plain',
  })) {
    url.searchParams.set(name, value);
  }
  const answer = await loopbackFetch(url, { redirect: 'manual' });
  assert(answer.status === 303, `answered ${answer.status}`);
  try {
    oauth.validateAuthResponse(as, basicClient, new URL(answer.headers.get('location')), state);
  } catch (error) {
    // The error response itself passed the iss and state checks.
    assert(error instanceof oauth.AuthorizationResponseError, `${error?.name}: ${error?.message}`);
    assert(error.error === 'invalid_request', error.error);
    return error.error_description;
  }
  throw new Error('the authorization response was a success');
});

let rotated;
if (pkceTokens) {
  await check('refresh rotation', async () => {
    rotated = await refresh(basicClient, basicAuth, pkceTokens.refresh_token);
    assert(rotated.refresh_token && rotated.refresh_token !== pkceTokens.refresh_token,
      'the refresh token was not rotated');
    await validateAccessToken(rotated.access_token);
    return rotated.scope;
  });
  await expectOAuthError('another client cannot use the refresh token', 'invalid_grant', async () =>
    refresh(postClient, postAuth, rotated.refresh_token));
  await check('introspection of an active refresh token and access token', async () => {
    const described = await introspect(basicClient, basicAuth, rotated.refresh_token);
    assert(described.active === true, 'refresh token inactive');
    assert(described.client_id === basicClient.client_id, `client_id ${described.client_id}`);
    const access = await introspect(basicClient, basicAuth, rotated.access_token);
    assert(access.active === true, 'access token inactive');
    const other = await introspect(postClient, postAuth, rotated.refresh_token);
    assert(other.active === false, "another client sees the token as active");
    return access.scope;
  });
  await expectOAuthError('reuse of a rotated refresh token', 'invalid_grant', async () =>
    refresh(basicClient, basicAuth, pkceTokens.refresh_token));
  await check('reuse revoked the whole family', async () => {
    const described = await introspect(basicClient, basicAuth, rotated.refresh_token);
    assert(described.active === false, 'the latest refresh token is still active');
    const access = await introspect(basicClient, basicAuth, rotated.access_token);
    assert(access.active === false, 'the latest access token is still active');
  });
}

if (plainTokens) {
  await check('revocation (client_secret_post)', async () => {
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, postClient, postAuth, plainTokens.refresh_token, options));
    const described = await introspect(postClient, postAuth, plainTokens.refresh_token);
    assert(described.active === false, 'still active after revocation');
    const access = await introspect(postClient, postAuth, plainTokens.access_token);
    assert(access.active === false, 'its access token is still active');
  });
  await expectOAuthError('a revoked refresh token is refused', 'invalid_grant', async () =>
    refresh(postClient, postAuth, plainTokens.refresh_token));
}

await check('a tampered access token fails JWKS validation', async () => {
  const tokens = await oauth.processClientCredentialsResponse(
    as, basicClient,
    await oauth.clientCredentialsGrantRequest(as, basicClient, basicAuth, new URLSearchParams(), options));
  const [header, payload, signature] = tokens.access_token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url'));
  claims.sub = 'someone-else';
  const forged = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
  try {
    await validateAccessToken(forged);
  } catch (error) {
    return `${error?.name}: ${error?.message}`;
  }
  throw new Error('the forged token validated');
});

process.exit(failures === 0 ? 0 : 1);
