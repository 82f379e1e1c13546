//! The verification pipeline, on one screen: decode → allow the algorithm → select the key →
//! verify the signature → decode the claims → check them. Each step lives in its own module and
//! never calls back up.

use std::sync::Arc;

use jsonwebtoken::Algorithm;

use crate::claims::{self, Claims};
use crate::config::{Config, OptionError, Options};
use crate::error::{Error, Malformed, Part};
use crate::base64url;
use crate::signature;
use crate::token::{self, Alg, Token};

/// Longest signature any supported algorithm produces: RSA with an 8192-bit modulus.
const MAX_SIGNATURE_LEN: usize = 1024;

/// A verified token: the header and payload JSON text, exactly as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The JOSE header's JSON text.
    pub header_json: Vec<u8>,
    /// The claims set's JSON text.
    pub payload_json: Vec<u8>,
}

/// Verifies tokens against one validated configuration; built once, shared across threads.
pub struct Verifier {
    config: Config,
}

impl Verifier {
    /// Builds a verifier, importing its keys once.
    pub fn new(options: Options) -> Result<Verifier, OptionError> {
        Ok(Verifier { config: Config::new(options)? })
    }

    /// Verifies `token` at `now` (epoch seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<Verified, Error> {
        let token = token::decode(token, self.config.max_token_length)?;
        let alg = self.allowed_algorithm(&token)?;
        self.verify_signature(&token, alg)?;
        let payload_json = token::decode_payload(token.payload)?;
        let claims = Claims::parse(&payload_json, &self.config.rules.required)?;
        claims::check(&claims, token.header.typ, &self.config.rules, now)?;
        Ok(Verified { header_json: token.header_json, payload_json })
    }

    /// The allowed algorithms, for diagnostics and the JS `WWW-Authenticate` challenges.
    pub fn algorithms(&self) -> &[Algorithm] {
        &self.config.algorithms
    }

    fn allowed_algorithm(&self, token: &Token<'_>) -> Result<Algorithm, Error> {
        if let Some(extension) = &token.header.extension {
            return Err(Error::CritUnsupported { extension: extension.clone() });
        }
        let alg = match &token.header.alg {
            Alg::Supported(alg) if self.config.algorithms.contains(alg) => return Ok(*alg),
            Alg::Supported(alg) => Some(signature::name(*alg).to_owned()),
            Alg::Unsupported(name) => name.clone(),
        };
        Err(Error::AlgorithmNotAllowed {
            alg,
            symmetric: self.config.algorithms.iter().any(|a| signature::is_symmetric(*a)),
            allowed: Arc::clone(&self.config.algorithms),
        })
    }

    fn verify_signature(&self, token: &Token<'_>, alg: Algorithm) -> Result<(), Error> {
        let mut buffer = [0u8; MAX_SIGNATURE_LEN];
        if token.signature.len() > MAX_SIGNATURE_LEN.div_ceil(3) * 4 {
            return Err(Error::SignatureInvalid);
        }
        let Some(len) = base64url::decode_into(token.signature, &mut buffer) else {
            return Err(Error::Malformed(Malformed::Base64(Part::Signature)));
        };
        let signature = &buffer[..len];
        let kid = token.header.kid.as_deref();
        let mut candidates = self.config.keys.candidates(alg, kid).peekable();
        if candidates.peek().is_none() {
            return Err(Error::KeyNotFound { ambiguous: self.config.keys.is_ambiguous(alg, kid) });
        }
        if candidates.any(|key| key.verify(token.signing_input, signature)) {
            Ok(())
        } else {
            Err(Error::SignatureInvalid)
        }
    }
}
