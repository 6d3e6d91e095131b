// The indexer's API: GraphQL over POST /graphql, and live updates as
// server-sent events from /live.

// GqlError is an error the API reported (bad id, unknown height…), as
// opposed to a failure to reach it.
export class GqlError extends Error {}

// gql runs a query and returns its data, or throws GqlError with the
// API's messages, or Error when the server cannot be reached or fails.
export async function gql(query, variables = {}) {
  let res;
  try {
    res = await fetch('/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  } catch (e) {
    throw new Error(`Cannot reach the server (${e.message}).`);
  }
  const body = await res.json().catch(() => null);
  if (body?.errors?.length) throw new GqlError(body.errors.map((e) => e.message).join('; '));
  if (!res.ok || !body?.data) throw new Error(`The server answered ${res.status} ${res.statusText}.`);
  return body.data;
}

// orNull runs a query whose variables come from the address bar: when the
// API refuses them (a malformed id, as GqlError) it returns null, as for
// an id that does not exist, so the page says "no such …" either way.
export async function orNull(query, variables) {
  try {
    return await gql(query, variables);
  } catch (e) {
    if (e instanceof GqlError) return null;
    throw e;
  }
}

// The one live stream: /live, or /live?device=ID on a device page (it
// carries the block events too). Handlers are set once by main.js.
const live = { es: null, device: null, retry: 0, on: { block() {}, reports() {}, state() {} } };

// onLive sets the handlers: block(b) for each indexed block, reports() when
// the watched device reported, state(s) with connecting, live,
// reconnecting or offline.
export function onLive(handlers) { Object.assign(live.on, handlers); }

function parsed(ev, fn) {
  let data;
  try { data = JSON.parse(ev.data); } catch { return; }
  fn(data);
}

// connectLive switches the stream to one device's (or, with null, to
// blocks only); it keeps the stream it has when that is the same.
export function connectLive(device) {
  if (live.es && live.device === device) return;
  live.es?.close();
  clearTimeout(live.retry);
  live.device = device;
  const es = (live.es = new EventSource(device ? `/live?device=${encodeURIComponent(device)}` : '/live'));
  live.on.state('connecting');
  es.onopen = () => live.on.state('live');
  es.onerror = () => {
    if (es.readyState !== EventSource.CLOSED) return live.on.state('reconnecting');
    // The browser gives up after an HTTP error; keep trying, slowly.
    live.on.state('offline');
    live.retry = setTimeout(() => { live.es = null; connectLive(device); }, 5000);
  };
  es.addEventListener('block', (ev) => parsed(ev, (b) => live.on.block(b)));
  es.addEventListener('reports', () => live.on.reports());
}
