/*
 * chart.tsx - a chart over categories (months, age buckets) drawn by uPlot
 * on a canvas, with its numbers in a table beside it for screen readers,
 * keyboards and anyone who wants the exact figures.
 *
 *   <Chart label="SLA compliance by month" kind="line" categoryHead="Month"
 *          categories={["2026-01", "2026-02"]} categoryLabel={monthLabel}
 *          series={[{ label: "Resolution", color: "#2451d6", values: [9500, null] }]}
 *          format={bp} scale={0.01} yRange={[0, 100]} unit="%" />
 *
 * kind "line": one line per series, a missing value (null) a gap. kind
 * "stacked": bars, the series stacked bottom to top in the order given
 * (one series: plain bars); the table then has a Total column. values[i]
 * belongs to categories[i]. format writes a value for the table and the
 * hover legend; scale multiplies values for the drawing only (basis
 * points drawn as percent: 0.01), yRange fixes the drawn axis and unit
 * follows its values ("%"). Stacked bars step their axis in whole numbers.
 *
 * The canvas and uPlot's hover legend are hidden from assistive technology
 * (aria-hidden); axisEvery thins the drawn axis's names (the table keeps
 * every one); the figure is named by label and its table is the text
 * equivalent, under "The numbers". Colours are plain CSS colour strings
 * (canvas needs real values, not variables).
 */
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import "../styles/chart.css";

export interface ChartSeries {
  label: string;
  color: string;
  values: (number | null)[];
}

export interface ChartProps {
  label: string;
  kind: "line" | "stacked";
  categories: string[];
  categoryHead: string;
  categoryLabel?: (c: string) => string;
  series: ChartSeries[];
  format?: (v: number | null) => string;
  scale?: number;
  yRange?: [number, number];
  /** Written after each value of the drawn axis ("%"). */
  unit?: string;
  height?: number;
  /** Show the table open (for a small chart whose numbers matter most). */
  open?: boolean;
  /** Name every nth category on the drawn axis only (30 days in a small chart); the table names all. */
  axisEvery?: number;
}

const plain = (v: number | null) => (v === null ? "—" : v.toLocaleString());

/** The drawn data: x = category index; stacked series as running sums, top first. */
function drawn(p: ChartProps): uPlot.AlignedData {
  const x = p.categories.map((_, i) => i);
  const k = p.scale ?? 1;
  if (p.kind === "line") return [x, ...p.series.map((s) => s.values.map((v) => (v === null ? null : v * k)))];
  const sums = p.series.map((_, j) => p.categories.map((_, i) => p.series.slice(0, j + 1).reduce((a, s) => a + (s.values[i] ?? 0), 0) * k));
  return [x, ...sums.reverse()];
}

function options(p: ChartProps, width: number): uPlot.Options {
  const label = p.categoryLabel ?? ((c: string) => c);
  const format = p.format ?? plain;
  // stacked bars are drawn tallest first, so each series shows as its own band
  const order = p.kind === "stacked" ? [...p.series].reverse() : p.series;
  const bars = uPlot.paths.bars?.({ size: [0.6, 48], align: 0 });
  return {
    width,
    height: p.height ?? 220,
    legend: { show: true, live: true },
    cursor: { points: { show: p.kind === "line" }, drag: { x: false, y: false } },
    scales: {
      x: { time: false, range: [-0.5, Math.max(0, p.categories.length - 0.5)] },
      y: p.yRange ? { range: p.yRange } : { range: (_u, _min, max) => [0, Math.max(1, max)] },
    },
    axes: [
      {
        stroke: "#5f6b80",
        grid: { show: false },
        ticks: { show: false },
        splits: () => p.categories.map((_, i) => i).filter((i) => i % (p.axisEvery ?? 1) === 0),
        values: (_u, splits) => splits.map((i) => (p.categories[i] !== undefined ? label(p.categories[i]) : "")),
      },
      {
        stroke: "#5f6b80",
        grid: { stroke: "#e6eaf0", width: 1 },
        ticks: { show: false },
        size: 48,
        // counts have whole steps; a unit ("%") follows each value
        incrs: p.kind === "stacked" ? [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000] : undefined,
        values: (_u, splits) => splits.map((v) => v.toLocaleString() + (p.unit ?? "")),
      },
    ],
    series: [
      { label: p.categoryHead, value: (_u, i) => (i === null || p.categories[i] === undefined ? "" : label(p.categories[i])) },
      ...order.map((s) => ({
        label: s.label,
        stroke: s.color,
        fill: p.kind === "stacked" ? s.color : undefined,
        width: p.kind === "stacked" ? 0 : 2,
        paths: p.kind === "stacked" ? bars : undefined,
        points: { show: p.kind === "line", size: 6, fill: s.color },
        spanGaps: false,
        // the legend shows the series' own value, not the running sum drawn
        value: (_u: uPlot, _v: number | null, _si: number, i: number | null) => (i === null ? "" : format(s.values[i] ?? null)),
      })),
    ],
  };
}

export function Chart(p: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const format = p.format ?? plain;
  const label = p.categoryLabel ?? ((c: string) => c);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const u = new uPlot(options(p, Math.max(200, el.clientWidth)), drawn(p), el);
    plot.current = u;
    const ro = new ResizeObserver(() => {
      const w = Math.max(200, el.clientWidth);
      if (w !== u.width) u.setSize({ width: w, height: p.height ?? 220 });
    });
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
    // the chart is remade whenever what it shows changes
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [JSON.stringify([p.kind, p.categories, p.series, p.scale, p.yRange, p.unit, p.height, p.axisEvery])]);

  const total = (i: number) => p.series.reduce((a, s) => a + (s.values[i] ?? 0), 0);
  return (
    <figure class="chart q-chart" aria-label={p.label} data-chart={p.kind}>
      <div class="q-chart-plot" ref={box} aria-hidden="true" />
      <details class="chart-numbers" open={p.open}>
        <summary>The numbers</summary>
        <div class="table-wrap">
          <table class="table table-compact">
            <caption class="sr-only">{p.label}</caption>
            <thead>
              <tr>
                <th scope="col">{p.categoryHead}</th>
                {p.series.map((s) => (
                  <th scope="col" class="num" key={s.label}>
                    {s.label}
                  </th>
                ))}
                {p.kind === "stacked" && p.series.length > 1 && (
                  <th scope="col" class="num">
                    Total
                  </th>
                )}
              </tr>
            </thead>
            <tbody>
              {p.categories.map((c, i) => (
                <tr key={c}>
                  <th scope="row">{label(c)}</th>
                  {p.series.map((s) => (
                    <td class="num" key={s.label}>
                      {format(s.values[i] ?? null)}
                    </td>
                  ))}
                  {p.kind === "stacked" && p.series.length > 1 && <td class="num">{format(total(i))}</td>}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
