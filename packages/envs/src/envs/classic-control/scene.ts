/**
 * A tiny 2-D scene (filled polygons, filled circles, lines) that the
 * classic-control envs draw into, and two outputs for it: an SVG string and
 * an RGB frame from a plain scanline rasterizer. Coordinates are pixels with
 * y pointing up, as Gymnasium's pygame code draws before its final flip.
 */
import type { RgbFrame } from '../../core.js';

/**
 * An RGB colour, 0–255 per channel.
 *
 * @example
 * ```ts
 * const brown: Color = [202, 152, 101];
 * ```
 */
export type Color = readonly [number, number, number];

/**
 * One drawable item.
 *
 * @example
 * ```ts
 * const cart: Shape = { kind: 'polygon', points: [0, 0, 50, 0, 50, 30, 0, 30], color: [0, 0, 0] };
 * ```
 */
export type Shape =
  | { kind: 'polygon'; points: readonly number[]; color: Color }
  | { kind: 'circle'; cx: number; cy: number; radius: number; color: Color }
  | { kind: 'line'; points: readonly number[]; color: Color; width: number };

/**
 * A white canvas of `width × height` pixels and the shapes drawn on it, in order.
 *
 * @example
 * ```ts
 * const scene: Scene = { width: 600, height: 400, shapes: [] };
 * sceneToSvg(scene); // '<svg …></svg>'
 * ```
 */
export interface Scene {
  width: number;
  height: number;
  shapes: Shape[];
}

const rgb = (color: Color): string => `rgb(${color[0]},${color[1]},${color[2]})`;
const format = (value: number): string => (Math.round(value * 100) / 100).toString();

/**
 * Renders a scene as a standalone SVG document (y flipped to point down).
 *
 * @example
 * ```ts
 * const svg = sceneToSvg({ width: 10, height: 10, shapes: [{ kind: 'circle', cx: 5, cy: 5, radius: 2, color: [255, 0, 0] }] });
 * ```
 */
export function sceneToSvg(scene: Scene): string {
  const { width, height } = scene;
  const flip = (points: readonly number[]): string => {
    const pairs: string[] = [];
    for (let i = 0; i < points.length; i += 2) pairs.push(`${format(points[i])},${format(height - points[i + 1])}`);
    return pairs.join(' ');
  };
  const body = scene.shapes.map((shape) => {
    if (shape.kind === 'polygon') return `<polygon points="${flip(shape.points)}" fill="${rgb(shape.color)}"/>`;
    if (shape.kind === 'circle') return `<circle cx="${format(shape.cx)}" cy="${format(height - shape.cy)}" r="${format(shape.radius)}" fill="${rgb(shape.color)}"/>`;
    return `<polyline points="${flip(shape.points)}" fill="none" stroke="${rgb(shape.color)}" stroke-width="${shape.width}"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="${width}" height="${height}" fill="white"/>${body.join('')}</svg>`;
}

function fillPolygon(frame: RgbFrame, points: readonly number[], color: Color): void {
  const { width, height, data } = frame;
  let minY = Infinity;
  let maxY = -Infinity;
  for (let i = 1; i < points.length; i += 2) {
    minY = Math.min(minY, points[i]);
    maxY = Math.max(maxY, points[i]);
  }
  const vertices = points.length / 2;
  const crossings: number[] = [];
  for (let y = Math.max(0, Math.floor(minY)); y <= Math.min(height - 1, Math.ceil(maxY)); y++) {
    const sampleY = y + 0.5;
    crossings.length = 0;
    for (let i = 0; i < vertices; i++) {
      const j = (i + 1) % vertices;
      const x0 = points[2 * i];
      const y0 = points[2 * i + 1];
      const x1 = points[2 * j];
      const y1 = points[2 * j + 1];
      if ((y0 <= sampleY && y1 > sampleY) || (y1 <= sampleY && y0 > sampleY)) {
        crossings.push(x0 + ((sampleY - y0) / (y1 - y0)) * (x1 - x0));
      }
    }
    crossings.sort((a, b) => a - b);
    const row = height - 1 - y; // flip: y up → row down
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const start = Math.max(0, Math.round(crossings[k]));
      const end = Math.min(width - 1, Math.round(crossings[k + 1]) - 1);
      for (let x = start; x <= end; x++) {
        const offset = (row * width + x) * 3;
        data[offset] = color[0];
        data[offset + 1] = color[1];
        data[offset + 2] = color[2];
      }
    }
  }
}

function circlePolygon(cx: number, cy: number, radius: number): number[] {
  const points: number[] = [];
  const segments = Math.max(12, Math.ceil(radius * 2));
  for (let i = 0; i < segments; i++) {
    const angle = (2 * Math.PI * i) / segments;
    points.push(cx + radius * Math.cos(angle), cy + radius * Math.sin(angle));
  }
  return points;
}

function linePolygon(x0: number, y0: number, x1: number, y1: number, width: number): number[] {
  const length = Math.hypot(x1 - x0, y1 - y0) || 1;
  const nx = (-(y1 - y0) / length) * (width / 2);
  const ny = ((x1 - x0) / length) * (width / 2);
  return [x0 + nx, y0 + ny, x1 + nx, y1 + ny, x1 - nx, y1 - ny, x0 - nx, y0 - ny];
}

/**
 * Rasterizes a scene into an RGB frame (`height × width × 3` bytes, row 0 at
 * the top), as Gymnasium's `rgb_array` mode returns. No anti-aliasing.
 *
 * @example
 * ```ts
 * const frame = rasterizeScene({ width: 4, height: 4, shapes: [] });
 * frame.data.length; // 48, all 255 (white)
 * ```
 */
export function rasterizeScene(scene: Scene): RgbFrame {
  const frame: RgbFrame = { width: scene.width, height: scene.height, data: new Uint8Array(scene.width * scene.height * 3).fill(255) };
  for (const shape of scene.shapes) {
    if (shape.kind === 'polygon') fillPolygon(frame, shape.points, shape.color);
    else if (shape.kind === 'circle') fillPolygon(frame, circlePolygon(shape.cx, shape.cy, Math.max(shape.radius, 0.5)), shape.color);
    else {
      for (let i = 0; i + 3 < shape.points.length; i += 2) {
        fillPolygon(frame, linePolygon(shape.points[i], shape.points[i + 1], shape.points[i + 2], shape.points[i + 3], Math.max(shape.width, 1)), shape.color);
      }
    }
  }
  return frame;
}

/**
 * Rotates 2-D points (flat x, y pairs) by `angle` radians counter-clockwise
 * and translates them (pygame's `Vector2.rotate_rad` then offset).
 *
 * @example
 * ```ts
 * rotateAndTranslate([1, 0], Math.PI / 2, 0, 0); // ≈ [0, 1]
 * ```
 */
export function rotateAndTranslate(points: readonly number[], angle: number, dx: number, dy: number): number[] {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const out: number[] = [];
  for (let i = 0; i < points.length; i += 2) {
    out.push(points[i] * cos - points[i + 1] * sin + dx, points[i] * sin + points[i + 1] * cos + dy);
  }
  return out;
}
