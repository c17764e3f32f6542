//! The few proxy-wasm host calls the filter makes, each returning "absent" or `false` on any
//! status instead of panicking.
//!
//! The SDK's own wrappers `panic!` on a status they do not expect, and a panic aborts the Wasm
//! VM, which fails the traffic we only meant to tag. The ABI is the SDK's
//! (`proxy_abi_version_0_2_1`); memory the host returns was allocated through the SDK's exported
//! `proxy_on_memory_allocate`, which is a `Vec<u8>` allocation, so it is taken back as one.
#![allow(unsafe_code)]

use std::ptr::null_mut;

const OK: u32 = 0;

const MAP_HTTP_REQUEST_HEADERS: u32 = 0;
const BUFFER_DOWNSTREAM_DATA: u32 = 2;
const BUFFER_PLUGIN_CONFIGURATION: u32 = 7;
const METRIC_COUNTER: u32 = 0;

/// proxy-wasm log levels.
#[derive(Clone, Copy)]
#[repr(u32)]
pub(crate) enum Level {
    Info = 2,
    Warn = 3,
    Error = 4,
}

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_log(level: u32, data: *const u8, size: usize) -> u32;
    fn proxy_get_property(
        path: *const u8,
        path_size: usize,
        out: *mut *mut u8,
        out_size: *mut usize,
    ) -> u32;
    fn proxy_set_property(path: *const u8, path_size: usize, value: *const u8, size: usize) -> u32;
    fn proxy_get_buffer_bytes(
        buffer: u32,
        start: usize,
        max: usize,
        out: *mut *mut u8,
        out_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_pairs(map: u32, out: *mut *mut u8, out_size: *mut usize) -> u32;
    fn proxy_get_header_map_value(
        map: u32,
        key: *const u8,
        key_size: usize,
        out: *mut *mut u8,
        out_size: *mut usize,
    ) -> u32;
    fn proxy_replace_header_map_value(
        map: u32,
        key: *const u8,
        key_size: usize,
        value: *const u8,
        value_size: usize,
    ) -> u32;
    fn proxy_remove_header_map_value(map: u32, key: *const u8, key_size: usize) -> u32;
    fn proxy_define_metric(kind: u32, name: *const u8, name_size: usize, id: *mut u32) -> u32;
    fn proxy_increment_metric(id: u32, offset: i64) -> u32;
}

/// Takes ownership of a host-returned allocation.
fn take(data: *mut u8, size: usize) -> Vec<u8> {
    if data.is_null() {
        return Vec::new();
    }
    // SAFETY: the host obtained `data` from proxy_on_memory_allocate, which hands out the buffer
    // of a `Vec<u8>` with capacity `size` and forgets it; this is the one place it is reclaimed.
    unsafe { Vec::from_raw_parts(data, size, size) }
}

pub(crate) fn log(level: Level, message: &str) {
    // SAFETY: pointer and length describe `message`, which outlives the call.
    unsafe {
        proxy_log(level as u32, message.as_ptr(), message.len());
    }
}

/// `get_property`; `None` when Envoy has no value or answers with an error. `path` is the
/// property's parts joined by NUL, as the ABI wants it (`b"destination\0port"`).
pub(crate) fn property(path: &[u8]) -> Option<Vec<u8>> {
    let mut data = null_mut();
    let mut size = 0;
    // SAFETY: the path buffer outlives the call; the out-pointers are valid locals.
    let status = unsafe { proxy_get_property(path.as_ptr(), path.len(), &mut data, &mut size) };
    let value = take(data, size);
    (status == OK && !data.is_null()).then_some(value)
}

/// `set_property`: Envoy stores the value as filter state `wasm.<key>`.
pub(crate) fn set_property(key: &str, value: &[u8]) -> bool {
    // SAFETY: both buffers outlive the call.
    unsafe { proxy_set_property(key.as_ptr(), key.len(), value.as_ptr(), value.len()) == OK }
}

pub(crate) fn plugin_configuration(size: usize) -> Option<Vec<u8>> {
    let mut data = null_mut();
    let mut out = 0;
    // SAFETY: the out-pointers are valid locals.
    let status = unsafe {
        proxy_get_buffer_bytes(BUFFER_PLUGIN_CONFIGURATION, 0, size, &mut data, &mut out)
    };
    let value = take(data, out);
    (status == OK).then_some(value)
}

/// The first `max` bytes a network filter has received from downstream.
pub(crate) fn downstream_data(max: usize) -> Vec<u8> {
    let mut data = null_mut();
    let mut out = 0;
    // SAFETY: the out-pointers are valid locals.
    let status =
        unsafe { proxy_get_buffer_bytes(BUFFER_DOWNSTREAM_DATA, 0, max, &mut data, &mut out) };
    let value = take(data, out);
    if status == OK { value } else { Vec::new() }
}

/// The first value of one request header; `None` when the request has none.
pub(crate) fn request_header(name: &str) -> Option<Vec<u8>> {
    let mut data = null_mut();
    let mut size = 0;
    // SAFETY: the name outlives the call; the out-pointers are valid locals.
    let status = unsafe {
        proxy_get_header_map_value(
            MAP_HTTP_REQUEST_HEADERS,
            name.as_ptr(),
            name.len(),
            &mut data,
            &mut size,
        )
    };
    let value = take(data, size);
    (status == OK && !data.is_null()).then_some(value)
}

/// The serialised request header map (see `request::parse_header_pairs`).
pub(crate) fn request_header_pairs() -> Vec<u8> {
    let mut data = null_mut();
    let mut size = 0;
    // SAFETY: the out-pointers are valid locals.
    let status =
        unsafe { proxy_get_header_map_pairs(MAP_HTTP_REQUEST_HEADERS, &mut data, &mut size) };
    let value = take(data, size);
    if status == OK { value } else { Vec::new() }
}

pub(crate) fn set_request_header(name: &str, value: &str) -> bool {
    // SAFETY: both buffers outlive the call.
    unsafe {
        proxy_replace_header_map_value(
            MAP_HTTP_REQUEST_HEADERS,
            name.as_ptr(),
            name.len(),
            value.as_ptr(),
            value.len(),
        ) == OK
    }
}

pub(crate) fn remove_request_header(name: &str) -> bool {
    // SAFETY: the buffer outlives the call.
    unsafe {
        proxy_remove_header_map_value(MAP_HTTP_REQUEST_HEADERS, name.as_ptr(), name.len()) == OK
    }
}

pub(crate) fn define_counter(name: &str) -> Option<u32> {
    let mut id = 0;
    // SAFETY: the name outlives the call; `id` is a valid local.
    let status = unsafe { proxy_define_metric(METRIC_COUNTER, name.as_ptr(), name.len(), &mut id) };
    (status == OK).then_some(id)
}

pub(crate) fn increment(id: u32) {
    // SAFETY: plain values.
    unsafe {
        proxy_increment_metric(id, 1);
    }
}
