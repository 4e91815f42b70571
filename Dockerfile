# The ipts relay image (also runs every other ipts command: `docker run ipts:local send ...`).
#
# Three stages: `build` compiles TypeScript with the dev dependencies; `deps` installs the runtime
# dependencies alone; the final image holds those, the compiled src/ and the launcher, nothing
# else (no dev dependencies, no tests, bench or sim, no TypeScript sources), and runs as the
# unprivileged `node` user. Install scripts are skipped: the image brings its own Node 24 (the
# `node` package's script fetches one), classic-level loads its prebuilt binary at run time,
# and protobufjs's script only checks versions.
#
# Settings come through the environment (see README's settings table): the relay listens on
# every interface for peers, but serves its status page and metrics on the container's loopback
# only, where HEALTHCHECK asks. Set IPTS_METRICS=0.0.0.0:9090 to publish them (compose does,
# to the host's loopback).

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY src ./src
RUN node_modules/.bin/tsc -p tsconfig.json

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    IPTS_REPO=/data \
    IPTS_LISTEN=/ip4/0.0.0.0/tcp/4001 \
    IPTS_METRICS=127.0.0.1:9090
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json ./
COPY bin ./bin
RUN ln -s /app/bin/ipts /usr/local/bin/ipts && mkdir -p /data /shared && chown node:node /data /shared
USER node
VOLUME ["/data"]
EXPOSE 4001 9090
# healthy when the relay answers /status on its metrics address (0.0.0.0 is asked as loopback)
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const a = (process.env.IPTS_METRICS ?? '127.0.0.1:9090').replace(/^0\\.0\\.0\\.0:/, '127.0.0.1:').replace(/^\\[::\\]:/, '[::1]:'); fetch('http://' + a + '/status', { signal: AbortSignal.timeout(4000) }).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["ipts"]
CMD ["relay"]
