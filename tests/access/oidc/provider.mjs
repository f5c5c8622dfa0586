// A real OpenID Connect provider (the `oidc-provider` package) for the sign-in tests.
//
// Configured from the environment by the test that starts it:
//   OIDC_FD        an inherited socket, bound to a loopback port, to listen on
//   OIDC_PORT      that port (the issuer is http://127.0.0.1:PORT)
//   OIDC_CLIENTS   JSON list of {client_id, client_secret, redirect_uris}
//   OIDC_ACCOUNTS  JSON object: login -> claims ({email, email_verified, name, ...})
//
// Login is non-interactive in the sense that no browser is needed: the development
// interactions render plain HTML forms (login, then consent) that the test posts with httpx.
// Any password is accepted; the login names the account. PKCE is required for every client.
import { generateKeyPairSync } from 'node:crypto';

import Provider from 'oidc-provider';

const fd = Number(process.env.OIDC_FD);
const port = Number(process.env.OIDC_PORT);
const clients = JSON.parse(process.env.OIDC_CLIENTS);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: clients.map((client) => ({
    ...client,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: ['a cookie key for tests only'] },
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'preferred_username', 'upn'],
  },
  // Put the scopes' claims in the ID token itself, as Entra ID and most providers do.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  async findAccount(_ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});

provider.listen({ fd }, () => {
  console.log(`oidc-provider listening on http://127.0.0.1:${port}`);
});
