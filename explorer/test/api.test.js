// The GraphQL helpers, over a stubbed fetch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gql, GqlError, orNull } from '../assets/js/api.js';

function answer(status, body) {
  globalThis.fetch = async () => ({ ok: status === 200, status, statusText: 'x', json: async () => body });
}

test('orNull: a refused id is null, like a missing one; other failures still throw', async () => {
  answer(200, { data: null, errors: [{ message: 'id: invalid bech32' }] });
  await assert.rejects(gql('{ x }'), GqlError);
  assert.equal(await orNull('{ x }'), null);
  answer(200, { data: { device: null } });
  assert.deepEqual(await orNull('{ x }'), { device: null });
  answer(502, null);
  await assert.rejects(orNull('{ x }'), (e) => !(e instanceof GqlError) && /502/.test(e.message));
  globalThis.fetch = async () => { throw new Error('offline'); };
  await assert.rejects(orNull('{ x }'), /Cannot reach the server/);
  delete globalThis.fetch;
});
