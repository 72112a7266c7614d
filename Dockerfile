# lvsfleet: one image for the server and the agents (the command picks the program).
FROM node:20-bookworm-slim
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund && node scripts/build.mjs
ENV NODE_ENV=production
EXPOSE 8080
CMD ["node", "server/dist/main.js"]
