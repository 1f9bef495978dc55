//! Reading a request body with a size cap: the reader stops at the first chunk that takes the
//! total over the cap, so the API can answer 413 without reading (or buffering) the rest.

use std::pin::pin;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use thiserror::Error;

use super::error::{FILE_FIELD, UploadError};

/// The body is larger than the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the body is larger than {cap} bytes")]
pub struct TooLarge {
    pub cap: usize,
}

impl From<TooLarge> for UploadError {
    fn from(e: TooLarge) -> UploadError {
        UploadError::TooLarge {
            field: FILE_FIELD,
            cap: e.cap,
        }
    }
}

/// Why [`read_capped`] stopped.
#[derive(Debug, Error)]
pub enum ReadCappedError<E> {
    #[error(transparent)]
    TooLarge(TooLarge),
    /// The body stream itself failed (client gone, bad multipart framing…).
    #[error("reading the body failed: {0}")]
    Body(E),
}

/// Refuses early when the client declares (`Content-Length`) more than the cap.
pub fn check_declared_length(declared: Option<u64>, cap: usize) -> Result<(), TooLarge> {
    match declared {
        Some(length) if length > cap as u64 => Err(TooLarge { cap }),
        _ => Ok(()),
    }
}

/// Reads the whole stream into one buffer, at most `cap` bytes; stops pulling chunks as soon
/// as the total exceeds the cap.
pub async fn read_capped<S, E>(stream: S, cap: usize) -> Result<Bytes, ReadCappedError<E>>
where
    S: Stream<Item = Result<Bytes, E>>,
{
    let mut stream = pin!(stream);
    let mut body = BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(ReadCappedError::Body)?;
        if body.len() + chunk.len() > cap {
            return Err(ReadCappedError::TooLarge(TooLarge { cap }));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures_util::stream;

    use super::*;

    /// A stream of `n` chunks of `size` bytes that counts how many were pulled.
    fn counted(
        n: usize,
        size: usize,
        pulled: Arc<AtomicUsize>,
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
        stream::iter(0..n).map(move |i| {
            pulled.fetch_add(1, Ordering::SeqCst);
            Ok(Bytes::from(vec![i as u8; size]))
        })
    }

    #[tokio::test]
    async fn stops_at_the_first_chunk_over_the_cap() {
        // (chunks, chunk size, cap, expected: Ok(len) or Err(pulled))
        let cases: [(usize, usize, usize, Result<usize, usize>); 5] = [
            (10, 100, 1000, Ok(1000)),
            (10, 100, 999, Err(10)),
            (1000, 100, 250, Err(3)),
            (1000, 1024, 0, Err(1)),
            (0, 100, 0, Ok(0)),
        ];
        for (n, size, cap, expected) in cases {
            let pulled = Arc::new(AtomicUsize::new(0));
            let result = read_capped(counted(n, size, pulled.clone()), cap).await;
            match (result, expected) {
                (Ok(body), Ok(len)) => assert_eq!(body.len(), len),
                (Err(ReadCappedError::TooLarge(e)), Err(count)) => {
                    assert_eq!(e.cap, cap);
                    assert_eq!(pulled.load(Ordering::SeqCst), count, "{n}x{size} cap {cap}");
                }
                (other, _) => panic!("{n}x{size} cap {cap}: {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn body_errors_pass_through_and_stop_reading() {
        let chunks = vec![
            Ok(Bytes::from_static(b"abc")),
            Err("connection reset"),
            Ok(Bytes::from_static(b"def")),
        ];
        let result = read_capped(stream::iter(chunks), 100).await;
        assert!(matches!(
            result,
            Err(ReadCappedError::Body("connection reset"))
        ));
    }

    #[test]
    fn declared_length() {
        assert_eq!(
            check_declared_length(Some(101), 100),
            Err(TooLarge { cap: 100 })
        );
        assert_eq!(check_declared_length(Some(100), 100), Ok(()));
        assert_eq!(check_declared_length(None, 100), Ok(()));
        let error: UploadError = TooLarge { cap: 7 }.into();
        assert_eq!(
            error,
            UploadError::TooLarge {
                field: "file",
                cap: 7
            }
        );
    }
}
