// Contract of the postback-delivery flow: what the CLI and other flows may use.
export { ENV_VARS, SERVICE_NAME } from "./config.js";
export {
  countPostbackStates,
  type PostbackAttemptRow,
  type PostbackDeliveryStatus,
  readPostbackStatus,
} from "./postback-status.js";
export { parseSigningSecrets, webhookSignature } from "./webhook-signature.js";
