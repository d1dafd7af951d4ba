export type { ParsedApiKey } from "./api-key.js";
export {
  API_KEY_PREFIX,
  bearerToken,
  formatApiKey,
  generateApiKey,
  hashSecret,
  parseApiKey,
  secretMatches,
} from "./api-key.js";
export type { AuthenticatorDeps, Principal } from "./authenticator.js";
export { Authenticator, requireOwnClient } from "./authenticator.js";
export type { ApiKeyRecord, NewApiKey } from "./key-store.js";
export { authMigrationsDir, DEFAULT_BURST, DEFAULT_RATE_PER_SECOND, PgApiKeyStore } from "./key-store.js";
export type { Scope } from "./scopes.js";
export { isScope, parseScopes, SCOPES } from "./scopes.js";
export type { TakeResult } from "./token-bucket.js";
export { RedisTokenBucket, TOKEN_BUCKET_SCRIPT } from "./token-bucket.js";
