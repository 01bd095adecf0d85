# syntax=docker/dockerfile:1
#
# kube-gateway container image.
#
#   docker build -t kube-gateway:0.1.0 .
#   docker run --rm -p 12306:12306 -v kgw-data:/data kube-gateway:0.1.0    # embedded PGlite in /data (single replica)
#   docker run --rm -p 12306:12306 -e DATABASE_URL=postgres://… \
#     -e JWT_SECRET=… -e ENCRYPTION_KEY=… kube-gateway:0.1.0                # production: external PostgreSQL
#
# Two stages: the build stage has the dev dependencies (TypeScript) and compiles src/ to dist/; the runtime stage has
# production dependencies only, the compiled code and its non-TypeScript files, and runs as the unprivileged `node`.

# Node 24 LTS, the supported runtime: the same major as .nvmrc, .node-version, package.json "engines" and the pinned
# tools/node24 (test/runtime.test.ts checks that they agree).
ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

# Dependencies first, so source edits do not invalidate the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
# scripts/: the build script's helpers (copy-assets.mjs); demo.ts comes along but never reaches the runtime stage.
COPY scripts ./scripts
COPY src ./src
# The image's build context has no .git: `docker build --build-arg GIT_COMMIT=$(git rev-parse HEAD) .` names the commit
# in kube_gateway_build_info (scripts/write-build-info.mjs); without it the metric says "unknown".
ARG GIT_COMMIT=""
# tsc emits only JavaScript. Files the compiled code reads beside itself must be next to it:
#   dist/db/migrations  (src/db/client.ts: new URL('./migrations', import.meta.url)) — SQL and drizzle's meta/ journal
#   dist/http/graphiql  (the GraphiQL page's HTML and CSS, and bundle/: React 19 + GraphiQL 5 built by esbuild)
# `npm run build` copies them (scripts/copy-assets.mjs); the find below copies every non-TypeScript file of src/ to
# the same place under dist/ whatever the build script does, and the test -f lines fail the build if one is missing.
RUN npm run build \
 && (cd src && find . -type f ! -name '*.ts' -exec cp --parents {} ../dist/ \;) \
 && test -f dist/db/migrations/meta/_journal.json \
 && test -f dist/http/graphiql/bundle/app.js \
 && test -f dist/main.js

# ---------------------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=12306 \
    DATA_DIR=/data
WORKDIR /app

COPY package.json package-lock.json ./
# DATA_DIR holds the embedded database and generated keys when DATABASE_URL is unset; it must be writable by `node`.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force \
 && mkdir -p /data \
 && chown node:node /data

COPY --from=build /app/dist ./dist
# The `kube-gateway` command (db backup / restore / migrate-embedded, token): `docker exec … node bin/kube-gateway.js …`.
COPY bin ./bin

# The base image's `node` user (uid/gid 1000). The Kubernetes manifests pin the same ids (runAsUser: 1000).
USER node
EXPOSE 12306

# Liveness only (/healthz); readiness (/readyz: database reachable and migrated) is for the orchestrator.
# Node's built-in fetch keeps the image free of curl/wget.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 12306) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# node directly (not npm start): it is PID 1 and receives SIGTERM itself, so the gateway's graceful shutdown runs.
# --max-semi-space-size=16: V8 grows its young generation to 128 MB while the modules load and never hands those
# pages back; bounded, the compiled gateway idles at 150 MB RSS on PostgreSQL instead of 239 MB (BENCHMARKS.md, memory).
CMD ["node", "--max-semi-space-size=16", "dist/main.js"]
