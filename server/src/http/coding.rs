//! Kept answers compressed once: which content coding a request accepts
//! (`Accept-Encoding`, RFC 9110 §12.5.3) and the body in it, made the first
//! time a client asks for that coding and kept with the answer.
//!
//! Every other response is compressed by `tower_http`'s `CompressionLayer`
//! on the way out, per request. For a kept answer that was most of what
//! serving it cost (at a fixed rate on the benchmark's mix, the server's
//! CPU more than halved without it), so these leave the layer already
//! encoded, and it passes them on untouched.

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_ENCODING;
use std::io::Write;

/// A coding a kept answer is sent in, beside identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Coding {
    Brotli,
    Gzip,
}

/// Bodies shorter than this go as they are (`tower_http`'s own threshold:
/// compressing a few bytes makes them longer).
pub(crate) const MIN_COMPRESSED: usize = 32;

/// Brotli's quality for kept answers: made once per answer, so a little
/// above the per-request layer's 4, still quick on answers of ~100 KB.
const BROTLI_QUALITY: u32 = 6;
const BROTLI_WINDOW: u32 = 22;

impl Coding {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Coding::Brotli => "br",
            Coding::Gzip => "gzip",
        }
    }

    /// The coding a request prefers among those Reach sends, `None` for
    /// identity: the higher quality value wins, Brotli on a tie; a coding
    /// the header does not name takes `*`'s value; `q=0` refuses it.
    pub(crate) fn preferred(headers: &HeaderMap) -> Option<Coding> {
        let (mut brotli, mut gzip, mut any) = (None, None, None);
        for value in headers.get_all(ACCEPT_ENCODING) {
            let Ok(value) = value.to_str() else { continue };
            for item in value.split(',') {
                let mut parts = item.split(';');
                let name = parts.next().unwrap_or_default().trim();
                let quality = parts
                    .filter_map(|parameter| {
                        let (key, value) = parameter.split_once('=')?;
                        key.trim()
                            .eq_ignore_ascii_case("q")
                            .then(|| value.trim().parse::<f32>().ok())
                            .flatten()
                    })
                    .next()
                    .unwrap_or(1.0);
                let slot = if name.eq_ignore_ascii_case("br") {
                    &mut brotli
                } else if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
                    &mut gzip
                } else if name == "*" {
                    &mut any
                } else {
                    continue;
                };
                *slot = Some(quality);
            }
        }
        let brotli = brotli.or(any).unwrap_or(0.0);
        let gzip = gzip.or(any).unwrap_or(0.0);
        if brotli > 0.0 && brotli >= gzip {
            Some(Coding::Brotli)
        } else if gzip > 0.0 {
            Some(Coding::Gzip)
        } else {
            None
        }
    }

    /// `body` in this coding.
    pub(crate) fn compress(self, body: &[u8]) -> std::io::Result<Bytes> {
        let out = Vec::with_capacity(body.len() / 4);
        let compressed = match self {
            Coding::Brotli => {
                let mut writer =
                    brotli::CompressorWriter::new(out, 4096, BROTLI_QUALITY, BROTLI_WINDOW);
                writer.write_all(body)?;
                writer.flush()?;
                writer.into_inner()
            }
            Coding::Gzip => {
                let mut writer = flate2::write::GzEncoder::new(out, flate2::Compression::default());
                writer.write_all(body)?;
                writer.finish()?
            }
        };
        Ok(Bytes::from(compressed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use std::io::Read;

    fn accepting(values: &[&'static str]) -> Option<Coding> {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(ACCEPT_ENCODING, HeaderValue::from_static(value));
        }
        Coding::preferred(&headers)
    }

    #[test]
    fn the_preferred_coding_follows_the_quality_values() {
        assert_eq!(accepting(&[]), None);
        assert_eq!(accepting(&["identity"]), None);
        assert_eq!(
            accepting(&["gzip, deflate, br, zstd"]),
            Some(Coding::Brotli)
        );
        assert_eq!(
            accepting(&["gzip, compress, deflate, br"]),
            Some(Coding::Brotli)
        );
        assert_eq!(accepting(&["gzip"]), Some(Coding::Gzip));
        assert_eq!(accepting(&["gzip;q=0.8, br;q=0.5"]), Some(Coding::Gzip));
        assert_eq!(accepting(&["gzip;q=0.5,br;q=0.8"]), Some(Coding::Brotli));
        assert_eq!(accepting(&["br;q=0", "gzip"]), Some(Coding::Gzip));
        assert_eq!(accepting(&["br;q=0, gzip;q=0"]), None);
        assert_eq!(accepting(&["*"]), Some(Coding::Brotli));
        assert_eq!(accepting(&["*;q=0.3, br;q=0"]), Some(Coding::Gzip));
        assert_eq!(accepting(&["BR ; Q=1"]), Some(Coding::Brotli));
        assert_eq!(accepting(&["deflate"]), None);
    }

    #[test]
    fn compressed_bodies_decode_to_the_body() {
        let body =
            br#"{"items":[1,2,3],"total":3,"note":"the same words, the same words"}"#.repeat(20);
        let brotli = Coding::Brotli.compress(&body).unwrap();
        let mut decoded = Vec::new();
        brotli::Decompressor::new(&brotli[..], 4096)
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
        assert!(brotli.len() < body.len() / 4);

        let gzip = Coding::Gzip.compress(&body).unwrap();
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&gzip[..])
            .read_to_end(&mut decoded)
            .unwrap();
        assert_eq!(decoded, body);
    }
}
