// A child process for the store tests (store-processes.contract.ts): opens a store through the BUILT code in
// dist/ (plain JavaScript, so no TypeScript loader is needed) and adds one ban per address, printing
// "ID ADDRESS" only after addBan resolved, i.e. after the store said the ban is durable. The parent kills it
// mid-way or runs two at once. Plain .mjs on purpose: it is run by node, never compiled or imported.
import { pathToFileURL } from 'node:url';

const { dist, config, from, count, jail } = JSON.parse(process.env.DD_STORE_WRITER ?? '{}');
const { openStore } = await import(pathToFileURL(`${dist}/stores/index.js`).href);
const opened = await openStore(config, { queue: false, hostname: `writer-${process.pid}` });
if (!opened.ok) {
  process.stderr.write(`${opened.error}\n`);
  process.exit(1);
}
const store = opened.value;
for (let i = from; i < from + count; i++) {
  const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
  const ban = await store.addBan({ address, jail, bannedAt: 1_700_000_000_000 + i, until: null, count: 1, reason: 'writer' });
  process.stdout.write(`${ban.id} ${address}\n`);
}
await store.close();
