// What the page puts on `window`: the JS API (used by the corpus tests and by anyone scripting the
// page) and the test and budget hooks of src/main.js.
import type { MeshrouteApi } from './api';
import type { State } from '../share.js';

declare global {
  interface Window {
    meshroute: MeshrouteApi;
    /** The engine's module, compiled while the page loads (src/boot.js); null when that failed. */
    meshrouteModule?: Promise<WebAssembly.Module | null>;
    playground: Readonly<{
      state: () => State;
      timings: () => { input: number | null; change: number | null; work: number; explain: number; frame: number | null }[];
    }>;
  }
}

export {};
