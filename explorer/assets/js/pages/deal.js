// A storage deal: its terms and money, where its pieces are (a table per
// node and a map of the nodes' cells), every piece, payments to its nodes
// and repairs.

import { html } from '../html.js';
import { amount, bytes, plural, tokens, when } from '../format.js';
import { coin, kv, link, num, section, table } from '../ui.js';
import { gql, orNull } from '../api.js';
import { $, notFound, ready, render, update } from '../page.js';
import { pager } from '../pager.js';
import { dealMap } from '../map.js';
import { dealStatus, repairsTable } from '../storage.js';

const Q_DEAL = `query($id: Int!) {
    deal(id: $id) { id owner network fileId size k n segments pieceCount pieceBytes livePieces lostPieces nodeCount denom pricePerGibMonth
      escrow paid refunded repairBudget repairThreshold status closeReason start end openedHeight closedHeight
      nodes { device pieces livePieces bytes paid disqualified cell lat lon boundary }
      payments(last: 20) { height epoch device owner amount denom }
      repairs(last: 20) { height deal piece fromNode toNode repairer feeDue feePaid status paidHeight denom } } }`;
const Q_PIECES = `query($id: Int!, $after: Int) { deal(id: $id) { pieces(first: 50, after: $after) { index segment node size lost } } }`;

// PIECES_PAGE is how many pieces a page of the pieces table shows.
export const PIECES_PAGE = 50;

// dealDetails is a deal's terms and money in words and display units.
export function dealDetails(d) {
  const price = tokens(d.pricePerGibMonth, d.denom);
  return kv([
    ['Status', d.closedHeight ? html`${dealStatus(d)} at block ${link('block', d.closedHeight, amount(d.closedHeight))}` : dealStatus(d)],
    ['Owner', link('account', d.owner)], ['Network', link('network', d.network)],
    ['File', html`${bytes(d.size)} <span class="dim">(id <span class="mono">${d.fileId}</span>)</span>`],
    ['Erasure coding', `${plural(d.segments, 'segment')}, each ${amount(d.n)} pieces of which any ${amount(d.k)} restore it`],
    ['Pieces', `${amount(d.pieceCount)} (${bytes(d.pieceBytes)}) on ${plural(d.nodeCount, 'node')}: ${amount(d.livePieces)} live, ${amount(d.lostPieces)} lost`],
    ['Repair', `A lost piece may be rebuilt once its segment has ${amount(d.repairThreshold)} live pieces or fewer; ${tokens(d.repairBudget, d.denom).join(' ')} left for repair fees`],
    ['Price', html`${price[0]} <span class="denom">${price[1]}</span> per GiB-month`],
    ['Escrow', coin(d.escrow, d.denom)], ['Paid to nodes and repairers', coin(d.paid, d.denom)], ['Refunded', coin(d.refunded, d.denom)],
    ['Stored from', when(d.start)], [d.closedHeight ? 'Was to end' : 'Ends', when(d.end)],
    ['Opened at block', link('block', d.openedHeight, amount(d.openedHeight))],
  ]);
}

// dealNodesTable lists where the deal's pieces are, per node.
export const dealNodesTable = (d) => html`${table('Pieces per node', ['Node', num('Pieces'), num('Live'), num('Bytes'), num('Paid'), 'State'],
  d.nodes.map((n) => [link('device', n.device), amount(n.pieces), amount(n.livePieces), bytes(n.bytes), coin(n.paid, d.denom),
    n.disqualified ? 'Disqualified' : n.livePieces ? 'Holding' : 'Holds none now']), { id: 'deal-nodes', empty: 'No nodes.' })}
  ${d.nodeCount > d.nodes.length ? html`<p>… and ${plural(d.nodeCount - d.nodes.length, 'more node')}.</p>` : ''}`;

// piecesTable lists pieces (StoragePiece) in order.
export const piecesTable = (pieces) => table('Pieces', [num('Piece'), num('Segment'), 'Node', num('Size'), 'State'],
  pieces.map((p) => [amount(p.index), amount(p.segment), link('device', p.node), bytes(p.size), p.lost ? 'Lost' : 'Live']), { empty: 'No pieces indexed.' });

// paymentsTable lists a deal's payments to its nodes: at the end of an
// epoch, or (epoch 0 in the block that closed it) when its owner closed
// it.
export const paymentsTable = (payments, closedHeight = null) => table('Payments to nodes', [num('Block'), num('Epoch'), 'Node', 'Paid to', num('Amount')],
  payments.map((x) => [link('block', x.height, amount(x.height)), x.epoch === 0 && x.height === closedHeight ? 'At closing' : amount(x.epoch),
    link('device', x.device), link('account', x.owner), coin(x.amount, x.denom)]),
  { empty: 'No payments yet: nodes are paid at the end of each epoch for the time they held their pieces.' });

function fillDeal(d) {
  update($('#deal-details'), dealDetails(d));
  update($('#deal-nodes-list'), dealNodesTable(d));
  update($('#deal-payments'), paymentsTable(d.payments, d.closedHeight));
  update($('#deal-repairs'), repairsTable('Repairs', d.repairs, { deal: false }));
}

export async function pageDeal(p, arg) {
  const id = /^\d{1,15}$/.test(arg) ? Number(arg) : 0;
  const d = id ? (await orNull(Q_DEAL, { id }))?.deal : null;
  if (!p.alive) return;
  if (!d) return notFound(p, 'No such deal', /^\d+$/.test(arg) ? html`There is no storage deal ${arg} on this chain.` : html`Deals are numbered: <span class="mono">${arg}</span> is not a deal number.`);
  render(html`<h1 tabindex="-1">Storage deal ${d.id}</h1>
      <div class="cols">${section('deal-details', 'Details')}
        <section aria-labelledby="deal-map-h"><h2 id="deal-map-h">Where its pieces are</h2><div id="deal-map" class="map small" role="region" aria-label="Map of the deal's nodes"></div></section></div>
      ${section('deal-nodes-list', 'Pieces per node')}
      ${section('deal-pieces', 'Pieces')}
      ${section('deal-payments', 'Payments')}
      ${section('deal-repairs', 'Repairs')}`);
  fillDeal(d);
  dealMap(p, 'deal-map', d.nodes);
  const showPieces = pager(p, $('#deal-pieces'), PIECES_PAGE, async (after) => {
    const ps = (await gql(Q_PIECES, { id, after })).deal?.pieces ?? [];
    const last = ps[ps.length - 1];
    return { edges: ps.map((node) => ({ node })), totalCount: d.pieceCount, pageInfo: { hasNextPage: ps.length === PIECES_PAGE && last.index < d.pieceCount - 1, endCursor: last?.index ?? null } };
  }, (c) => piecesTable(c.edges.map((e) => e.node)));
  p.refresh = async () => {
    const r = (await gql(Q_DEAL, { id })).deal;
    if (p.alive && r) fillDeal(r);
    await showPieces();
  };
  await showPieces();
  ready(p, 'deal', `Deal ${d.id}`);
}
