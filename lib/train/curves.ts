// The loss and accuracy curves as an SVG picture, written next to metrics.jsonl.
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number | null;
  testAccuracy: number | null;
}

const W = 720;
const H = 300;
const M = { left: 50, right: 20, top: 30, bottom: 40 };

function panel(x0: number, title: string, series: { name: string; color: string; values: (number | null)[] }[], epochs: number[], fixed?: [number, number]): string {
  const w = W / 2 - M.left - M.right;
  const h = H - M.top - M.bottom;
  const all = series.flatMap((s) => s.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const [lo, hi] = fixed ?? [Math.min(0, ...all), Math.max(1e-9, ...all) * 1.05];
  const xOf = (e: number) => x0 + M.left + (epochs.length > 1 ? ((e - epochs[0]!) / (epochs.at(-1)! - epochs[0]!)) * w : w / 2);
  const yOf = (v: number) => M.top + h - ((v - lo) / (hi - lo || 1)) * h;
  const parts = [
    `<text x="${x0 + M.left + w / 2}" y="18" text-anchor="middle" font-size="14">${title}</text>`,
    `<rect x="${x0 + M.left}" y="${M.top}" width="${w}" height="${h}" fill="none" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4;
    parts.push(`<text x="${x0 + M.left - 6}" y="${yOf(v) + 4}" text-anchor="end" font-size="10">${v.toFixed(fixed ? 2 : 3)}</text>`);
  }
  for (const e of epochs) parts.push(`<text x="${xOf(e)}" y="${M.top + h + 14}" text-anchor="middle" font-size="10">${e}</text>`);
  parts.push(`<text x="${x0 + M.left + w / 2}" y="${H - 6}" text-anchor="middle" font-size="11">epoch</text>`);
  series.forEach((s, k) => {
    const pts = s.values.map((v, i) => (v === null ? null : `${xOf(epochs[i]!).toFixed(1)},${yOf(v).toFixed(1)}`)).filter(Boolean);
    if (pts.length) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${pts.join(' ')}"/>`);
    for (const p of pts) parts.push(`<circle cx="${p!.split(',')[0]}" cy="${p!.split(',')[1]}" r="2.5" fill="${s.color}"/>`);
    parts.push(`<text x="${x0 + M.left + 8}" y="${M.top + 14 + 14 * k}" font-size="11" fill="${s.color}">${s.name}</text>`);
  });
  return parts.join('\n');
}

/** An SVG with two panels: loss (train, test) and accuracy (train, test) by epoch. @example fs.writeFileSync('curves.svg', train.curvesSvg(result.history)); */
export function curvesSvg(history: EpochMetrics[]): string {
  const epochs = history.map((m) => m.epoch);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    panel(0, 'loss', [
      { name: 'train', color: '#1f77b4', values: history.map((m) => m.trainLoss) },
      { name: 'test', color: '#d62728', values: history.map((m) => m.testLoss) },
    ], epochs),
    panel(W / 2, 'accuracy', [
      { name: 'train', color: '#1f77b4', values: history.map((m) => m.trainAccuracy) },
      { name: 'test', color: '#d62728', values: history.map((m) => m.testAccuracy) },
    ], epochs, [0, 1]),
    '</svg>',
    '',
  ].join('\n');
}
