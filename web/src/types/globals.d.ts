// What the page puts on `window`: the JS API (used by the corpus tests and by anyone scripting the
// page) and the test and budget hooks of src/main.js.
import type { MeshrouteApi } from './api';
import type { State } from '../share.js';

declare global {
  interface Window {
    meshroute: MeshrouteApi;
    playground: Readonly<{
      state: () => State;
      timings: () => { input: number | null; work: number; explain: number; frame: number | null }[];
    }>;
  }
}

export {};
