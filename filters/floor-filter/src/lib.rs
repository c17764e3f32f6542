//! The benchmark floor: the least a Rust proxy-wasm HTTP filter can do and still touch the request.
//!
//! It reads `:authority` and sets one request header, nothing else, so the difference between an
//! Envoy running it and one running meshroute-filter is the cost of meshroute's own work.

#[cfg(target_arch = "wasm32")]
mod envoy {
    use proxy_wasm::traits::{Context, HttpContext, RootContext};
    use proxy_wasm::types::{Action, ContextType, LogLevel};

    proxy_wasm::main! {{
        proxy_wasm::set_log_level(LogLevel::Warn);
        proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(Floor) });
    }}

    struct Floor;

    impl Context for Floor {}

    impl RootContext for Floor {
        fn get_type(&self) -> Option<ContextType> {
            Some(ContextType::HttpContext)
        }

        fn create_http_context(&self, _: u32) -> Option<Box<dyn HttpContext>> {
            Some(Box::new(FloorRequest))
        }
    }

    struct FloorRequest;

    impl Context for FloorRequest {}

    impl HttpContext for FloorRequest {
        fn on_http_request_headers(&mut self, _: usize, _: bool) -> Action {
            let seen = self.get_http_request_header(":authority").is_some();
            self.set_http_request_header("x-floor", Some(if seen { "1" } else { "0" }));
            Action::Continue
        }
    }
}
