# A relay image: `docker compose up` runs `ipts relay` with its repo on a volume.
FROM node:24-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY test ./test
COPY bench ./bench
COPY sim ./sim
RUN npm ci --no-audit --no-fund && npm prune --omit=dev --no-audit --no-fund
ENV IPTS_REPO=/data
VOLUME ["/data"]
EXPOSE 4001 9090
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["relay", "--listen", "/ip4/0.0.0.0/tcp/4001", "--metrics", "0.0.0.0:9090"]
