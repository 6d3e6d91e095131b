// The explorer's pages by route (see router.js).

import { pageAccount } from './pages/account.js';
import { pageBlock } from './pages/block.js';
import { pageBlocks } from './pages/blocks.js';
import { pageCompute } from './pages/compute.js';
import { pageDeal } from './pages/deal.js';
import { pageDispatch } from './pages/dispatch.js';
import { pageDevice } from './pages/device.js';
import { pageHome } from './pages/home.js';
import { pageJob } from './pages/job.js';
import { pageMarket } from './pages/market.js';
import { pageNetwork } from './pages/network.js';
import { pagePool } from './pages/pool.js';
import { pageSearch } from './pages/search.js';
import { pageTx } from './pages/tx.js';

export const routes = [
  [/^$/, pageHome], [/^blocks$/, pageBlocks], [/^block\/(.+)$/, pageBlock], [/^tx\/(.+)$/, pageTx],
  [/^network\/(.+)$/, pageNetwork], [/^device\/(.+)$/, pageDevice], [/^account\/(.+)$/, pageAccount],
  [/^market\/(.+)$/, pageMarket], [/^deal\/(.+)$/, pageDeal], [/^compute\/(.+)$/, pageCompute], [/^job\/(.+)$/, pageJob],
  [/^pool\/(.+)$/, pagePool], [/^dispatch\/(.+)$/, pageDispatch],
  [/^search$/, pageSearch],
];
