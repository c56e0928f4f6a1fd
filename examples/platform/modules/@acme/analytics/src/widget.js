// Revenue widget: fetches daily sales from the reports module and draws a bar chart.
import { formatCents, formatChange, isoDay } from './format.js';

async function fetchSales(baseUrl, from, to) {
  const url = `${baseUrl}/admin/reports/sales?from=${isoDay(from)}&to=${isoDay(to)}`;
  const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`reports returned HTTP ${res.status}`);
  return res.json();
}

export async function renderRevenueWidget(container, { baseUrl, days }) {
  const to = new Date();
  const from = new Date(to.getTime() - days * 86400000);
  const prevFrom = new Date(from.getTime() - days * 86400000);

  const [current, previous] = await Promise.all([
    fetchSales(baseUrl, from, to),
    fetchSales(baseUrl, prevFrom, from),
  ]);

  const max = Math.max(1, ...current.rows.map((r) => Number(r.revenue_cents)));
  const change = previous.total_revenue_cents
    ? ((current.total_revenue_cents - previous.total_revenue_cents) / previous.total_revenue_cents) * 100
    : 0;

  const bars = current.rows
    .map((r) => `<li style="height:${(Number(r.revenue_cents) / max) * 100}%" title="${r.day}"></li>`)
    .join('');

  container.innerHTML = `
    <section class="acme-analytics">
      <h3>Revenue, last ${days} days</h3>
      <p class="acme-analytics__total">${formatCents(current.total_revenue_cents)}
        <span class="acme-analytics__change">${formatChange(change)}</span></p>
      <ol class="acme-analytics__bars">${bars}</ol>
    </section>`;
}
