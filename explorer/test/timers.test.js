// debounce and throttle, on mocked timers and an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { debounce, throttle } from '../assets/js/timers.js';

test('debounce runs once after the calls stop', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const got = [];
  const f = debounce((x) => got.push(x), 100);
  f(1); t.mock.timers.tick(50); f(2); t.mock.timers.tick(99);
  assert.deepEqual(got, []);
  t.mock.timers.tick(1);
  assert.deepEqual(got, [2]);
});

test('throttle runs at once, then at most once per period, trailing', (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  let now = 1000, runs = 0;
  const clock = () => now;
  const tick = (ms) => { now += ms; t.mock.timers.tick(ms); };
  const f = throttle(() => runs++, 3000, clock);
  f(); tick(0);
  assert.equal(runs, 1);
  f(); f(); f();
  tick(2999);
  assert.equal(runs, 1);
  tick(1);
  assert.equal(runs, 2); // the three calls collapsed into one
  tick(5000);
  f(); tick(0);
  assert.equal(runs, 3); // idle long enough: at once again
});
