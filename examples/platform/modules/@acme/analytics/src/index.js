// Entry point of the @acme/analytics micro-frontend.
// The admin dashboard loads this file as an ES module and calls mount().
import { renderRevenueWidget } from './widget.js';

const REFRESH_MS = 5 * 60 * 1000;

export function mount(container, { baseUrl = '', days = 14 } = {}) {
  let timer = null;

  const refresh = async () => {
    if (document.visibilityState !== 'visible') return;
    try {
      await renderRevenueWidget(container, { baseUrl, days });
    } catch (err) {
      container.textContent = `Analytics unavailable: ${err.message}`;
    }
  };

  refresh();
  timer = setInterval(refresh, REFRESH_MS);
  document.addEventListener('visibilitychange', refresh);

  return function unmount() {
    clearInterval(timer);
    document.removeEventListener('visibilitychange', refresh);
    container.replaceChildren();
  };
}
