// Zod fields shared by the optimizer, schedule and scaler options.
import { z } from 'zod';

import { describe } from '../errors.js';

export const nonNegative = z.number().min(0).describe('a non-negative number');
export const positive = z.number().gt(0).describe('a positive number');
export const finite = z.number().describe('a number');
export const boolean = z.boolean().describe('a boolean');
export const positiveInt = z.number().int().min(1).describe('a positive integer');
export const nonNegativeInt = z.number().int().min(0).describe('a non-negative integer');
export const unitInterval = z.number().min(0).max(1).describe('a number in [0, 1]');

/** Options must be an object (or undefined) before their keys are merged with a group's. */
export function checkObject(value: unknown, fn: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError(`Expected an options object for ${fn} but received ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}
