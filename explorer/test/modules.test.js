// Every module but main.js loads without a browser: none touches the DOM
// or the vendored globals while loading (main.js is the one entry that does).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = new URL('../assets/js/', import.meta.url);
const modules = readdirSync(fileURLToPath(dir), { recursive: true }).filter((f) => f.endsWith('.js') && f !== 'main.js');

test('modules load without a DOM', async () => {
  assert.ok(modules.length >= 15, `${modules.length} modules`);
  for (const f of modules) await import(new URL(f, dir));
});
