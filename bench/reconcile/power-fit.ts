/** Least-squares fit of log y = a + b log x: y ≈ e^a · x^b (b is how the cost grows with the size). */
export function powerFit(points: [number, number][]): { exponent: number; at(x: number): number } {
  const xs = points.map(([x]) => Math.log(x));
  const ys = points.map(([, y]) => Math.log(y));
  const n = points.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    sxx += ((xs[i] as number) - mx) ** 2;
  }
  const exponent = sxx === 0 ? 1 : sxy / sxx;
  const a = my - exponent * mx;
  return { exponent, at: (x) => Math.exp(a + exponent * Math.log(x)) };
}
