// Rate limits for handlers of frequent events.

// debounce runs fn once calls have stopped for ms.
export const debounce = (fn, ms) => { let t; return (...a) => { clearTimeout(t); t = setTimeout(() => fn(...a), ms); }; };

// throttle runs fn at most once per ms, trailing: calls in between
// collapse into one. now is the clock (injected by tests).
export function throttle(fn, ms, now = Date.now) {
  let last = -Infinity, timer = null;
  return () => {
    if (timer) return;
    timer = setTimeout(() => { timer = null; last = now(); fn(); }, Math.max(0, last + ms - now()));
  };
}
