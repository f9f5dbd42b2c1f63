import { GLYPH_HEIGHT, GLYPH_WIDTH, glyph, WIDE_GLYPH_WIDTH, wideGlyph } from './font.js';

// A small RGB drawing surface: rectangles, thick lines and bitmap text, enough for a chart.

export type Rgb = readonly [number, number, number];

export class Bitmap {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    this.rect(0, 0, width, height, background);
  }

  /** Pixels outside the surface are left out, so shapes may run over its edges. */
  set(x: number, y: number, color: Rgb): void {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= this.width || py >= this.height) return;
    const at = (py * this.width + px) * 3;
    this.pixels[at] = color[0];
    this.pixels[at + 1] = color[1];
    this.pixels[at + 2] = color[2];
  }

  rect(x: number, y: number, width: number, height: number, color: Rgb): void {
    // Clipped once here rather than pixel by pixel: the chart fills many small squares.
    const left = Math.max(0, Math.round(x));
    const right = Math.min(this.width, Math.round(x + width));
    const top = Math.max(0, Math.round(y));
    const bottom = Math.min(this.height, Math.round(y + height));
    const [r, g, b] = color;
    for (let row = top; row < bottom; row++) {
      for (let at = (row * this.width + left) * 3, end = (row * this.width + right) * 3; at < end; at += 3) {
        this.pixels[at] = r;
        this.pixels[at + 1] = g;
        this.pixels[at + 2] = b;
      }
    }
  }

  /** A straight line `thickness` pixels wide; `dash` draws that many pixels, then skips as many. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1, dash = 0): void {
    const steps = Math.max(1, Math.ceil(Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0))));
    const half = (thickness - 1) / 2;
    for (let i = 0; i <= steps; i++) {
      if (dash > 0 && Math.floor(i / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.rect(x - half, y - half, thickness, thickness, color);
    }
  }

  /** How far the pen moves after a character at `scale`: its ink and a one-unit gap. */
  private static advance(char: string, scale: number): number {
    return wideGlyph(char) ? (WIDE_GLYPH_WIDTH * scale) / 2 + scale : (GLYPH_WIDTH + 1) * scale;
  }

  /** Width in pixels of `text` drawn at `scale`. */
  static textWidth(text: string, scale: number): number {
    const chars = [...text];
    return chars.length === 0 ? 0 : chars.reduce((width, char) => width + Bitmap.advance(char, scale), 0) - scale;
  }

  static textHeight(scale: number): number {
    return GLYPH_HEIGHT * scale;
  }

  /** Draws `text` with its top left corner at (x, y); wide glyphs use half-size pixels. */
  text(x: number, y: number, text: string, color: Rgb, scale: number): void {
    let left = x;
    for (const char of text) {
      const wide = wideGlyph(char);
      const unit = wide ? scale / 2 : scale;
      (wide ?? glyph(char)).forEach((row, r) => {
        for (let c = 0; c < row.length; c++) {
          if (row[c] === '#') this.rect(left + c * unit, y + r * unit, unit, unit, color);
        }
      });
      left += Bitmap.advance(char, scale);
    }
  }
}
