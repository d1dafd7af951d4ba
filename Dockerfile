# One image for every Tributary service; each Deployment chooses the service by its command,
# e.g. `node dist/producers/gateway/main.js`. Built by skaffold (see k8s/README.md).
# Docker cannot run on the project's development machines, so this file is kept minimal and
# standard and is not built by the test suite.

# ---- build: compile TypeScript to dist/ ----
FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# `npm install` (locked versions), not `npm ci`: the lockfile is written on machines whose
# registry mirror lacks other platforms' optional binaries, which `npm ci` rejects.
RUN npm install --no-audit --no-fund
COPY . .
RUN npm run build \
 && mkdir -p /app/sql && find . -path ./node_modules -prune -o -path '*/migrations/*.sql' -exec cp --parents {} /app/sql \;

# ---- deps: production dependencies only ----
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM node:22-slim
ENV NODE_ENV=production \
    HTTP_HOST=0.0.0.0
WORKDIR /app
# package.json marks dist/ as ES modules.
COPY package.json ./
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time: .proto sources registered with the schema registry (found as /app/schemas,
# or set SCHEMAS_DIR) and the SQL migrations of the Postgres sinks.
COPY schemas ./schemas
# Every flow's migrations/ folder, at its source path (see migrationsDirBeside).
COPY --from=build /app/sql/ ./
# The base image's unprivileged `node` user (uid 1000, as the Deployments' runAsUser).
USER node
CMD ["node", "dist/producers/gateway/main.js"]
