// A network's energy market: clearing prices and volumes, recent
// clearings and the order book of an interval.

import { html } from '../html.js';
import { amount, cmpDec, compact, href } from '../format.js';
import { link, num, section, table } from '../ui.js';
import { gql } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { chart, figure } from '../chart.js';

const Q_MARKET = `query($id: ID!, $n: String!) { network(id: $id) { id rewardDenom }
    marketClearings(network: $n, last: 100) { interval price volume trades delivered paid settled } }`;
const Q_ORDERS = `query($n: String!, $i: Int!) { marketOrders(network: $n, interval: $i) { id side price quantity owner height } }`;

const bookTable = (label, orders) => table(label, [num('Price'), num('Quantity'), 'Owner', num('Block')],
  orders.map((o) => [amount(o.price), amount(o.quantity), link('account', o.owner), link('block', o.height, amount(o.height))]), { empty: 'No orders.' });

// sideOf normalises an order's side: SIDE_BID → BID.
export const sideOf = (o) => o.side.toUpperCase().replace(/^SIDE_/, '');

function fillMarket(p, net, cl, interval, orders) {
  const asc = [...cl].reverse();
  const prices = cl.map((c) => Number(c.price));
  update($('#mk-prices'), cl.length ? html`
      ${figure('mk-price-chart', `Line chart of the clearing price per interval over ${cl.length} intervals`,
    `Latest interval ${cl[0].interval}: price ${amount(cl[0].price)}, volume ${amount(cl[0].volume)}. Over these intervals the price ranged from ${compact.format(Math.min(...prices))} to ${compact.format(Math.max(...prices))}; the table below lists the recent clearings.`)}
      ${figure('mk-volume-chart', `Bar chart of the cleared volume per interval over ${cl.length} intervals`, 'Cleared volume per interval.')}`
    : html`<p class="empty">No interval has cleared yet.</p>`);
  if (cl.length) {
    chart(p, 'mk-price-chart', 'Interval', asc.map((c) => c.interval), [['Price', '#7c3aed', asc.map((c) => Number(c.price))]]);
    chart(p, 'mk-volume-chart', 'Interval', asc.map((c) => c.interval), [['Volume', '#0f766e', asc.map((c) => Number(c.volume))]], true);
  }
  update($('#mk-clearings'), table('Recent clearings', [num('Interval'), num('Price'), num('Volume'), num('Trades'), num('Delivered'), num('Paid'), 'Settled'],
    cl.slice(0, 20).map((c) => [html`<a href="${href.market(net)}?interval=${c.interval}">${c.interval}</a>`, amount(c.price), amount(c.volume), amount(c.trades),
      amount(c.delivered), amount(c.paid), c.settled ? 'Yes' : 'No']), { empty: 'No clearings yet.' }));
  const side = (s) => orders.filter((o) => sideOf(o) === s);
  update($('#mk-book'), interval == null ? html`<p class="empty">No interval yet.</p>` : html`<p>Interval ${interval}.</p><div class="cols">
      <div><h3>Bids</h3>${bookTable(`Bids for interval ${interval}, highest price first`, side('BID').sort((a, b) => cmpDec(b.price, a.price)))}</div>
      <div><h3>Asks</h3>${bookTable(`Asks for interval ${interval}, lowest price first`, side('ASK').sort((a, b) => cmpDec(a.price, b.price)))}</div></div>`);
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
  if (!d.network) return notFound(p, `There is no network “${net}”.`);
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
