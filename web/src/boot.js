// @ts-check
// The page's first script, small and async: it starts fetching and compiling the engine at once,
// so that compiling overlaps with loading app.js and building the editor. src/meshroute.js takes
// the compiled module from here, or loads the module itself when this failed (a server that does
// not send `application/wasm`, which streaming compilation requires).
window.meshrouteModule = WebAssembly.compileStreaming(fetch('./meshroute_wasm_bg.wasm')).catch(() => null);
