-- API keys of the front doors (runtime/auth). Only the SHA-256 of the secret is stored: the
-- secret is 32 random bytes, so a plain hash is as strong as a slow one and can be checked per call.
CREATE TABLE IF NOT EXISTS tributary_api_keys (
  key_id text PRIMARY KEY,
  client_id text NOT NULL,
  scopes text[] NOT NULL,
  secret_sha256 bytea NOT NULL,
  rate_per_second double precision NOT NULL CHECK (rate_per_second > 0),
  burst integer NOT NULL CHECK (burst >= 1),
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);
CREATE INDEX IF NOT EXISTS tributary_api_keys_client ON tributary_api_keys (client_id);
