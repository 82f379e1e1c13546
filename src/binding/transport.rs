//! Discovery and JWKS requests made through Node, with the user's `http.Agent`: Rust keeps the
//! policy (URLs, redirects, timeout, size cap), Node only performs each GET.

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::*;
use napi::threadsafe_function::ThreadsafeFunction;
use napi_derive::napi;

use crate::fetch::{Request, Response, Transport, TransportFuture, Validators};

/// One GET request handed to Node (see `lib/agent-fetch.js`).
#[napi(object)]
pub struct NodeRequest {
    /// The URL.
    pub url: String,
    /// Request headers.
    pub headers: HashMap<String, String>,
    /// Time allowed, in ms.
    pub timeout_ms: f64,
    /// Largest body to read, in bytes.
    pub max_bytes: f64,
}

/// Node's answer to a [`NodeRequest`].
#[napi(object)]
pub struct NodeResponse {
    /// The HTTP status.
    pub status: u32,
    /// The `Location` header.
    pub location: Option<String>,
    /// The `ETag` header.
    pub etag: Option<String>,
    /// The `Last-Modified` header.
    pub last_modified: Option<String>,
    /// The body, as text.
    pub body: String,
    /// The body exceeded `maxBytes` and was not read.
    pub too_large: bool,
}

type NodeFetch = ThreadsafeFunction<NodeRequest, Promise<NodeResponse>, NodeRequest, Status, false, true>;

/// Fetches through a JS function that uses the user's `http.Agent`; the policy stays in Rust.
pub(super) struct NodeTransport(pub(super) Arc<NodeFetch>);

impl Transport for NodeTransport {
    fn get(&self, request: Request) -> TransportFuture {
        let fetch = Arc::clone(&self.0);
        let request = NodeRequest {
            url: request.url,
            headers: request.headers.into_iter().collect(),
            timeout_ms: request.timeout_ms as f64,
            max_bytes: request.max_bytes as f64,
        };
        Box::pin(async move {
            let promise = fetch.call_async(request).await.map_err(|e| e.reason.clone())?;
            let response = promise.await.map_err(|e| e.reason.clone())?;
            Ok(Response {
                status: u16::try_from(response.status).unwrap_or(0),
                location: response.location,
                validators: Validators::new(response.etag.as_deref(), response.last_modified.as_deref()),
                body: response.body.into_bytes(),
                too_large: response.too_large,
            })
        })
    }
}
