// The adapter's MCP front door as the official MCP TypeScript SDK sees it: the SDK's client
// discovers the authorization server from the first 401 (RFC 9728 metadata, RFC 8414 metadata),
// signs in through the adapter's real sign-in page with PKCE and the resource indicator, and calls
// every tool. Prints one JSON line per check ({check, ok, detail}); exits 1 if any failed.
// Environment: MCP_URL, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, ALICE_PASSWORD, BOB_PASSWORD,
// ACTIONS_TOKEN (a token issued for the Actions API, which /mcp must refuse).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';

const env = (name) => {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set`);
  }
  return value;
};
const mcpUrl = new URL(env('MCP_URL'));

let failures = 0;
const report = (check, ok, detail = undefined) => {
  if (!ok) {
    failures += 1;
  }
  console.log(JSON.stringify({ check, ok, detail }));
};
const check = async (name, body) => {
  try {
    report(name, true, await body());
  } catch (error) {
    report(name, false, `${error?.name}: ${error?.message}`);
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

// The end user's browser: opens the authorization URL the SDK built, signs in on the page and
// returns the authorization response's parameters.
const signIn = async (authorizationUrl, username, password) => {
  const page = await fetch(authorizationUrl, { redirect: 'manual' });
  const html = await page.text();
  assert(page.status === 200, `the authorization page answered ${page.status}: ${html}`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const form = new URLSearchParams();
  for (const match of html.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)) {
    form.append(htmlUnescape(match[1]), htmlUnescape(match[2]));
  }
  form.append('username', username);
  form.append('password', password);
  form.append('decision', 'allow');
  const answer = await fetch(new URL('/oauth/authorize', authorizationUrl), {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: form,
  });
  assert(answer.status === 303, `the sign-in answered ${answer.status}`);
  return new URL(answer.headers.get('location')).searchParams;
};

// A client signing `username` in: the operator-registered one (CLIENT_ID, CLIENT_SECRET, whose
// redirect URI is REDIRECT_URI), or, with `register`, a public client that registers itself
// through the metadata's registration_endpoint (RFC 7591) with a loopback redirect URI.
class SignInProvider {
  constructor(username, password, register) {
    this.username = username;
    this.password = password;
    this.register = register;
    this.registered = undefined;
    this.authorizationUrl = undefined;
    this.code = undefined;
    this.savedTokens = undefined;
    this.verifier = undefined;
    this.expectedState = undefined;
  }
  get redirectUrl() {
    return this.register ? 'http://127.0.0.1:33418/callback' : env('REDIRECT_URI');
  }
  get clientMetadata() {
    return {
      redirect_uris: [String(this.redirectUrl)],
      client_name: 'MCP SDK check',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  state() {
    this.expectedState = crypto.randomUUID();
    return this.expectedState;
  }
  clientInformation() {
    if (this.register) {
      return this.registered;
    }
    return { client_id: env('CLIENT_ID'), client_secret: env('CLIENT_SECRET') };
  }
  saveClientInformation(information) {
    this.registered = information;
  }
  tokens() {
    return this.savedTokens;
  }
  saveTokens(tokens) {
    this.savedTokens = tokens;
  }
  async redirectToAuthorization(url) {
    this.authorizationUrl = url;
    const answer = await signIn(url, this.username, this.password);
    assert(answer.get('state') === this.expectedState, 'the state came back changed');
    this.code = answer.get('code');
  }
  saveCodeVerifier(verifier) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

// A connected SDK client for `username`, signed in the way an MCP host does it: connect, get the
// 401, authorize, finish with the code, connect again.
const connect = async (username, password, register = false) => {
  const provider = new SignInProvider(username, password, register);
  const client = new Client({ name: 'gpt-adapter-mcp-check', version: '1.0.0' });
  try {
    await client.connect(new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider }));
    throw new Error('connected without signing in');
  } catch (error) {
    if (!(error instanceof UnauthorizedError)) {
      throw error;
    }
  }
  assert(provider.code, 'the SDK never reached the sign-in page');
  const transport = new StreamableHTTPClientTransport(mcpUrl, { authProvider: provider });
  await transport.finishAuth(provider.code);
  await client.connect(transport);
  return { client, provider };
};

const text = (result) => result.content.find((block) => block.type === 'text')?.text ?? '';

let alice;
let memoryId;
await check('discovers the authorization server from a 401, registers itself and signs in with PKCE and resource', async () => {
  alice = await connect('alice', env('ALICE_PASSWORD'), true);
  assert(alice.provider.registered?.client_id?.startsWith('gptr_'), 'the SDK did not register a client');
  assert(!alice.provider.registered.client_secret, 'a public client got a secret');
  const url = alice.provider.authorizationUrl;
  assert(url.searchParams.get('code_challenge_method') === 'S256', 'no S256 PKCE');
  assert(url.searchParams.get('resource') === mcpUrl.href, `resource was ${url.searchParams.get('resource')}`);
  const [, payload] = alice.provider.savedTokens.access_token.split('.');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  assert(claims.aud === mcpUrl.href, `the token's audience is ${claims.aud}`);
  return { aud: claims.aud, client_id: claims.client_id, server: alice.client.getServerVersion() };
});

await check('lists every tool with schemas and hints', async () => {
  const { tools } = await alice.client.listTools();
  const names = tools.map((tool) => tool.name);
  for (const expected of ['searchMemories', 'createMemory', 'listMemories', 'getMemory', 'updateMemory',
    'deleteMemory', 'getMemoryHistory', 'forgetAllMemories', 'getJob']) {
    assert(names.includes(expected), `no tool ${expected}`);
  }
  const forget = tools.find((tool) => tool.name === 'forgetAllMemories');
  assert(forget.annotations.destructiveHint === true, 'forgetAllMemories is not destructive');
  const search = tools.find((tool) => tool.name === 'searchMemories');
  assert(search.annotations.readOnlyHint === true, 'searchMemories is not read-only');
  return names;
});

await check('creates a memory and sees its job finish', async () => {
  const created = await alice.client.callTool({
    name: 'createMemory',
    arguments: { content: 'Alice keeps bees on the roof', infer: false },
  });
  assert(!created.isError, text(created));
  const requestId = created.structuredContent.request_id;
  const deadline = Date.now() + 30000;
  for (;;) {
    const job = await alice.client.callTool({ name: 'getJob', arguments: { request_id: requestId } });
    if (job.structuredContent.status === 'succeeded') {
      return requestId;
    }
    assert(Date.now() < deadline, `the job is still ${job.structuredContent.status}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

await check('searches, lists, reads, changes and shows the history of the memory', async () => {
  const found = await alice.client.callTool({ name: 'searchMemories', arguments: { query: 'bees' } });
  assert(!found.isError && found.structuredContent.results.length === 1, text(found));
  memoryId = found.structuredContent.results[0].memory_id;
  const listed = await alice.client.callTool({ name: 'listMemories', arguments: { limit: 10 } });
  assert(listed.structuredContent.results.length === 1, text(listed));
  const got = await alice.client.callTool({ name: 'getMemory', arguments: { memory_id: memoryId } });
  assert(got.structuredContent.memory.content === 'Alice keeps bees on the roof', text(got));
  const changed = await alice.client.callTool({
    name: 'updateMemory', arguments: { memory_id: memoryId, content: 'Alice keeps two hives' },
  });
  assert(!changed.isError, text(changed));
  const history = await alice.client.callTool({ name: 'getMemoryHistory', arguments: { memory_id: memoryId } });
  assert(!history.isError, text(history));
  return memoryId;
});

await check("another end user, through an operator's client, cannot see Alice's memory", async () => {
  const bob = await connect('bob', env('BOB_PASSWORD'));
  const got = await bob.client.callTool({ name: 'getMemory', arguments: { memory_id: memoryId } });
  assert(got.isError === true && got.structuredContent.status === 404, text(got));
  const found = await bob.client.callTool({ name: 'searchMemories', arguments: { query: 'bees' } });
  assert(found.structuredContent.results.length === 0, text(found));
  await bob.client.close();
  return 'refused';
});

await check('an invalid argument is a tool error the model can read', async () => {
  const invalid = await alice.client.callTool({ name: 'searchMemories', arguments: { query: 'x', limit: 0 } });
  assert(invalid.isError === true && text(invalid).includes('#/limit'), text(invalid));
  return text(invalid);
});

await check('deletes the memory and forgets everything', async () => {
  const removed = await alice.client.callTool({ name: 'deleteMemory', arguments: { memory_id: memoryId } });
  assert(!removed.isError, text(removed));
  const forgotten = await alice.client.callTool({ name: 'forgetAllMemories', arguments: {} });
  assert(!forgotten.isError, text(forgotten));
  return 'accepted';
});

await check('a token issued for the Actions API is refused at /mcp', async () => {
  const answer = await fetch(mcpUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${env('ACTIONS_TOKEN')}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  assert(answer.status === 401, `answered ${answer.status}`);
  return answer.headers.get('www-authenticate');
});

await alice?.client.close();
process.exit(failures === 0 ? 0 : 1);
