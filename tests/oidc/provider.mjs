// A real OpenID provider (the certified `oidc-provider`) on loopback, for the sign-in tests.
//
//   node tests/oidc/provider.mjs CONFIG.json
//
// CONFIG.json: { "port", "clients": [...oidc-provider client metadata...],
//                "accounts": { id: { "claims": {...}, "acr": "...", "misbehave": null | {...} } } }
//
// The account is chosen by the standard `login_hint` parameter of the authorization request:
// the interaction logs that account in at once and grants the requested scopes (no pages).
// An account's `misbehave` object replaces claims of the ID tokens issued to it (an expired
// token, another audience, a wrong nonce; null removes a claim), re-signed with the provider's own key, so the
// relying party sees a token that only its checks can refuse.
// Prints "listening <issuer>" on stdout when ready.

import { readFileSync } from "node:fs";
import { decodeJwt, exportJWK, generateKeyPair, importJWK, SignJWT } from "jose";
import Provider from "oidc-provider";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const issuer = `http://127.0.0.1:${config.port}`;
const accounts = config.accounts;

const { privateKey } = await generateKeyPair("RS256", { extractable: true });
const signingJwk = { ...(await exportJWK(privateKey)), kid: "test-key-1", alg: "RS256", use: "sig" };

const provider = new Provider(issuer, {
  clients: config.clients,
  jwks: { keys: [signingJwk] },
  acrValues: config.acrValues,
  claims: { openid: ["sub"], email: ["email"], ksp: ["ksp_role", "ksp_unit", "groups"] },
  scopes: ["openid", "email", "ksp"],
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  cookies: { keys: ["test-cookie-key-not-secret"] },
  ttl: { IdToken: 300, AccessToken: 300, AuthorizationCode: 60, Session: 3600, Grant: 3600, Interaction: 300 },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(_ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return { accountId: id, claims: async () => ({ sub: id, ...account.claims }) };
  },
  async loadExistingGrant(ctx) {
    const { Grant } = ctx.oidc.provider;
    const grantId = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return Grant.find(grantId);
    const grant = new Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope ?? "openid");
    await grant.save();
    return grant;
  },
});

// The interaction: log in the account that login_hint names.
provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (!match || ctx.method !== "GET") return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = details.params.login_hint;
  const account = accounts[accountId];
  if (!account) {
    ctx.status = 400;
    ctx.body = "unknown test account";
    return undefined;
  }
  const result = { login: { accountId, acr: account.acr } };
  ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false }));
  return undefined;
});

// Misbehaviour: alter the ID token of an account that asks for it, re-signed with our key.
const signingKey = await importJWK(signingJwk, "RS256");
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path !== "/token" || ctx.status !== 200 || !ctx.body?.id_token) return;
  const claims = decodeJwt(ctx.body.id_token);
  const misbehave = accounts[claims.sub]?.misbehave;
  if (!misbehave) return;
  const now = Math.floor(Date.now() / 1000);
  const altered = { ...claims, ...misbehave };
  for (const [name, value] of Object.entries(misbehave)) if (value === null) delete altered[name];
  if (misbehave.expired) {
    delete altered.expired;
    altered.iat = now - 7200;
    altered.exp = now - 3600;
  }
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT(altered).setProtectedHeader({ alg: "RS256", kid: signingJwk.kid }).sign(signingKey),
  };
});

provider.listen(config.port, "127.0.0.1", () => {
  process.stdout.write(`listening ${issuer}\n`);
});
