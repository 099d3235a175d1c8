// Types of musicvae-wasm/checkpoint (wasm_api/checkpoint.mjs), the checkpoint converter.
export interface ConvertOptions {
  onProgress?: (loaded: number, total: number) => void;
  cache?: boolean | string;
  fetch?: typeof fetch;
  quantize?: 'q8';
  block?: number;
  name?: string;
  description?: string;
  license?: string;
  source?: string;
  config?: object;
  allowMissingEncoder?: boolean;
  warn?: (message: string) => void;
}
/** The MVAE bytes of a magenta.js checkpoint folder (URL, or under Node a folder or file: URL). */
export function convertCheckpoint(where: string | URL, options?: ConvertOptions):
  Promise<{ bytes: Uint8Array; layout: 'tfjs' | 'deeplearn'; dropped: string[]; missing: string[] }>;

export function isCheckpoint(where: string | URL, options?: ConvertOptions): Promise<boolean>;

/** Whether every file of the checkpoint folder at `url` is in the Cache API (it loads offline); bytes: its weights' size. */
export function cachedCheckpoint(url: string | URL, options?: { cache?: string }): Promise<{ complete: boolean; bytes: number }>;
/** Removes the checkpoint folder's cached files; resolves to how many were removed. */
export function removeCachedCheckpoint(url: string | URL, options?: { cache?: string }): Promise<number>;
