//! CLB's `Gzip`: responses of the text types CLB compresses (`text/html`, `text/plain`,
//! `text/css`, `text/xml`, `application/javascript`, `application/x-javascript`,
//! `application/json`, `application/xml`, `application/rss+xml`, `application/atom+xml`) are
//! gzip-compressed on the way to a client that accepts gzip, unless the backend already
//! encoded them. The body is compressed as it streams (a sync flush per chunk), so nothing is
//! buffered whole. Decisions are pure functions; the stream is [`GzipBody`].

use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use http::StatusCode;
use http::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, HeaderMap, HeaderValue, VARY,
};
use http_body::{Body, Frame};

use super::proxy::ProxyBody;

/// The media types CLB compresses.
const TYPES: [&str; 10] = [
    "text/html",
    "text/plain",
    "text/css",
    "text/xml",
    "application/javascript",
    "application/x-javascript",
    "application/json",
    "application/xml",
    "application/rss+xml",
    "application/atom+xml",
];

/// Whether the client's `Accept-Encoding` takes gzip (a `q=0` refuses it).
pub fn accepts_gzip(request: &HeaderMap) -> bool {
    request
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| p.replace(' ', "") == "q=0");
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Whether a response to a gzip-accepting client should be compressed.
pub fn should_compress(status: StatusCode, response: &HeaderMap) -> bool {
    if status.is_informational()
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || response.contains_key(CONTENT_ENCODING)
    {
        return false;
    }
    response
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|media| TYPES.iter().any(|t| media.trim().eq_ignore_ascii_case(t)))
}

/// Marks the response as gzip-encoded and compresses its body.
pub fn compress(headers: &mut HeaderMap, body: ProxyBody) -> ProxyBody {
    headers.remove(CONTENT_LENGTH);
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
    http_body_util::BodyExt::boxed_unsync(GzipBody {
        inner: body,
        encoder: Some(GzEncoder::new(Vec::new(), Compression::fast())),
        trailers: None,
    })
}

/// A body compressed as it streams.
pub struct GzipBody {
    inner: ProxyBody,
    /// `None` once the gzip trailer has been emitted.
    encoder: Option<GzEncoder<Vec<u8>>>,
    /// The inner body's trailers, sent after the last compressed bytes.
    trailers: Option<HeaderMap>,
}

impl GzipBody {
    /// Compresses `data` and returns what the encoder produced so far.
    fn feed(&mut self, data: &[u8]) -> Option<Bytes> {
        let encoder = self.encoder.as_mut()?;
        // Writing into a Vec cannot fail; a failure would only truncate the stream.
        encoder
            .write_all(data)
            .and_then(|()| encoder.flush())
            .ok()?;
        Some(Bytes::from(std::mem::take(encoder.get_mut())))
    }

    /// Ends the gzip stream and returns its last bytes.
    fn finish(&mut self) -> Option<Bytes> {
        self.encoder.take()?.finish().ok().map(Bytes::from)
    }
}

impl Body for GzipBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
        loop {
            if self.encoder.is_none() {
                return Poll::Ready(self.trailers.take().map(|t| Ok(Frame::trailers(t))));
            }
            match Pin::new(&mut self.inner).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Err(e))) => return Poll::Ready(Some(Err(e))),
                Poll::Ready(Some(Ok(frame))) => match frame.into_data() {
                    Ok(data) => match self.feed(&data) {
                        Some(out) if out.is_empty() => {}
                        Some(out) => return Poll::Ready(Some(Ok(Frame::data(out)))),
                        None => return Poll::Ready(None),
                    },
                    Err(frame) => self.trailers = frame.into_trailers().ok(),
                },
                Poll::Ready(None) => {
                    let last = self.finish().unwrap_or_default();
                    return Poll::Ready(Some(Ok(Frame::data(last))));
                }
            }
            if self.trailers.is_some() {
                let last = self.finish().unwrap_or_default();
                return Poll::Ready(Some(Ok(Frame::data(last))));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use std::collections::VecDeque;

    use http_body_util::{BodyExt, Full};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn gzip_is_accepted_unless_refused_with_q_0() {
        for (value, accepted) in [
            ("gzip, deflate, br", true),
            ("br;q=1.0, GZIP;q=0.5", true),
            ("*", true),
            ("gzip;q=0", false),
            ("deflate", false),
        ] {
            assert_eq!(
                accepts_gzip(&headers(&[("accept-encoding", value)])),
                accepted,
                "{value}"
            );
        }
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn only_listed_types_without_an_encoding_are_compressed() {
        let ok = StatusCode::OK;
        assert!(should_compress(
            ok,
            &headers(&[("content-type", "text/html; charset=utf-8")])
        ));
        assert!(should_compress(
            ok,
            &headers(&[("content-type", "application/json")])
        ));
        assert!(!should_compress(
            ok,
            &headers(&[("content-type", "image/png")])
        ));
        assert!(!should_compress(ok, &HeaderMap::new()));
        let encoded = headers(&[("content-type", "text/css"), ("content-encoding", "br")]);
        assert!(!should_compress(ok, &encoded));
        let css = headers(&[("content-type", "text/css")]);
        assert!(!should_compress(StatusCode::NOT_MODIFIED, &css));
    }

    #[tokio::test]
    async fn a_streamed_body_decompresses_to_what_the_backend_sent() {
        let chunks = [Bytes::from("hello, "), Bytes::from("world ".repeat(1000))];
        let body = Chunks(chunks.into_iter().collect()).boxed_unsync();
        let mut h = headers(&[("content-length", "6007"), ("content-type", "text/plain")]);
        let out = compress(&mut h, body).collect().await.unwrap().to_bytes();
        assert_eq!(h["content-encoding"], "gzip");
        assert!(!h.contains_key("content-length"));
        let mut text = String::new();
        flate2::read::GzDecoder::new(&out[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, format!("hello, {}", "world ".repeat(1000)));
        assert!(out.len() < 200, "compressed to {} bytes", out.len());
    }

    #[tokio::test]
    async fn an_empty_body_is_a_valid_empty_gzip_stream() {
        let body = Full::new(Bytes::new())
            .map_err(|never| match never {})
            .boxed_unsync();
        let out = compress(&mut HeaderMap::new(), body)
            .collect()
            .await
            .unwrap()
            .to_bytes();
        let mut text = String::new();
        flate2::read::GzDecoder::new(&out[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "");
    }

    /// A body of several data frames.
    struct Chunks(VecDeque<Bytes>);

    impl Body for Chunks {
        type Data = Bytes;
        type Error = hyper::Error;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, hyper::Error>>> {
            Poll::Ready(self.0.pop_front().map(|b| Ok(Frame::data(b))))
        }
    }
}
