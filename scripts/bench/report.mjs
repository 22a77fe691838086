// The results as a text table, JSON lines, the target checks and the Markdown page.

/** ratio >= 1 means torchnode is as fast or faster, for times and for rates alike. */
export const ratioOf = (c, torchnode, pytorch) => (c.better === 'lower' ? pytorch / torchnode : torchnode / pytorch);

export function format(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return '-';
  if (unit === 'us') return value.toFixed(3);
  if (unit === 's') return value.toFixed(2);
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

export function header(env, python) {
  const n = env.node;
  const p = env.pytorch;
  const same = n.library === p.library ? 'the same libtorch_cpu file' : `another libtorch file (${p.library})`;
  const device = n.cudaAvailable && p.cudaAvailable ? `cpu (${n.cpu}, ${n.cores} cores) and ${n.gpu} (cuDNN ${p.cudnn})` : `cpu (${n.cpu}, ${n.cores} cores, ${n.memoryGiB} GiB)`;
  return [
    `torchnode: libtorch ${n.libtorch} (${n.found}), ${n.library}, node ${n.node}`,
    `PyTorch:   ${p.pytorch} (${python}), ${same}`,
    `device:    ${device}; threads: torchnode ${n.threads}, PyTorch ${p.threads}`,
  ];
}

/** Other processes' share of the CPU while a case ran, e.g. '12%'. */
export const loadText = (load) => (load === null || load === undefined ? 'n/a' : `${Math.round(load * 100)}%`);

const COLUMNS = ['case', 'unit', 'torchnode', 'PyTorch', 'ratio', 'runs', 'other load', 'note'];

function cells(r) {
  const head = [r.case.name, r.case.unit];
  if (r.skipped) return [...head, '-', '-', '-', '-', '-', `skipped (${r.skipped})`];
  if (r.error) return [...head, '-', '-', '-', '-', '-', `failed: ${r.error}`];
  return [...head, format(r.torchnode, r.case.unit), format(r.pytorch, r.case.unit), r.ratio.toFixed(2), String(r.runs), loadText(r.otherLoad), ''];
}

export function textTable(results) {
  const rows = [COLUMNS, ...results.map(cells)];
  const last = COLUMNS.length - 1;
  const width = COLUMNS.map((_, i) => Math.max(...rows.map((row) => (i === last ? 0 : row[i].length))));
  const line = (row) => row.map((c, i) => (i === 0 || i === last ? c.padEnd(width[i]) : c.padStart(width[i]))).join('  ').trimEnd();
  return [line(rows[0]), ...rows.slice(1).map(line)].join('\n');
}

export function markdownTable(results) {
  const rows = results.map(cells);
  return [`| ${COLUMNS.join(' | ')} |`, '|---|---|---:|---:|---:|---:|---:|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Why cases were skipped, each reason once. */
export const skipNotes = (results) => [...new Set(results.filter((r) => r.why).map((r) => r.why))];

export function jsonLine(r) {
  const base = { name: r.case.name, unit: r.case.unit, torchnode: r.torchnode ?? null, pytorch: r.pytorch ?? null, ratio: r.ratio ?? null };
  return JSON.stringify({ ...base, id: r.case.id, better: r.case.better, runs: r.runs ?? 0, otherLoad: r.otherLoad ?? null,
    ...(r.skipped && { skipped: r.why }), ...(r.error && { error: r.error }) });
}

/**
 * Each CUDA-graph case (id ending in -graphs) against the eager case of the same shape, from rows
 * {id, torchnode, pytorch}: how many times PyTorch eager's rate each side's graph reaches, and
 * the target where one was set (issue 13: >= 1.3x at batch 128, bf16, channels-last).
 */
export function graphsAgainstEager(rows) {
  const byId = new Map(rows.map((r) => [r.id, r]));
  return rows.filter((r) => r.id.endsWith('-graphs') && r.torchnode != null).flatMap((r) => {
    const eager = byId.get(r.id.slice(0, -'-graphs'.length))?.pytorch;
    if (!eager) return [];
    return [{ id: r.id, torchnode: r.torchnode, eager, times: r.torchnode / eager, pytorchTimes: r.pytorch / eager,
      goal: r.id === 'cuda-train-b128-bf16-cl-graphs' ? 1.3 : null }];
  });
}

/** A ratio to two places, three where two would round a miss up to the target (0.975 against 0.98). */
export function ratioText(ratio, target) {
  const two = ratio.toFixed(2);
  return ratio < target && two === target.toFixed(2) ? ratio.toFixed(3) : two;
}

/** One line per target of issue 5: met or missed, with the figures. */
export function targets(results) {
  const done = results.filter((r) => r.ratio !== undefined);
  const byId = new Map(done.map((r) => [r.case.id, r]));
  const lines = [];
  for (const r of done.filter((x) => x.case.target !== undefined)) {
    const met = r.ratio >= r.case.target;
    const goal = r.case.better === 'lower' ? `<= ${(1 / r.case.target).toFixed(2)}x PyTorch's time` : `>= ${r.case.target.toFixed(2)}x PyTorch's rate`;
    const busy = r.otherLoad > 0.1 ? `; other processes used ${loadText(r.otherLoad)} of the CPU meanwhile` : '';
    lines.push(`${met ? 'met   ' : 'MISSED'}  ${r.case.id}: ratio ${ratioText(r.ratio, r.case.target)} (target ${goal}${busy})`);
  }
  const rows = done.map((r) => ({ id: r.case.id, torchnode: r.torchnode, pytorch: r.pytorch }));
  for (const g of graphsAgainstEager(rows).filter((x) => x.goal !== null)) {
    lines.push(`${g.times >= g.goal ? 'met   ' : 'MISSED'}  ${g.id} against PyTorch eager: torchnode with a CUDA graph ${format(g.torchnode, 'img/s')} img/s = ` +
      `${g.times.toFixed(2)}x PyTorch eager's ${format(g.eager, 'img/s')} img/s (target >= ${g.goal.toFixed(1)}x)`);
  }
  const pipeline = byId.get('pipeline');
  const train = byId.get('train-b128') ?? byId.get('train-b32');
  if (pipeline && train) {
    const times = pipeline.torchnode / train.torchnode;
    lines.push(`${times >= 10 ? 'met   ' : 'MISSED'}  pipeline: ${format(pipeline.torchnode, 'img/s')} img/s = ${times.toFixed(0)}x the ` +
      `${train.case.id} step's ${format(train.torchnode, 'img/s')} img/s (target >= 10x)`);
  }
  return lines;
}
