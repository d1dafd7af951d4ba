# One image for every Tributary service; each Deployment chooses the service by its command,
# e.g. `node dist/producers/gateway/main.js`. Built by skaffold (see k8s/README.md).
# Docker cannot run on the project's development machines, so this file is not built by the
# test suite; test/k8s/dockerfile.test.ts checks its base images and install commands.
#
# Base image: Node 22 pinned to a minor release. Add the digest (`@sha256:...`, from
# `docker buildx imagetools inspect node:22.20.0-bookworm-slim`) on a machine with registry
# access: none could be looked up here. Node 22 reaches end of life in April 2027; move to the
# next LTS (Node 24) before then: change NODE_IMAGE and `engines` in package.json together.
ARG NODE_IMAGE=node:22.20.0-bookworm-slim

# ---- build: compile TypeScript to dist/ ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The lockfile holds every platform's optional packages, so `npm ci` installs exactly it.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build \
 && mkdir -p /app/sql && find . -path ./node_modules -prune -o -path '*/migrations/*.sql' -exec cp --parents {} /app/sql \;

# ---- deps: production dependencies only ----
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# ---- runtime ----
FROM ${NODE_IMAGE}
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
# The console's pages load these (console/static-files.ts); uplot comes from node_modules.
COPY console/static ./console/static
# The base image's unprivileged `node` user (uid 1000, as the Deployments' runAsUser).
USER 1000:1000
CMD ["node", "dist/producers/gateway/main.js"]
