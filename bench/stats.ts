/** A growable list of samples (milliseconds) with percentiles computed once at the end. */
export class Samples {
  private values = new Float64Array(1 << 16);
  private n = 0;

  add(value: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = value;
  }

  get count(): number {
    return this.n;
  }

  /** p in [0, 100]; nearest-rank on the sorted samples; NaN when empty. */
  percentiles(...ps: number[]): number[] {
    if (this.n === 0) return ps.map(() => Number.NaN);
    const sorted = this.values.slice(0, this.n).sort();
    return ps.map((p) => sorted[Math.min(this.n - 1, Math.max(0, Math.ceil((p / 100) * this.n) - 1))] ?? Number.NaN);
  }

  mean(): number {
    let sum = 0;
    for (let i = 0; i < this.n; i++) sum += this.values[i] ?? 0;
    return this.n === 0 ? Number.NaN : sum / this.n;
  }
}

export const round = (value: number, digits = 2): number => (Number.isFinite(value) ? Number(value.toFixed(digits)) : value);
