// Contract of the messages flow: what the gateway and the CLI may use.
export { type CleanWriter, writeCleanCommands } from "./clean-commands.js";
export { DEFAULT_RETENTION, RETENTION_VAR, readRetentionMs, SINK_GROUP_ID_VAR } from "./config.js";
export { parseGoDurationMs } from "./go-duration.js";
export { MessagesReader } from "./messages-reader.js";
export { eventTimeMs, MESSAGES_SINK, MESSAGES_TABLES } from "./messages-sink.js";
export { messagesReplayTarget } from "./replay-target.js";
