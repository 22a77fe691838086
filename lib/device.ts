// Device strings: validated here, so libtorch only ever sees 'cpu', 'cuda' or 'cuda:N'.
import { describe, TorchError } from './errors.js';
import { buildRecord, native } from './native.js';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;

const DEVICE = /^(cpu|cuda)(?::(\d+))?$/;

/** Validates a device string and, for CUDA, that such a device exists. */
export function checkDevice(device: unknown, what = 'device'): Device {
  const m = typeof device === 'string' ? DEVICE.exec(device) : null;
  if (!m || (m[1] === 'cpu' && m[2] !== undefined)) {
    throw new TypeError(`Expected 'cpu', 'cuda' or 'cuda:N' for ${what} but received ${describe(device)}`);
  }
  if (m[1] === 'cuda') {
    if (!native.cudaIsAvailable()) {
      throw new TorchError(native.buildInfo().cuda
        ? `CUDA is not available: no CUDA device is visible (asked for '${device}')`
        : `CUDA is not available: torchnode was built against libtorch ${buildRecord.version} without CUDA (asked for '${device}')`);
    }
    const index = m[2] === undefined ? 0 : Number(m[2]);
    const count = native.cudaDeviceCount();
    if (index >= count) throw new TorchError(`CUDA device ${index} requested but ${count} device(s) are available`);
  }
  return device as Device;
}

/** The CUDA device index a number or device string names (0 when undefined), checked to exist. */
export function cudaDeviceIndex(device: number | string | undefined): number {
  if (device === undefined) {
    checkDevice('cuda');
    return 0;
  }
  if (typeof device === 'number') {
    if (!Number.isInteger(device) || device < 0) throw new TypeError(`Expected a CUDA device index for device but received ${describe(device)}`);
    checkDevice(`cuda:${device}`);
    return device;
  }
  const d = checkDevice(device);
  if (!d.startsWith('cuda')) throw new TypeError(`Expected a CUDA device for device but received ${describe(device)}`);
  return d === 'cuda' ? 0 : Number(d.slice(5));
}
