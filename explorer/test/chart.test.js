// The charts' time axis labels (the drawing itself needs uPlot and a DOM).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeTicks } from '../assets/js/chart.js';

test('timeTicks labels unix seconds in UTC, with seconds and days only when needed', () => {
  const t0 = Date.parse('2026-01-02T14:05:00Z') / 1e3;
  assert.deepEqual(timeTicks([t0, t0 + 300, t0 + 600]), ['14:05', '14:10', '14:15']);
  assert.deepEqual(timeTicks([t0, t0 + 30, t0 + 60]), ['14:05:00', '14:05:30', '14:06:00']);
  assert.deepEqual(timeTicks([t0, t0 + 86400]), ['01-02 14:05', '01-03 14:05']);
  assert.deepEqual(timeTicks([]), []);
});
