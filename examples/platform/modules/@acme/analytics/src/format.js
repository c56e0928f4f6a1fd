// Small formatting helpers shared by the analytics widgets.

const money = new Intl.NumberFormat('de-DE', { style: 'currency', currency: 'EUR' });

export function formatCents(cents) {
  return money.format(Number(cents) / 100);
}

export function formatChange(percent) {
  const sign = percent > 0 ? '+' : '';
  return `${sign}${percent.toFixed(1)}%`;
}

export function isoDay(date) {
  return date.toISOString().slice(0, 10);
}
