// HTML escaping and templating: nothing from the API becomes markup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { esc, html, Html, safeUrl } from '../assets/js/html.js';

test('esc escapes the five HTML metacharacters', () => {
  assert.equal(esc(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
  assert.equal(esc(0), '0');
  assert.equal(esc(null), 'null');
});

// Hostile strings as a device model, a log, an event attribute might carry them.
const hostile = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  "' onmouseover='alert(1)",
  '</textarea><svg onload=alert(1)>',
  '&lt;script&gt;', // already escaped: must be escaped again, not decoded
  '<!-- -->',
  '\u202e<b>rtl</b>\u0000',
  '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ☃ <\u00a0>',
];

test('html escapes every interpolated value, in text and in attributes', () => {
  for (const s of hostile) {
    assert.doesNotMatch(esc(s), /[<>"']/, JSON.stringify(s));
    assert.equal(String(html`<p title="${s}">${s}</p>`), `<p title="${esc(s)}">${esc(s)}</p>`);
    // Escaped, not dropped: the text reads back as it was.
    assert.equal(esc(s).replace(/&(lt|gt|quot|#39|amp);/g, (_, e) => ({ lt: '<', gt: '>', quot: '"', '#39': "'", amp: '&' }[e])), s);
  }
});

test('html keeps unicode as it is', () => {
  assert.equal(String(html`<b>${'Zürich ☃ 𝔘 東京 \u202e'}</b>`), '<b>Zürich ☃ 𝔘 東京 \u202e</b>');
});

test('html nests html`…` unescaped and joins arrays', () => {
  const inner = html`<i>${'<x>'}</i>`;
  assert.ok(inner instanceof Html);
  assert.equal(String(html`<b>${inner}</b>`), '<b><i>&lt;x&gt;</i></b>');
  assert.equal(String(html`<ul>${['<a>', html`<li>b</li>`, ['c', html`<br>`]]}</ul>`), '<ul>&lt;a&gt;<li>b</li>c<br></ul>');
});

test('html renders null, undefined and false as nothing, 0 and true as text', () => {
  assert.equal(String(html`[${null}|${undefined}|${false}|${0}|${true}|${''}]`), '[|||0|true|]');
});

test('an object with a toString is escaped, not trusted', () => {
  const evil = { toString: () => '<script>x</script>' };
  assert.equal(String(html`${evil}`), '&lt;script&gt;x&lt;/script&gt;');
  // Only real Html instances pass through: a look-alike does not.
  assert.equal(String(html`${{ s: '<b>' }}`), '[object Object]');
});

test('safeUrl allows only routes and same-origin paths', () => {
  for (const u of ['#/device/x', '#', '/assets/app.css', '/playground']) assert.equal(safeUrl(u), u);
  for (const u of [
    'javascript:alert(1)', 'JaVaScRiPt:alert(1)', ' javascript:alert(1)', '\njavascript:alert(1)', 'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>', 'vbscript:x', '//evil.example/x', '/\\evil.example', 'https://evil.example/', '', null, undefined,
  ]) {
    assert.equal(safeUrl(u), '#', JSON.stringify(u));
  }
});

test('a javascript: URL in an href is escaped but not neutralised by html: use safeUrl', () => {
  const u = 'javascript:alert("x")';
  assert.equal(String(html`<a href="${u}">`), '<a href="javascript:alert(&quot;x&quot;)">');
  assert.equal(String(html`<a href="${safeUrl(u)}">`), '<a href="#">');
});
