//! The napi-rs binding: the only module that knows napi. It converts JS options into
//! [`crate::Options`], runs the core, and hands each outcome back as one JSON string that JS parses
//! with `JSON.parse` (cheaper than building the object through napi). Expected failures are values
//! in that string; only misuse throws. No panic crosses into Node. One file a JS class or concern:
//! [`options`] (the options object), [`text`] (token and outcome strings), [`transport`] (fetching through Node's `http.Agent`),
//! [`verifier`] (`NativeVerifier` and its outcomes), [`dpop`] (`NativeDpop`).

mod dpop;
mod options;
mod text;
mod transport;
mod verifier;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;

use crate::error::Error;

/// The addon's own Tokio runtime: one worker thread is plenty for a few small fetches, and
/// leaves the cores to Node and libuv's verification workers.
#[napi_derive::module_init]
fn init() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bearer-rs-io")
        .enable_all()
        .build();
    if let Ok(runtime) = runtime {
        create_custom_tokio_runtime(runtime);
    }
}

/// Sends every cache event, as JSON, to `listener` on the main thread. The listener must not
/// throw; it does not keep the process alive. Only the first call installs a listener.
#[napi(catch_unwind)]
#[cfg_attr(test, allow(dead_code))] // called by Node only; a Rust test cannot make a JS function
pub fn on_events(listener: Function<String, ()>) -> Result<bool> {
    let tsfn = listener.build_threadsafe_function::<String>().weak::<true>().callee_handled::<false>().build()?;
    Ok(crate::events::set_sink(Box::new(move |event| {
        if let Ok(json) = serde_json::to_string(event) {
            tsfn.call(json, ThreadsafeFunctionCallMode::NonBlocking);
        }
    })))
}

/// Every failure kind the core can report, for the JS error table.
#[napi(catch_unwind)]
pub fn error_kinds() -> Vec<&'static str> {
    Error::KINDS.to_vec()
}

/// The default `maxTokenLength`, in bytes, for JS code that bounds a token before the core sees it.
#[napi]
#[cfg_attr(test, allow(dead_code))] // read by Node only
pub const DEFAULT_MAX_TOKEN_LENGTH: u32 = crate::config::DEFAULT_MAX_TOKEN_LENGTH as u32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_kinds_lists_the_core_kinds() {
        assert_eq!(error_kinds(), Error::KINDS);
    }
}
