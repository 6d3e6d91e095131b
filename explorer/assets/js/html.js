// HTML building: html`…` escapes every interpolated value unless it is
// itself html`…`, so text from the API can never become markup. Pure: no
// DOM, so it runs (and is tested) under Node too.

// esc escapes text for an HTML text node or a quoted attribute value.
export const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

// Html is markup that html`…` inserts as it is.
export class Html {
  constructor(s) { this.s = s; }
  toString() { return this.s; }
}

// part renders one interpolated value: Html as is, arrays joined, null,
// undefined and false as nothing, anything else escaped.
const part = (v) => (v instanceof Html ? v.s : Array.isArray(v) ? v.map(part).join('') : v == null || v === false ? '' : esc(v));

export const html = (strings, ...vals) => new Html(strings.reduce((out, s, i) => out + part(vals[i - 1]) + s));

// safeUrl lets through only the explorer's own kinds of link: a #route or
// a path on this origin. Anything else (javascript:, data:, //elsewhere,
// with or without leading spaces or odd case) becomes "#". Escaping alone
// does not make a URL safe in an href: every href built from data goes
// through this or through the fixed-prefix builders in format.js.
export function safeUrl(u) {
  const s = String(u ?? '');
  return /^#/.test(s) || /^\/(?![/\\])/.test(s) ? s : '#';
}
