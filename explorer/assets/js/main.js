// depin explorer: a hash-routed single page over the indexer's GraphQL API
// and its /live server-sent events, as ES modules with no build step.
// Leaflet, topojson and uPlot are vendored globals (classic scripts that
// run before this module). This is the only module that acts on loading.

import { connectLive, gql, onLive } from './api.js';
import { $, current, setHeight, setLiveState } from './page.js';
import { resizeCharts } from './chart.js';
import { debounce, throttle } from './timers.js';
import { router } from './router.js';
import { routes } from './routes.js';

const route = router(routes);

const refreshPage = throttle(() => current?.runRefresh(), 3000);
const refreshMaps = throttle(() => current?.maps.forEach((m) => m.refresh()), 10000);
onLive({
  state: setLiveState,
  block(b) {
    setHeight(b.height);
    current?.onBlock?.(b);
    refreshPage();
    refreshMaps();
  },
  reports: refreshPage,
});

$('#search').addEventListener('submit', (e) => {
  e.preventDefault();
  const q = $('#q').value.trim();
  if (!q) return $('#q').focus();
  const target = `#/search?q=${encodeURIComponent(q)}`;
  if (location.hash === target) route();
  else location.hash = target;
});
// The skip link must not change the hash: that is the router's.
$('.skip').addEventListener('click', (e) => { e.preventDefault(); $('#main').focus(); });
window.addEventListener('hashchange', route);
window.addEventListener('resize', debounce(() => resizeCharts(current), 150));
gql('{ status { height } }').then((d) => setHeight(d.status.height), () => {});
connectLive(null);
route();
