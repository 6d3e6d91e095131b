// A network's energy market: clearing prices and volumes, recent
// clearings and the order book of an interval. Intervals show as their
// times (UTC) when the index knows them, else as their numbers.

import { html } from '../html.js';
import { amount, cmpDec, compact, href, intervalText } from '../format.js';
import { link, num, section, table } from '../ui.js';
import { gql } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { chart, figure } from '../chart.js';

const Q_MARKET = `query($id: ID!, $n: String!) { network(id: $id) { id rewardDenom }
    marketClearings(network: $n, last: 100) { interval intervalSeconds start end price volume trades delivered paid settled } }`;
const Q_ORDERS = `query($n: String!, $i: Int!) { marketOrders(network: $n, interval: $i) { id side price quantity owner height } }`;

const bookTable = (label, orders) => table(label, [num('Price'), num('Quantity'), 'Owner', num('Block')],
  orders.map((o) => [amount(o.price), amount(o.quantity), link('account', o.owner), link('block', o.height, amount(o.height))]), { empty: 'No orders.' });

// sideOf normalises an order's side: SIDE_BID → BID.
export const sideOf = (o) => o.side.toUpperCase().replace(/^SIDE_/, '');

// intervalOf is interval n as {interval, start, end}: its clearing's
// times when it has cleared, else on the grid of the newest clearing that
// knows its length (interval n spans [n × length, (n + 1) × length) in
// unix seconds); start and end are null when no clearing knows it.
export function intervalOf(n, clearings) {
  const c = clearings.find((x) => x.interval === n);
  if (c?.start) return c;
  const len = clearings.find((x) => x.intervalSeconds > 0)?.intervalSeconds;
  if (!len) return { interval: n, start: null, end: null };
  const iso = (s) => new Date(s * 1e3).toISOString();
  return { interval: n, start: iso(n * len), end: iso((n + 1) * len) };
}

// clearingAxis is what the charts' x axis shows for clearings (oldest
// first): their start times when every one of them knows it, else their
// interval numbers.
export function clearingAxis(asc) {
  if (asc.length && asc.every((c) => c.start)) return { label: 'Interval start (UTC)', xs: asc.map((c) => Date.parse(c.start) / 1e3), time: true };
  return { label: 'Interval', xs: asc.map((c) => c.interval), time: false };
}

// intervalLink links an interval's order book, named by its times.
const intervalLink = (net, c) => html`<a href="${href.market(net)}?interval=${c.interval}" title="Interval ${c.interval}">${intervalText(c)}</a>`;

function fillMarket(p, net, cl, interval, orders) {
  const asc = [...cl].reverse();
  const prices = cl.map((c) => Number(c.price));
  update($('#mk-prices'), cl.length ? html`
      ${figure('mk-price-chart', `Line chart of the clearing price per interval over ${cl.length} intervals`,
    `Latest interval ${intervalText(cl[0])}: price ${amount(cl[0].price)}, volume ${amount(cl[0].volume)}. Over these intervals the price ranged from ${compact.format(Math.min(...prices))} to ${compact.format(Math.max(...prices))}; the table below lists the recent clearings.`)}
      ${figure('mk-volume-chart', `Bar chart of the cleared volume per interval over ${cl.length} intervals`, 'Cleared volume per interval.')}`
    : html`<p class="empty">No interval has cleared yet.</p>`);
  if (cl.length) {
    const x = clearingAxis(asc);
    chart(p, 'mk-price-chart', x.label, x.xs, [['Price', '#7c3aed', asc.map((c) => Number(c.price))]], { time: x.time });
    chart(p, 'mk-volume-chart', x.label, x.xs, [['Volume', '#0f766e', asc.map((c) => Number(c.volume))]], { bars: true, time: x.time });
  }
  update($('#mk-clearings'), table('Recent clearings', ['Interval', num('Price'), num('Volume'), num('Trades'), num('Delivered'), num('Paid'), 'Settled'],
    cl.slice(0, 20).map((c) => [intervalLink(net, c), amount(c.price), amount(c.volume), amount(c.trades),
      amount(c.delivered), amount(c.paid), c.settled ? 'Yes' : 'No']), { id: 'clearings', empty: 'No clearings yet.', stack: false }));
  const side = (s) => orders.filter((o) => sideOf(o) === s);
  const iv = interval == null ? null : intervalOf(interval, cl);
  const name = iv && intervalText(iv);
  update($('#mk-book'), iv == null ? html`<p class="empty">No interval yet.</p>` : html`<p id="mk-book-interval">${iv.start ? html`${name} <span class="dim">(interval ${iv.interval})</span>` : name}</p><div class="cols">
      <div><h3>Bids</h3>${bookTable(`Bids for ${name}, highest price first`, side('BID').sort((a, b) => cmpDec(b.price, a.price)))}</div>
      <div><h3>Asks</h3>${bookTable(`Asks for ${name}, lowest price first`, side('ASK').sort((a, b) => cmpDec(a.price, b.price)))}</div></div>`);
}

export async function pageMarket(p, net, params) {
  const fixed = /^\d+$/.test(params.get('interval') ?? '') ? Number(params.get('interval')) : null;
  const load = async () => {
    const d = await gql(Q_MARKET, { id: net, n: net });
    const interval = fixed ?? d.marketClearings[0]?.interval ?? null;
    const orders = d.network && interval != null ? (await gql(Q_ORDERS, { n: net, i: interval })).marketOrders : [];
    return { ...d, interval, orders };
  };
  const d = await load();
  if (!p.alive) return;
  if (!d.network) return notFound(p, 'No such network', html`There is no network “${net}”, so there is no market of it.`);
  render(html`<h1 tabindex="-1">Energy market of <a href="${href.network(net)}" class="mono">${net}</a></h1>
      ${section('mk-prices', 'Clearing prices')}
      ${section('mk-clearings', 'Recent clearings')}
      ${section('mk-book', fixed == null ? 'Order book of the latest interval' : 'Order book')}`);
  fillMarket(p, net, d.marketClearings, d.interval, d.orders);
  p.refresh = async () => {
    const r = await load();
    if (p.alive) fillMarket(p, net, r.marketClearings, r.interval, r.orders);
  };
  ready(p, 'market', `Market ${net}`);
}
